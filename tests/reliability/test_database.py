"""The database in trouble: a SQLite file locked by another process for a few seconds, and one deleted
while the bot runs. The bot answers every command in time, says what is wrong, and loses or repeats
nothing.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.storage.models import PostRow
from discord_sandbox import Sandbox
from tests.e2e.conftest import Classroom, open_class, write_config

from .conftest import (
    assert_each_phase_said_once,
    bot_posts,
    first_title,
    outbox_statuses,
)

pytestmark = pytest.mark.e2e

PHASES = ["Now: Introduce and assign roles", "Now: Do the role!", "Now: Discuss with your role-partner"]
LOCK_SECONDS = 2.5  # the other process holds its lock this long: less than busy_timeout (5 s)


@pytest.fixture
async def room(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[Classroom]:
    config = write_config(tmp_path, warning_seconds="warning_seconds = [1]\n# ")
    classroom = await open_class(sandbox, tmp_path, config, students=3)
    try:
        yield classroom
    finally:
        await classroom.stop_bot()


def seen(room: Classroom, title: str) -> bool:
    return any(title in first_title(m) for m in bot_posts(room.sandbox, room.channel))


def ended(room: Classroom) -> bool:
    """The end was announced and every phase post was marked over."""
    posts = bot_posts(room.sandbox, room.channel)
    done = any("end of the session" in (m.content or "") for m in posts)
    return done and not any((m.embeds or [{}])[0].get("title", "").startswith("Now:") for m in posts)


def bot_alive(room: Classroom) -> bool:
    return room.bot is not None and not room.bot.is_closed() and not any(r.done() for r in room.runs)


async def test_a_database_locked_by_another_process_delays_commands_but_loses_and_repeats_nothing(
    room: Classroom, tmp_path: Path
) -> None:
    sb = room.sandbox
    db = tmp_path / "conductor.db"
    await room.run(room.instructor, "session start", plan="fast")
    await sb.wait_for(lambda: seen(room, "Introduce"), timeout=10)

    # Another process takes the write lock (in a thread: it may itself wait for the bot's transaction).
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False, timeout=10)
    await asyncio.to_thread(other.execute, "BEGIN EXCLUSIVE")
    locked_at = time.monotonic()
    try:
        asked = time.monotonic()
        pause = await sb.run_command(room.instructor, "session pause", channel=room.channel)
        assert time.monotonic() - asked < sb.limits.interaction_deadline  # answered (deferred) in time
        assert pause.deferred and pause.ephemeral
        await asyncio.sleep(max(0.0, LOCK_SECONDS - (time.monotonic() - locked_at)))  # the other process
        assert "Done" not in pause.text  # the lock did hold the pause back
    finally:
        other.execute("ROLLBACK")
        other.close()

    await pause.wait_followup(timeout=10)
    # Released within busy_timeout: the pause went through (had it not, the answer names the database).
    assert "Done" in pause.text or "database" in pause.text, pause.text
    resume = await room.run(room.instructor, "session resume")
    assert "Done" in resume.text or "database" in resume.text, resume.text
    await sb.wait_for(lambda: ended(room), timeout=20, what="the end")
    await sb.wait_for(lambda: outbox_statuses(db)["pending"] == 0, timeout=10)

    posts = bot_posts(sb, room.channel)
    assert_each_phase_said_once(posts, PHASES, db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    assert bot_alive(room)


async def test_a_deleted_database_gets_a_clear_answer_and_a_log_line_and_crashes_nothing(
    room: Classroom, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sb, bot = room.sandbox, room.bot
    assert bot is not None
    db = tmp_path / "conductor.db"
    files = (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"))
    await room.run(room.instructor, "session start", plan="fast")
    await sb.wait_for(lambda: seen(room, "Introduce"), timeout=10)
    for path in files:
        path.unlink(missing_ok=True)

    # The open connection would still hold the deleted file (POSIX keeps it while open; SQLite in WAL
    # mode does not notice): the bot checks the file each time it takes its connection, logs the
    # deletion, reconnects, and finds an empty database. The instructor gets a clear answer.
    caplog.set_level(logging.ERROR)
    status = await room.run(room.instructor, "session pause")
    assert status.deferred and status.ephemeral
    assert "cannot reach my database" in status.text and "no such table" in status.text, status.text
    assert f"reference {status.id}" in status.text
    logged = [r.getMessage() for r in caplog.records]
    assert any("was deleted or replaced" in m for m in logged), logged
    assert any("database problem" in m and "no such table" in m for m in logged), logged

    # The file cannot be opened at all: the answer says so.
    for path in files:
        path.unlink(missing_ok=True)
    await bot.db.engine.dispose()
    db.mkdir()  # where the file was is now a folder: SQLite cannot open it
    again = await room.run(room.instructor, "session status")
    assert again.ephemeral
    assert "cannot reach my database" in again.text and "unable to open" in again.text, again.text
    assert f"reference {again.id}" in again.text
    roles = await room.run(room.instructor, "roles status")  # the assignments say the same
    assert "cannot reach my database" in roles.text and "unable to open" in roles.text, roles.text

    # Nothing crashed, nothing was half-written, and no apology hid what went wrong.
    assert bot_alive(room)
    assert "something went wrong" not in status.text + again.text + roles.text
    async with bot.db.session() as s:
        with pytest.raises(OperationalError, match="unable to open"):
            await s.scalar(select(PostRow))


async def test_a_transition_that_hits_a_database_error_is_retried_and_the_session_goes_on(
    classroom: Classroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A timer that fails (e.g. the database locked for longer than busy_timeout) never stalls the session."""
    assert classroom.bot is not None
    service = classroom.bot.sessions
    real = service._decide_and_record
    failures: list[int] = []

    async def flaky(session_id: int, now: object) -> object:
        if not failures:
            failures.append(session_id)
            raise RuntimeError("database is locked")
        return await real(session_id, now)  # type: ignore[arg-type]

    await classroom.run(classroom.instructor, "session start", plan="fast")
    monkeypatch.setattr(service, "_decide_and_record", flaky)
    await classroom.sandbox.wait_for(
        lambda: any("end of the session" in (m.content or "") for m in classroom.posts()),
        timeout=30,
        what="the session to end despite the failed transition",
    )
    assert failures
