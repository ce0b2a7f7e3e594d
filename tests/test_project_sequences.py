"""Random sequences of project actions through the service and the database agree with the pure rules,
and the stored seat and place numbers stay within 1..max (hypothesis)."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.config import load_config
from bot.core import projects as rules
from bot.core.clock import SystemClock
from bot.core.errors import ConductorError
from bot.services.projects import ProjectService
from bot.storage.db import Database
from bot.storage.models import ProjectMemberRow, ProjectPlaceRow
from bot.storage.uow import SqlUnitOfWork

ROOT = Path(__file__).resolve().parents[1]
COURSE = load_config(ROOT / "config.toml")
COURSE = replace(COURSE, project_rules=replace(COURSE.project_rules, lock_at=None))
GUILD = 7
USERS = st.integers(min_value=1, max_value=9)
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), USERS, st.sampled_from(["A", "B", "C"])),
        st.tuples(st.just("join"), USERS, st.sampled_from(["A", "B", "C"])),
        st.tuples(st.just("leave"), USERS, st.just("")),
        st.tuples(st.just("choose"), USERS, st.sampled_from(["foodclip", "cubedetr"])),
        st.tuples(st.just("propose"), USERS, st.just("")),
        st.tuples(st.just("approve"), st.just(0), st.sampled_from(["A", "B", "C"])),
        st.tuples(st.just("place"), USERS, st.sampled_from(["A", "B", "C"])),
    ),
    min_size=5,
    max_size=30,
)


async def _flush(_scope: str) -> None:
    return None


async def run(actions: list[tuple[str, int, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'p.db'}")
        await db.migrate()
        service = ProjectService(COURSE, SqlUnitOfWork(db), SystemClock(), _flush)
        try:
            for act, user, arg in actions:
                state = await service.state(GUILD)
                named = {g.name: g for g in state.groups}
                try:
                    if act == "create":
                        await service.create(GUILD, user, arg)
                    elif act == "join":
                        if arg not in named:
                            continue
                        await service.join(GUILD, user, named[arg].code)
                    elif act == "leave":
                        await service.leave(GUILD, user)
                    elif act == "choose":
                        await service.choose(GUILD, user, arg)
                    elif act == "propose":
                        await service.propose(GUILD, user, "Own", "An abstract.")
                    elif act == "approve":
                        await service.approve(GUILD, 0, arg)
                    else:
                        await service.place(GUILD, 0, user, arg)
                except ConductorError:
                    after = await service.state(GUILD)
                    assert after == state  # a refusal changes nothing
                    continue
                after = await service.state(GUILD)
                assert rules.problems(after) == []
                async with db.session() as s:
                    seats = list(await s.scalars(select(ProjectMemberRow)))
                    places = list(await s.scalars(select(ProjectPlaceRow)))
                assert all(1 <= m.seat_no <= COURSE.project_rules.max_size for m in seats)
                assert all(1 <= p.place_no <= 2 for p in places)
                assert sorted(m.user_id for m in seats) == sorted(u for g in after.groups for u in g.members)
        finally:
            await db.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_the_database_follows_the_rules_under_random_sequences(actions: list[tuple[str, int, str]]) -> None:
    asyncio.run(run(actions))
