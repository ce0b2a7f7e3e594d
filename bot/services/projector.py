"""The projector page's use cases: a session's link token, and the board it shows at this instant."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from bot.core.clock import Clock
from bot.core.errors import ConductorError
from bot.core.plan import Course
from bot.core.projector import Board, board
from bot.storage import names as names_store
from bot.storage import projector as tokens
from bot.storage import sessions as store
from bot.storage.db import Database
from bot.storage.models import AssignmentRow, SessionRow, Submission


class ProjectorService:
    """Finds a session by its page token and builds what its page shows."""

    def __init__(self, course: Course, db: Database, clock: Clock) -> None:
        self.course = course
        self.db = db
        self.clock = clock

    async def token(self, guild_id: int, channel_id: int) -> tuple[int, str]:
        """The live session of a channel and its page token (made on first use)."""
        async with self.db.session() as s, s.begin():
            row = await store.live_in_channel(s, guild_id, channel_id)
            if row is None:
                raise ConductorError(
                    "No session is running in this channel, so there is nothing to project. "
                    "Start one with `/session start`."
                )
            return row.id, await tokens.token_for(s, row.id)

    async def open(self, token: str) -> int | None:
        """The live session a token opens; None when the token is wrong or its session has ended."""
        async with self.db.session() as s:
            row = await tokens.session_of(s, token)
            return row.id if row is not None and row.status in store.LIVE else None

    async def board(self, session_id: int) -> Board | None:
        """What the session's page shows now (None when there is no such session)."""
        async with self.db.session() as s:
            row = await s.get(SessionRow, session_id)
            if row is None:
                return None
            seated = await s.scalars(
                select(AssignmentRow).where(
                    AssignmentRow.session_id == session_id, AssignmentRow.status == "confirmed"
                )
            )
            seats: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
            for a in seated:
                seats[(a.paper_key, a.role_key)].append(a.user_id)
            current = await s.scalars(
                select(Submission).where(
                    Submission.session_id == session_id,
                    Submission.kind == "slides",
                    Submission.current.is_(True),
                )
            )
            slides = {sub.group_key: str(sub.payload.get("url", "")) for sub in current}
            timeline = store.timeline_of(row)
            names = await names_store.of_guild(s, row.guild_id) if seats else {}
            plan = row.plan_name
        presenters = {
            key: tuple(names.get(u, "a student") for u in sorted(users, key=lambda u: names.get(u, "")))
            for key, users in seats.items()
        }
        return board(self.course, plan, timeline, self.clock.now(), presenters, slides)
