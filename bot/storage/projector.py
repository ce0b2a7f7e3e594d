"""Tokens in addresses, kept in `bot_state` (`TokenRepository`): one unguessable token per session's projector
page, and the calendar feed's.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.ports import SessionRecord
from bot.storage.models import BotState, SessionRow
from bot.storage.sessions import session_record

PREFIX = "projector:"


async def token_for(s: AsyncSession, session_id: int) -> str:
    """The session's page token, made on first use (32 random bytes, URL-safe)."""
    row = await s.get(BotState, f"{PREFIX}{session_id}")
    if row is None:
        row = BotState(key=f"{PREFIX}{session_id}", value=secrets.token_urlsafe(32))
        s.add(row)
        await s.flush()
    return row.value


async def session_of(s: AsyncSession, token: str) -> SessionRow | None:
    """The session whose token this is, compared in constant time; None for an unknown token."""
    found: int | None = None
    for row in await s.scalars(select(BotState).where(BotState.key.startswith(PREFIX))):
        if hmac.compare_digest(row.value.encode(), token.encode()):
            found = int(row.key.removeprefix(PREFIX))
    return await s.get(SessionRow, found) if found is not None else None


class SqlTokens:
    """`TokenRepository` over the `bot_state` table."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def projector_token(self, session_id: int) -> str:
        """The session's page token, made on first use."""
        return await token_for(self.s, session_id)

    async def projector_session(self, token: str) -> SessionRecord | None:
        """The session whose page token this is; None for an unknown one."""
        row = await session_of(self.s, token)
        return session_record(row) if row is not None else None

    async def calendar_feed(self, make: Callable[[], str]) -> str:
        """The calendar feed's token, made with `make` on first use."""
        row = await self.s.get(BotState, "calendar-feed")
        if row is None:
            row = BotState(key="calendar-feed", value=make())
            self.s.add(row)
        return row.value
