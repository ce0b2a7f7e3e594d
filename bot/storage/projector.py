"""The projector page's keys in the database: one unguessable token per session, kept in `bot_state`."""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import BotState, SessionRow

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
