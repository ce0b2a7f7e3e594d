"""Preview, reshuffle (a preview with another seed) and cancel: nothing reaches students yet."""

from __future__ import annotations

import secrets

from bot.core.assignment import solve
from bot.core.errors import ConductorError
from bot.core.statuses import LIVE, SeatStatus
from bot.services.assignments.base import ServiceBase
from bot.services.assignments.model import AlreadyConfirmed, ClassList, Preview
from bot.storage import assignments as store
from bot.storage.models import SessionRow


class Previewing(ServiceBase):
    """Solves the class into a stored preview; cancels it."""

    async def preview(
        self,
        *,
        guild_id: int,
        channel_id: int,
        roster: ClassList,
        seed: int | None = None,
        replace: bool = False,
        session_id: int | None = None,
    ) -> Preview:
        """Solve for the class (checked-in students when anyone checked in) and store it as the preview."""
        seed = secrets.randbelow(2**31) if seed is None else seed
        now = self.clock.now()
        async with self.db.session() as s, s.begin():
            if session_id is not None:
                row = await s.get(SessionRow, session_id)
                if row is None or row.status not in LIVE:
                    raise ConductorError("That session is over: run `/session start` and `/assign` again.")
            else:
                row = await self._live(s, guild_id, channel_id)
            confirmed = await store.seats(s, row.id, SeatStatus.CONFIRMED)
            if confirmed and not replace:
                raise AlreadyConfirmed(row.id)
            present = await store.checked_in(s, row.id)
            students = [u for u in roster.students if not present or u in present]
            history = await store.history(s, guild_id, row.id)
            with self._worded(roster):  # AssignmentImpossible explains itself; nothing is stored
                assignment = solve(
                    [str(u) for u in students], self.papers, self.roles, history=history, seed=seed
                )
            await store.replace_seats(s, row.id, SeatStatus.PREVIEW, assignment, seed, now)
            return Preview(row.id, seed, assignment, bool(confirmed), bool(present))

    async def cancel(self, session_id: int, seed: int) -> str:
        """Drop the preview (only the one shown with this seed)."""
        async with self.db.session() as s, s.begin():
            rows = await store.seats(s, session_id, SeatStatus.PREVIEW)
            if not rows or rows[0].seed != seed:
                return "That preview is no longer current: nothing to cancel."
            await store.drop_seats(s, session_id, SeatStatus.PREVIEW)
        return "Cancelled: nothing was sent to students."
