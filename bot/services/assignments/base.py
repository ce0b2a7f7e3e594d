"""The state and helpers every part of the assignment service shares."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Literal

from bot.core.assignment import Assignment, AssignmentImpossible, RoleSlot, Seat
from bot.core.clock import Clock
from bot.core.errors import ConductorError
from bot.core.message import plain_text
from bot.core.plan import Course
from bot.core.statuses import SeatStatus
from bot.core.timeline import phase_blocks
from bot.messages import assignment as render
from bot.services.assignments.model import ClassList, in_words
from bot.services.assignments.ports import Flush, ThreadPort
from bot.services.ports import SeatRecord, SessionRecord, Timers, Transaction, UnitOfWork


class ServiceBase:
    """The service's collaborators, the configured papers and roles, and lookups all parts use."""

    def __init__(
        self,
        course: Course,
        uow: UnitOfWork,
        clock: Clock,
        timers: Timers,
        flush: Flush,
        threads: ThreadPort,
        owns: Callable[[int], bool] | None = None,
    ) -> None:
        self.course = course
        self.uow = uow
        self.clock = clock
        self.timers = timers
        self.flush = flush
        self.threads = threads
        # The guilds this process serves (all, unless sharded across processes: bot.core.shards).
        self.owns = owns
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    @property
    def papers(self) -> tuple[str, ...]:
        """The configured paper keys, in configuration order."""
        return tuple(p.key for p in self.course.papers)

    @property
    def roles(self) -> tuple[RoleSlot, ...]:
        """The configured roles as solver slots."""
        return tuple(RoleSlot(r.key, r.min, r.max, r.name) for r in self.course.roles)

    @contextmanager
    def _worded(self, roster: ClassList) -> Iterator[None]:
        """Where the solver's refusals reach users: reworded with titles and names (`in_words`)."""
        try:
            yield
        except AssignmentImpossible as error:
            papers = {p.key: p.title for p in self.course.papers}
            roles = {r.key: r.name for r in self.course.roles}
            text = in_words(str(error), papers, roles, roster.students)
            worded = AssignmentImpossible(plain_text(text), paper=error.paper, role=error.role)
            worded.rich = text  # as users read it: their names shown as typed
            raise worded from error

    def _key(self, typed: str, kind: Literal["paper", "role"]) -> str:
        """A paper or role as typed (key, title or name, any case) to its key; unknown text is kept."""
        named = (
            {p.key: (p.key, p.title) for p in self.course.papers}
            if kind == "paper"
            else {r.key: (r.key, r.name) for r in self.course.roles}
        )
        wanted = typed.strip().casefold()
        return next((k for k, names in named.items() if wanted in {n.casefold() for n in names}), typed)

    def _assignment(self, seats: list[SeatRecord]) -> Assignment:
        """The pure assignment that stored seats describe (students are user ids as strings)."""
        return Assignment(
            seats={str(r.user_id): Seat(r.paper_key, r.role_key) for r in seats},
            papers=self.papers,
            roles=self.roles,
        )

    async def _seated(self, tx: Transaction, session_id: int) -> Assignment:
        """The session's confirmed assignment (no seats when there is none)."""
        return self._assignment(await tx.seats.of_status(session_id, SeatStatus.CONFIRMED))

    async def _live(self, tx: Transaction, guild_id: int, channel_id: int) -> SessionRecord:
        row = await tx.sessions.live_in_channel(guild_id, channel_id)
        if row is None:
            raise ConductorError(
                f"No session is running in <#{channel_id}>: run `/session start` first, then `/assign`."
            )
        return row

    async def _confirmed(self, tx: Transaction, session_id: int) -> Assignment:
        a = await self._seated(tx, session_id)
        if not a.seats:
            raise ConductorError("This session has no confirmed assignment yet: run `/assign` first.")
        return a

    def _wanted(self, a: Assignment, roster: ClassList) -> dict[str, set[int]]:
        """Who belongs in which thread: each paper group (plus its teachers) and each role-partner set."""
        wanted: dict[str, set[int]] = {}
        for paper in a.papers:
            group = {int(u) for u in a.group(paper)}
            if group:
                wanted[f"group:{paper}"] = group | set(roster.teachers.get(paper, ()))
            for slot in a.roles:
                members = {int(u) for u in a.members(paper, slot.key)}
                if members:
                    wanted[f"partners:{paper}:{slot.key}"] = members
        return wanted

    def _timeline(self, row: SessionRecord) -> tuple[tuple[str, datetime, datetime], ...]:
        out: list[tuple[str, datetime, datetime]] = []
        for key, name, start, end, _ in phase_blocks(row.timeline):
            phase = self.course.phases.get(key)
            out.append((phase.name if phase else name, start, end))
        return tuple(out)

    def _card(self, row: SessionRecord, a: Assignment, user_id: int) -> render.CardInfo:
        seat = a.seats[str(user_id)]
        paper = self.course.paper(seat.paper)
        return render.CardInfo(
            session_id=row.id,
            user_id=user_id,
            paper=paper,
            role=self.course.role(seat.role),
            partners=tuple(int(u) for u in a.partners(str(user_id))),
            teachers=paper.teachers,
            timeline=self._timeline(row),
        )
