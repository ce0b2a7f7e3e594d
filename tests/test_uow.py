"""The SQLAlchemy unit of work behind the use cases' ports: commits, rolls back, speaks the application's errors,
and keeps what the assignment use case stores (seats, check-ins, cards' fates, rooms, confirm's steps).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from bot.core.assignment import Assignment, History, RoleSlot, Seat
from bot.core.statuses import Delivery, SeatStatus, SessionStatus, StepStatus
from bot.core.timeline import Step, Timeline
from bot.services.errors import Conflict, StorageUnavailable
from bot.services.ports import (
    AcknowledgementRecord,
    NewRosterEntry,
    RoomRecord,
    SeatRecord,
    StepRecord,
    UnitOfWork,
)
from bot.storage.db import Database
from bot.storage.models import PostRow
from bot.storage.uow import SqlUnitOfWork

NOW = datetime(2024, 3, 12, 12, 0, tzinfo=UTC)
TIMELINE = Timeline(tuple(Step(f"p{i}", f"p{i}", f"Phase {i}", timedelta(minutes=5)) for i in range(3)), NOW)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'u.db'}")
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


async def add_session(uow: UnitOfWork, guild_id: int = 1) -> int:
    async with uow.begin() as tx:
        row = await tx.sessions.add(
            guild_id=guild_id,
            channel_id=2,
            plan_name="fast",
            status="running",
            timeline=TIMELINE,
            created_by=3,
            created_at=NOW,
        )
        return row.id


async def test_a_block_that_ends_commits_and_one_that_raises_rolls_back(db: Database) -> None:
    uow = SqlUnitOfWork(db)
    session_id = await add_session(uow)
    with pytest.raises(RuntimeError):
        async with uow.begin() as tx:
            row = await tx.sessions.get(session_id)
            assert row is not None
            row.status = "paused"
            await tx.sessions.save(row)
            raise RuntimeError("changed my mind")
    async with uow.read() as tx:
        row = await tx.sessions.get(session_id)
        assert row is not None and row.status == "running" and row.timeline == TIMELINE
    async with uow.begin() as tx:
        row = await tx.sessions.get(session_id)
        assert row is not None
        row.status, row.cursor, row.open_posts = "paused", 1, ["start:1:2:3"]
        row.timeline = TIMELINE.pause(NOW + timedelta(minutes=7))
        await tx.sessions.save(row)
    async with uow.read() as tx:
        again = await tx.sessions.live_in_channel(1, 2)
    assert again == row


async def test_a_post_is_decided_once_per_key_and_can_be_skipped(db: Database) -> None:
    uow = SqlUnitOfWork(db)
    session_id = await add_session(uow)
    scope = f"session:{session_id}"
    async with uow.begin() as tx:
        body = {"content": "hi", "embeds": [], "mentions": []}
        assert await tx.outbox.enqueue(scope=scope, key="a", channel_id=2, payload=body, now=NOW)
        assert not await tx.outbox.enqueue(scope=scope, key="a", channel_id=2, payload=body, now=NOW)
        await tx.outbox.skip(scope, "a")
    async with uow.read() as tx:
        post = await tx.outbox.find(scope, "a")
        assert await tx.outbox.keys(scope) == frozenset({"a"})
    assert post is not None and post.status == "skipped" and post.channel_id == 2


async def test_a_unique_constraint_refusing_a_write_is_a_conflict(db: Database) -> None:
    uow = SqlUnitOfWork(db)
    entry = NewRosterEntry(student_id="s1", name="Ada", discord_ref=None, user_id=None)
    with pytest.raises(Conflict):
        async with uow.begin() as tx:
            await tx.roster.replace(1, [entry, entry])  # one student id twice in a guild: refused
    async with uow.read() as tx:
        assert await tx.roster.entries(1) == []


async def test_a_database_error_is_the_applications_storage_unavailable_with_the_reason(
    db: Database, tmp_path: Path
) -> None:
    with sqlite3.connect(tmp_path / "u.db") as conn:  # e.g. the file replaced by an empty one
        conn.execute("DROP TABLE timeline_events")
    uow = SqlUnitOfWork(db)
    session_id = await add_session(uow)
    with pytest.raises(StorageUnavailable, match="no such table") as raised:
        async with uow.begin() as tx:
            await tx.sessions.log_event(session_id, "pause", NOW, 3)
    assert raised.value.reason == "no such table: timeline_events"
    assert isinstance(raised.value.__cause__, OperationalError)  # the driver's error stays chained


PAPERS = ("attention", "bert")
ROLES = (RoleSlot("reviewer", 1, 3), RoleSlot("hacker", 1, 3))


def seating(seats: dict[int, tuple[str, str]]) -> Assignment:
    return Assignment({str(u): Seat(p, r) for u, (p, r) in seats.items()}, PAPERS, ROLES)


async def test_a_confirmed_preview_replaces_the_assignment_before_it_and_the_seed_is_kept(
    db: Database,
) -> None:
    uow = SqlUnitOfWork(db)
    session_id = await add_session(uow)
    first = seating({11: ("attention", "reviewer"), 12: ("attention", "reviewer"), 13: ("bert", "hacker")})
    second = seating({11: ("bert", "hacker"), 14: ("attention", "reviewer")})
    for seed, a in ((7, first), (8, second)):
        async with uow.begin() as tx:
            await tx.seats.replace(session_id, SeatStatus.PREVIEW, a, seed, NOW)
        async with uow.begin() as tx:
            await tx.seats.confirm_preview(session_id)
            row = await tx.sessions.get(session_id)
            assert row is not None
            row.seed = seed
            await tx.sessions.save(row)
    async with uow.read() as tx:
        assert await tx.seats.of_status(session_id, SeatStatus.PREVIEW) == []
        assert await tx.seats.confirmed(session_id) == [
            SeatRecord(11, "bert", "hacker", 8),
            SeatRecord(14, "attention", "reviewer", 8),
        ]
        assert await tx.seats.seat(session_id, 12) is None  # only in the assignment replaced
        row = await tx.sessions.get(session_id)
        assert row is not None and row.seed == 8 and row.status == SessionStatus.RUNNING
        assert [s.id for s in await tx.seats.live_sessions_of(14)] == [session_id]
        assert await tx.seats.live_sessions_of(14, guild_id=99) == []
    async with uow.begin() as tx:
        await tx.seats.drop(session_id, SeatStatus.CONFIRMED)
    async with uow.read() as tx:
        assert await tx.seats.confirmed(session_id) == []


async def test_the_history_is_what_the_guilds_other_sessions_confirmed(db: Database) -> None:
    uow = SqlUnitOfWork(db)
    earlier, elsewhere, today = (
        await add_session(uow),
        await add_session(uow, guild_id=5),
        await add_session(uow),
    )
    async with uow.begin() as tx:
        together = seating({11: ("attention", "reviewer"), 12: ("attention", "reviewer")})
        await tx.seats.replace(earlier, SeatStatus.CONFIRMED, together, 1, NOW)
        await tx.seats.replace(elsewhere, SeatStatus.CONFIRMED, seating({11: ("bert", "hacker")}), 1, NOW)
        await tx.seats.replace(today, SeatStatus.CONFIRMED, seating({11: ("bert", "hacker")}), 1, NOW)
    async with uow.read() as tx:
        history = await tx.seats.history(1, today)
    assert history == {
        "11": History(frozenset({"reviewer"}), frozenset({"12"}), {"reviewer": 1}),
        "12": History(frozenset({"reviewer"}), frozenset({"11"}), {"reviewer": 1}),
    }


async def test_check_ins_cards_fates_and_rooms_are_kept_per_session(db: Database) -> None:
    uow = SqlUnitOfWork(db)
    session_id = await add_session(uow)
    async with uow.begin() as tx:
        await tx.checkins.add(session_id, 11, NOW)
        await tx.acknowledgements.save(session_id, AcknowledgementRecord(11, Delivery.PENDING))
        await tx.acknowledgements.save(session_id, AcknowledgementRecord(12, Delivery.PENDING))
        await tx.rooms.add(session_id, RoomRecord("group:attention", 500, private=True))
        await tx.rooms.add(session_id, RoomRecord("partners:attention:reviewer", 501, private=False))
    async with uow.begin() as tx:
        card = (await tx.acknowledgements.of_session(session_id))[11]
        await tx.acknowledgements.save(session_id, replace(card, delivery=Delivery.DM, delivered_at=NOW))
        await tx.acknowledgements.keep_only(session_id, {11})  # 12 is no longer seated
        await tx.acknowledgements.save(session_id, replace(card, delivery=Delivery.DM, acknowledged_at=NOW))
        await tx.rooms.archived(session_id, ["group:attention"])
    async with uow.read() as tx:
        assert await tx.checkins.present(session_id) == {11}
        assert await tx.acknowledgements.of_session(session_id) == {
            11: AcknowledgementRecord(11, Delivery.DM, acknowledged_at=NOW)
        }
        assert await tx.seats.acknowledged(session_id) == {11: NOW}
        assert await tx.rooms.of_session(session_id) == {
            "group:attention": RoomRecord("group:attention", 500, True, archived=True),
            "partners:attention:reviewer": RoomRecord("partners:attention:reviewer", 501, False),
        }
        assert await tx.seats.threads(session_id) == {
            "group:attention": 500,
            "partners:attention:reviewer": 501,
        }


async def test_confirms_steps_remember_who_confirmed_and_forget_rooms_no_longer_wanted(db: Database) -> None:
    uow = SqlUnitOfWork(db)
    session_id = await add_session(uow)
    async with uow.begin() as tx:
        await tx.steps.mark(session_id, StepRecord("report", StepStatus.PENDING, actor_id=3), NOW)
        await tx.steps.mark(session_id, StepRecord("table", StepStatus.BLOCKED, "send_messages"), NOW)
        await tx.steps.mark(session_id, StepRecord("room:group:attention", StepStatus.DONE), NOW)
        await tx.steps.mark(session_id, StepRecord("room:group:bert", StepStatus.FAILED, "500"), NOW)
    async with uow.read() as tx:
        assert await tx.steps.sessions_with("report", StepStatus.PENDING) == [session_id]
    async with uow.begin() as tx:
        await tx.steps.mark(session_id, StepRecord("report", StepStatus.DONE), NOW)  # no actor: kept
        await tx.steps.keep_only(session_id, "room:", {"room:group:attention"})
    async with uow.read() as tx:
        assert await tx.steps.of_session(session_id) == {
            "report": StepRecord("report", StepStatus.DONE, None, 3),
            "table": StepRecord("table", StepStatus.BLOCKED, "send_messages"),
            "room:group:attention": StepRecord("room:group:attention", StepStatus.DONE),
        }
        assert await tx.steps.sessions_with("report", StepStatus.PENDING) == []


async def test_a_scopes_posts_come_in_the_order_decided_and_a_message_finds_its_post(db: Database) -> None:
    uow = SqlUnitOfWork(db)
    session_id = await add_session(uow)
    scope = f"card:{session_id}:11"
    body = {"content": "card", "embeds": [], "mentions": []}
    async with uow.begin() as tx:
        for key in ("card:2", "card:1", "card-edit:1"):
            await tx.outbox.enqueue(scope=scope, key=key, channel_id=11, payload=body, now=NOW, kind="dm")
    async with db.session() as s, s.begin():  # delivered: the message ids the platform gave
        await s.execute(update(PostRow).where(PostRow.key == "card:1").values(message_id=900))
        await s.execute(update(PostRow).where(PostRow.key == "card-edit:1").values(message_id=901))
    async with uow.read() as tx:
        assert [p.key for p in await tx.outbox.posts(scope, "card:")] == ["card:2", "card:1"]
        pressed = await tx.outbox.by_message(scope, 900, "card:")
        assert pressed is not None and pressed.key == "card:1" and pressed.kind == "dm"
        assert await tx.outbox.by_message(scope, 901, "card:") is None  # an edit, not a card
