"""Seated students' display names in the database (`NameRepository`): remembered at seating time, refreshed
when seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import DisplayName

NAME_MAX = 200


async def remember(s: AsyncSession, guild_id: int, names: Mapping[int, str], now: datetime) -> None:
    """Store (or update) the display names of these users of a guild, in the caller's transaction."""
    if not names:
        return
    rows = await s.scalars(
        select(DisplayName).where(DisplayName.guild_id == guild_id, DisplayName.user_id.in_(list(names)))
    )
    known = {row.user_id: row for row in rows}
    for user_id, name in names.items():
        name = name[:NAME_MAX]
        row = known.get(user_id)
        if row is None:
            s.add(DisplayName(guild_id=guild_id, user_id=user_id, name=name, seen_at=now))
        elif row.name != name:
            row.name, row.seen_at = name, now


async def refresh(s: AsyncSession, guild_id: int, user_id: int, name: str, now: datetime) -> bool:
    """Update a remembered user's name if it changed; returns whether the user is remembered at all."""
    row = await s.get(DisplayName, (guild_id, user_id))
    if row is None:
        return False
    if row.name != name[:NAME_MAX]:
        row.name, row.seen_at = name[:NAME_MAX], now
    return True


async def of_guild(s: AsyncSession, guild_id: int) -> dict[int, str]:
    """Every remembered display name of a guild, by user id."""
    rows = await s.scalars(select(DisplayName).where(DisplayName.guild_id == guild_id))
    return {row.user_id: row.name for row in rows}


class SqlNames:
    """`NameRepository` over the `display_names` table."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def of_guild(self, guild_id: int) -> dict[int, str]:
        """Every remembered display name of a guild, by user id."""
        return await of_guild(self.s, guild_id)

    async def refresh(self, guild_id: int, user_id: int, name: str, now: datetime) -> bool:
        """Update a remembered user's name if it changed; whether the user is remembered at all."""
        return await refresh(self.s, guild_id, user_id, name, now)

    async def remember(self, guild_id: int, names: Mapping[int, str], now: datetime) -> None:
        """Store (or update) these users' display names."""
        await remember(self.s, guild_id, names, now)
