"""The outbox: posts are written with the decision that needs them and delivered afterwards, exactly once."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import PostRow, SessionRow

# Scopes that belong to a session ("session:12", "session:12:notices", "card:12:345"): its guild's posts.
SESSION_SCOPE = re.compile(r"^(?:session|card):(\d+)")


async def guild_of_scope(s: AsyncSession, scope: str) -> int | None:
    """The guild whose posts a scope holds, when the scope names a session (else None)."""
    match = SESSION_SCOPE.match(scope)
    if match is None:
        return None
    row = await s.get(SessionRow, int(match.group(1)))  # usually already loaded in this transaction
    return row.guild_id if row is not None else None


async def enqueue(
    s: AsyncSession,
    *,
    scope: str,
    key: str,
    channel_id: int,
    payload: dict[str, Any],
    now: datetime,
    kind: str = "send",
    not_before: datetime | None = None,
    guild_id: int | None = None,
) -> PostRow | None:
    """Add a post unless one with the same scope and key exists (then None: it was decided already).

    `guild_id` defaults to the guild of the session the scope names.
    """
    exists = await s.scalar(select(PostRow.id).where(PostRow.scope == scope, PostRow.key == key))
    if exists is not None:
        return None
    row = PostRow(
        scope=scope,
        guild_id=guild_id if guild_id is not None else await guild_of_scope(s, scope),
        key=key,
        channel_id=channel_id,
        nonce=secrets.token_hex(8),
        kind=kind,
        payload=payload,
        status="pending",
        attempts=0,
        created_at=now,
        not_before=not_before if not_before is not None and not_before > now else None,
    )
    s.add(row)
    await s.flush()
    return row


async def keys(s: AsyncSession, scope: str, prefix: str = "") -> frozenset[str]:
    """Every post key already decided in a scope (optionally only those starting with `prefix`)."""
    query = select(PostRow.key).where(PostRow.scope == scope)
    if prefix:
        query = query.where(PostRow.key.startswith(prefix))
    return frozenset(await s.scalars(query))


async def pending(s: AsyncSession, scope: str | None = None) -> list[PostRow]:
    """Posts not yet delivered, oldest first (optionally of one scope), including those not yet due."""
    query = select(PostRow).where(PostRow.status == "pending").order_by(PostRow.id)
    if scope is not None:
        query = query.where(PostRow.scope == scope)
    return list(await s.scalars(query))


async def pending_scopes(s: AsyncSession, owns: Callable[[int | None], bool] | None = None) -> list[str]:
    """The scopes that have posts waiting (only those of guilds `owns` accepts, when given)."""
    query = select(PostRow.scope, PostRow.guild_id).where(PostRow.status == "pending").distinct()
    scopes = {scope for scope, guild_id in await s.execute(query) if owns is None or owns(guild_id)}
    return sorted(scopes)


async def find(s: AsyncSession, scope: str, key: str) -> PostRow | None:
    """The post with that scope and key, if any."""
    return await s.scalar(select(PostRow).where(PostRow.scope == scope, PostRow.key == key))
