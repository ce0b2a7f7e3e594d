"""The class list in the database: one row per known student of a guild."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import RosterEntry


async def entries(s: AsyncSession, guild_id: int) -> list[RosterEntry]:
    """A guild's class list, by student id."""
    query = select(RosterEntry).where(RosterEntry.guild_id == guild_id)
    return list(await s.scalars(query.order_by(RosterEntry.student_id)))


async def replace(s: AsyncSession, guild_id: int, rows: list[RosterEntry]) -> None:
    """Make `rows` the guild's whole class list (in the caller's transaction: all or nothing)."""
    await s.execute(delete(RosterEntry).where(RosterEntry.guild_id == guild_id))
    await s.flush()
    s.add_all(rows)
    await s.flush()


async def known(s: AsyncSession, guild_id: int) -> dict[int, RosterEntry]:
    """The guild's entries matched to a Discord user, by user id."""
    rows = await s.scalars(
        select(RosterEntry).where(RosterEntry.guild_id == guild_id, RosterEntry.user_id.is_not(None))
    )
    return {r.user_id: r for r in rows if r.user_id is not None}
