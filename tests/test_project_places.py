"""The database keeps a proposal's places and a group's seats even when two changes read the same state.

SQLite serialises transactions, so to show what happens on a database that does not (PostgreSQL), one
change is made to decide on a stale reading: its insert hits the unique constraint, and the service
answers from the fresh state, clearly, with the alternatives.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_config
from bot.core.clock import SystemClock
from bot.core.errors import ConductorError
from bot.services.projects import ProjectService
from bot.storage import projects as store
from bot.storage.db import Database
from bot.storage.uow import SqlUnitOfWork

ROOT = Path(__file__).resolve().parents[1]
GUILD = 1


async def _nothing(_scope: str) -> None:
    return None


@pytest.fixture
async def service(tmp_path: Path) -> Any:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    await db.migrate()
    course = load_config(ROOT / "config.toml")
    course = replace(course, project_rules=replace(course.project_rules, lock_at=None))
    yield ProjectService(course, SqlUnitOfWork(db), SystemClock(), _nothing)
    await db.close()


def stale_once(monkeypatch: pytest.MonkeyPatch, stale: Any) -> list[int]:
    """Make the next read of the groups return `stale` (what a concurrent transaction saw)."""
    real = store.load
    calls: list[int] = []

    async def load(s: Any, guild_id: int, base: Any) -> Any:
        calls.append(1)
        return stale if len(calls) == 1 else await real(s, guild_id, base)

    monkeypatch.setattr(store, "load", load)
    return calls


async def test_the_last_place_goes_to_one_group_and_the_other_is_told(
    service: ProjectService, monkeypatch: pytest.MonkeyPatch
) -> None:
    for user, name in ((1, "One"), (2, "Two"), (3, "Three")):
        await service.create(GUILD, user, name)
    await service.choose(GUILD, 1, "foodclip")
    stale = await service.state(GUILD)  # one place left, as both racers saw it
    await service.choose(GUILD, 2, "foodclip")
    calls = stale_once(monkeypatch, stale)
    with pytest.raises(ConductorError, match=r"is full: 2 groups.*Still free: \*\*CubeDETR"):
        await service.choose(GUILD, 3, "foodclip")
    assert len(calls) >= 2  # refused by the database, then answered from the fresh state
    state = await service.state(GUILD)
    assert state.taken("foodclip") == 2 and state.group_of(3).proposal is None  # type: ignore[union-attr]


async def test_the_last_seat_goes_to_one_student(
    service: ProjectService, monkeypatch: pytest.MonkeyPatch
) -> None:
    await service.create(GUILD, 1, "Full house")
    code = (await service.state(GUILD)).groups[0].code
    for user in (2, 3):
        await service.join(GUILD, user, code)
    stale = await service.state(GUILD)
    await service.join(GUILD, 4, code)
    stale_once(monkeypatch, stale)
    with pytest.raises(ConductorError, match="is full \\(4 students"):
        await service.join(GUILD, 5, code)
    state = await service.state(GUILD)
    assert state.groups[0].members == (1, 2, 3, 4) and state.group_of(5) is None
