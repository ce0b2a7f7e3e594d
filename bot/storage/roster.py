"""The class list in the database (`RosterRepository`): one row per known student of a guild."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.ports import NewRosterEntry, RosterRecord
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


def roster_record(row: RosterEntry) -> RosterRecord:
    """A roster row as the use cases see it."""
    return RosterRecord(row.id, row.student_id, row.name, row.discord_ref, row.user_id)


class SqlRoster:
    """`RosterRepository` over the `roster` table."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def entries(self, guild_id: int) -> list[RosterRecord]:
        """The guild's class list, by student id."""
        return [roster_record(r) for r in await entries(self.s, guild_id)]

    async def known(self, guild_id: int) -> dict[int, RosterRecord]:
        """The guild's entries matched to a Discord user, by user id."""
        rows = await known(self.s, guild_id)
        return {user_id: roster_record(r) for user_id, r in rows.items()}

    async def replace(self, guild_id: int, rows: list[NewRosterEntry]) -> None:
        """Make `rows` the guild's whole class list."""
        await replace(
            self.s,
            guild_id,
            [
                RosterEntry(
                    guild_id=guild_id,
                    user_id=r.user_id,
                    student_id=r.student_id,
                    name=r.name,
                    discord_ref=r.discord_ref,
                )
                for r in rows
            ],
        )

    async def match(self, entry_id: int, user_id: int) -> None:
        """Remember which user an entry is."""
        row = await self.s.get(RosterEntry, entry_id)
        if row is not None:
            row.user_id = user_id
