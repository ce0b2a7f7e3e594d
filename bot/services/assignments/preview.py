"""Preview, reshuffle (a preview with another seed) and cancel: nothing reaches students yet."""

from __future__ import annotations

import secrets

from bot.core.assignment import solve
from bot.core.errors import ConductorError
from bot.core.statuses import LIVE, SeatStatus
from bot.services.assignments.base import ServiceBase
from bot.services.assignments.model import AlreadyConfirmed, ClassList, Preview


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
        async with self.uow.begin() as tx:
            if session_id is not None:
                row = await tx.sessions.get(session_id)
                if row is None or row.status not in LIVE:
                    raise ConductorError("That session is over: run `/session start` and `/assign` again.")
            else:
                row = await self._live(tx, guild_id, channel_id)
            confirmed = await tx.seats.of_status(row.id, SeatStatus.CONFIRMED)
            if confirmed and not replace:
                raise AlreadyConfirmed(row.id)
            present = await tx.checkins.present(row.id)
            students = [u for u in roster.students if not present or u in present]
            history = await tx.seats.history(guild_id, row.id)
            with self._worded(roster):  # AssignmentImpossible explains itself; nothing is stored
                assignment = solve(
                    [str(u) for u in students], self.papers, self.roles, history=history, seed=seed
                )
            await tx.seats.replace(row.id, SeatStatus.PREVIEW, assignment, seed, now)
            return Preview(row.id, seed, assignment, bool(confirmed), bool(present))

    async def cancel(self, session_id: int, seed: int) -> str:
        """Drop the preview (only the one shown with this seed)."""
        async with self.uow.begin() as tx:
            rows = await tx.seats.of_status(session_id, SeatStatus.PREVIEW)
            if not rows or rows[0].seed != seed:
                return "That preview is no longer current: nothing to cancel."
            await tx.seats.drop(session_id, SeatStatus.PREVIEW)
        return "Cancelled: nothing was sent to students."
