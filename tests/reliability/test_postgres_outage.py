"""PostgreSQL briefly unreachable (the server stopped for a few seconds while a session runs): commands
get a clear answer instead of an apology, and once the server is back the session catches up, with
every phase said once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.storage.models import PostRow
from discord_sandbox import Sandbox
from tests.e2e.conftest import Classroom, open_class, write_config
from tests.pg import PostgresServer

from .conftest import bot_posts, duplicates, first_title

pytestmark = pytest.mark.e2e

PHASES = ["Now: Introduce and assign roles", "Now: Do the role!", "Now: Discuss with your role-partner"]
DOWN_SECONDS = 3.0  # the outage: longer than a phase, so a transition falls inside it


@pytest.fixture
async def room(sandbox: Sandbox, tmp_path: Path, pg_server: PostgresServer) -> AsyncIterator[Classroom]:
    config = write_config(tmp_path, warning_seconds="warning_seconds = [1]\n# ")
    url = await pg_server.create_database()
    classroom = await open_class(sandbox, tmp_path, config, students=3, database_url=url)
    try:
        yield classroom
    finally:
        await classroom.stop_bot()


async def test_a_brief_postgres_outage_gets_a_clear_answer_and_the_session_catches_up(
    room: Classroom, pg_server: PostgresServer
) -> None:
    sb = room.sandbox
    await room.run(room.instructor, "session start", plan="fast")
    await sb.wait_for(lambda: any(first_title(m) == PHASES[0] for m in room.posts()), timeout=10)
    await asyncio.to_thread(pg_server.interrupt)
    try:
        status = await room.run(room.instructor, "session status")
        assert "I cannot reach my database right now" in status.text, status.text
        assert "cannot reach the database server" in status.text
        await asyncio.sleep(DOWN_SECONDS)  # the outage itself: the next phase is due meanwhile
    finally:
        await asyncio.to_thread(pg_server.resume)

    def ended() -> bool:
        posts = room.posts()
        done = any("end of the session" in (m.content or "") for m in posts)
        return done and not any((m.embeds or [{}])[0].get("title", "").startswith("Now:") for m in posts)

    await sb.wait_for(ended, timeout=40, what="the session to catch up and end")
    posts = bot_posts(sb, room.channel)
    titles = [first_title(m) for m in posts]
    # Each phase is announced once, or (if it came and went during the outage) summarised once.
    announced = [t for t in titles if t.startswith("Now:")]
    summarised = [
        f"Now: {name}"
        for m in posts
        for embed in (m.edits[0] if m.edits else {"embeds": m.embeds}).get("embeds") or []
        for f in embed.get("fields", [])
        if f["name"] == "Already over"
        for name in f["value"].split(", ")
    ]
    assert sorted(announced + summarised) == sorted(PHASES), (announced, summarised)
    assert sum("end of the session" in (m.content or "") for m in posts) == 1
    assert duplicates(posts) == []
    assert room.bot is not None
    assert await room.bot.deliverer.settle()  # the last round has written what it sent
    async with room.bot.db.session() as s:
        statuses = Counter(
            dict((await s.execute(select(PostRow.status, func.count()).group_by(PostRow.status))).all())
        )
        left = (await s.execute(select(PostRow.key, PostRow.status).where(PostRow.status != "sent"))).all()
    assert statuses["pending"] == 0 and statuses["failed"] == 0, left
