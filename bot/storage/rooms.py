"""Session rooms in the database (`RoomRepository`): the group and partner threads opened for a session."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.ports import RoomRecord
from bot.storage.models import ThreadRow


async def rooms(s: AsyncSession, session_id: int) -> dict[str, RoomRecord]:
    """The session's rooms by key ("group:<paper>", "partners:<paper>:<role>")."""
    rows = await s.scalars(select(ThreadRow).where(ThreadRow.session_id == session_id))
    return {t.key: RoomRecord(t.key, t.thread_id, t.private, t.archived) for t in rows}


class SqlRooms:
    """`RoomRepository` over the `threads` table."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def of_session(self, session_id: int) -> dict[str, RoomRecord]:
        """The session's rooms, by key."""
        return await rooms(self.s, session_id)

    async def add(self, session_id: int, room: RoomRecord) -> None:
        """Remember a room just opened."""
        self.s.add(ThreadRow(session_id=session_id, **asdict(room)))  # the record's fields are the columns

    async def archived(self, session_id: int, keys: Collection[str]) -> None:
        """Remember that these rooms were archived."""
        await self.s.execute(
            update(ThreadRow)
            .where(ThreadRow.session_id == session_id, ThreadRow.key.in_(list(keys)))
            .values(archived=True)
        )
