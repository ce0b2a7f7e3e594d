"""Students' display names as last seen: kept in the database so exports need no live Discord connection."""

from __future__ import annotations

import logging

from bot.core.clock import Clock
from bot.services.ports import UnitOfWork

log = logging.getLogger(__name__)


class DisplayNames:
    """Refreshes a remembered student's stored display name when they are seen under another one.

    Names are first stored when a student is seated (`bot.services.assignments`); after that, every
    interaction and member update passes here. What was last checked is kept in memory, so the
    database is read once per seated student and name, and written only when a name really changed.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock
        self._checked: dict[tuple[int, int], str] = {}

    async def seen(self, guild_id: int, user_id: int, name: str) -> None:
        """A member of a guild was seen with this display name: update it if they are remembered."""
        key = (guild_id, user_id)
        if self._checked.get(key) == name:
            return
        try:
            async with self.uow.begin() as tx:
                remembered = await tx.names.refresh(guild_id, user_id, name, self.clock.now())
        except Exception:  # a name is never worth failing anything for; the next sighting retries
            log.warning("could not refresh the display name of user %s", user_id, exc_info=True)
            return
        if remembered:  # someone not seated yet is looked up again: they may be seated meanwhile
            self._checked[key] = name
