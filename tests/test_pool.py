"""The database's connection pool when the database cannot be reached: every caller hears why, at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.storage.db import Database
from bot.storage.models import PostRow


async def test_when_the_database_cannot_be_opened_every_waiting_caller_gets_the_real_error(
    tmp_path: Path,
) -> None:
    # Five look-ups at once (a class pressing buttons) queue for SQLite's one connection while the file
    # is gone and a folder stands in its place: each is told why, none waits out the pool's 30 s and
    # then hears only that the pool was busy.
    path = tmp_path / "conductor.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    path.unlink()
    await db.engine.dispose()
    path.mkdir()

    async def look_up() -> BaseException | None:
        try:
            async with db.session() as s:
                await s.scalar(select(PostRow))
        except Exception as error:
            return error
        return None

    try:
        errors = await asyncio.wait_for(asyncio.gather(*(look_up() for _ in range(5))), timeout=25)
    finally:
        await db.close()
    assert all(isinstance(e, OperationalError) and "unable to open" in str(e) for e in errors), errors
