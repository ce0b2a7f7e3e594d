"""The projector page's use cases: a session's link token, and the board it shows at this instant."""

from __future__ import annotations

from collections import defaultdict

from bot.core.clock import Clock
from bot.core.errors import ConductorError
from bot.core.plan import Course
from bot.core.projector import Board, board
from bot.core.statuses import LIVE
from bot.core.submissions import SLIDES
from bot.services.ports import UnitOfWork


class ProjectorService:
    """Finds a session by its page token and builds what its page shows."""

    def __init__(self, course: Course, uow: UnitOfWork, clock: Clock) -> None:
        self.course = course
        self.uow = uow
        self.clock = clock

    async def token(self, guild_id: int, channel_id: int) -> tuple[int, str]:
        """The live session of a channel and its page token (made on first use)."""
        async with self.uow.begin() as tx:
            row = await tx.sessions.live_in_channel(guild_id, channel_id)
            if row is None:
                raise ConductorError(
                    "No session is running in this channel, so there is nothing to project. "
                    "Start one with `/session start`."
                )
            return row.id, await tx.tokens.projector_token(row.id)

    async def open(self, token: str) -> int | None:
        """The live session a token opens; None when the token is wrong or its session has ended."""
        async with self.uow.read() as tx:
            row = await tx.tokens.projector_session(token)
            return row.id if row is not None and row.status in LIVE else None

    async def board(self, session_id: int) -> Board | None:
        """What the session's page shows now (None when there is no such session)."""
        async with self.uow.read() as tx:
            row = await tx.sessions.get(session_id)
            if row is None:
                return None
            seats: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
            for a in await tx.seats.confirmed(session_id):
                seats[(a.paper_key, a.role_key)].append(a.user_id)
            current = await tx.submissions.current(session_id, SLIDES)
            slides = {sub.group_key: str(sub.payload.get("url", "")) for sub in current}
            timeline = row.timeline
            names = await tx.names.of_guild(row.guild_id) if seats else {}
            plan = row.plan_name
        presenters = {
            key: tuple(names.get(u, "a student") for u in sorted(users, key=lambda u: names.get(u, "")))
            for key, users in seats.items()
        }
        return board(self.course, plan, timeline, self.clock.now(), presenters, slides)
