"""The storage layer behaves the same on SQLite and PostgreSQL: times, JSON, snowflakes, the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from bot.storage import outbox
from bot.storage import sessions as store
from bot.storage.db import Database
from bot.storage.models import PostRow, SessionRow
from tests.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES

# The largest id a BIGINT holds, and a real-looking Discord snowflake.
SNOWFLAKES = (2**63 - 1, 1_216_789_012_345_678_901)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


def session_row(guild_id: int, started: datetime, **extra: object) -> SessionRow:
    values: dict[str, object] = {
        "guild_id": guild_id,
        "channel_id": guild_id - 1,
        "plan_name": "fast",
        "status": "running",
        "entries": [{"key": "k", "name": "Naïve café ✓", "nested": {"a": [1, 2.5, None, True]}}],
        "durations_ms": [2000, 3000],
        "started_at": started,
        "cursor": -1,
        "open_posts": [],
        "created_by": SNOWFLAKES[1],
        "created_at": started,
        **extra,
    }
    return SessionRow(**values)


async def test_times_come_back_aware_utc_and_exact_and_naive_ones_are_refused(db: Database) -> None:
    copenhagen = timezone(timedelta(hours=1))
    started = datetime(2024, 3, 12, 13, 50, 7, 123456, tzinfo=copenhagen)
    async with db.session() as s, s.begin():
        row = session_row(SNOWFLAKES[0], started, paused_at=started + timedelta(minutes=5))
        s.add(row)
    async with db.session() as s:
        back = await s.get(SessionRow, row.id, populate_existing=True)
        assert back is not None
        assert back.started_at == started and back.started_at.tzinfo == UTC
        assert back.started_at.hour == 12 and back.started_at.microsecond == 123456
        assert back.paused_at == started + timedelta(minutes=5)
        assert back.stopped_at is None
        # Comparing stored times in SQL orders them as instants, whatever zone they were given in.
        later = await s.scalars(
            select(SessionRow.id).where(SessionRow.started_at > datetime(2024, 3, 12, 12, 50, tzinfo=UTC))
        )
        assert list(later) == [row.id]
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.session() as s, s.begin():
            s.add(session_row(1, datetime(2024, 3, 12, 13, 50)))  # noqa: DTZ001


async def test_json_columns_and_64_bit_snowflakes_round_trip(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.session() as s, s.begin():
        for guild_id in SNOWFLAKES:
            s.add(session_row(guild_id, now))
    async with db.session() as s:
        rows = await store.all_live(s)
        assert sorted(r.guild_id for r in rows) == sorted(SNOWFLAKES)
        assert all(r.created_by == SNOWFLAKES[1] for r in rows)
        assert rows[0].entries == [
            {"key": "k", "name": "Naïve café ✓", "nested": {"a": [1, 2.5, None, True]}}
        ]
        assert rows[0].durations_ms == [2000, 3000]
        found = await store.live_in_channel(s, SNOWFLAKES[0], SNOWFLAKES[0] - 1)
        assert found is not None and found.guild_id == SNOWFLAKES[0]


async def test_the_outbox_keeps_one_post_per_key_and_lists_what_is_pending(db: Database) -> None:
    now = datetime.now(UTC)
    payload = {"content": "Now: **Do the role!** <t:1710251400:R>", "embeds": [], "mentions": [SNOWFLAKES[1]]}
    async with db.session() as s, s.begin():
        first = await outbox.enqueue(
            s, scope="session:1", key="start:0", channel_id=SNOWFLAKES[0], payload=payload, now=now
        )
        again = await outbox.enqueue(
            s, scope="session:1", key="start:0", channel_id=SNOWFLAKES[0], payload={}, now=now
        )
        later = await outbox.enqueue(
            s,
            scope="session:2",
            key="start:0",
            channel_id=1,
            payload={},
            now=now,
            not_before=now + timedelta(seconds=1),
        )
    assert first is not None and again is None and later is not None
    async with db.session() as s:
        assert sorted(await outbox.pending_scopes(s)) == ["session:1", "session:2"]
        pending = await outbox.pending(s, "session:1")
        assert [p.payload for p in pending] == [payload]
        assert pending[0].channel_id == SNOWFLAKES[0]
        assert await outbox.keys(s, "session:1", "start:") == frozenset({"start:0"})
        assert (await outbox.find(s, "session:2", "start:0")).not_before == now + timedelta(seconds=1)  # type: ignore[union-attr]
    async with db.session() as s, s.begin():
        stored = await s.get(PostRow, first)
        assert stored is not None
        stored.status = "sent"
    async with db.session() as s:
        assert await outbox.pending_scopes(s) == ["session:2"]
