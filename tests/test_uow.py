"""The SQLAlchemy unit of work behind the use cases' ports: commits, rolls back, and speaks the application's errors."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from bot.core.timeline import Step, Timeline
from bot.services.errors import Conflict, StorageUnavailable
from bot.services.ports import NewRosterEntry, UnitOfWork
from bot.storage.db import Database
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


async def add_session(uow: UnitOfWork) -> int:
    async with uow.begin() as tx:
        row = await tx.sessions.add(
            guild_id=1,
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
