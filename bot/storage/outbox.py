"""The outbox: posts are written with the decision that needs them and delivered afterwards, exactly once."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import PostRow


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
) -> PostRow | None:
    """Add a post unless one with the same scope and key exists (then None: it was decided already)."""
    exists = await s.scalar(select(PostRow.id).where(PostRow.scope == scope, PostRow.key == key))
    if exists is not None:
        return None
    row = PostRow(
        scope=scope,
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


async def pending_scopes(s: AsyncSession) -> list[str]:
    """The scopes that have posts waiting."""
    return list(await s.scalars(select(PostRow.scope).where(PostRow.status == "pending").distinct()))


async def find(s: AsyncSession, scope: str, key: str) -> PostRow | None:
    """The post with that scope and key, if any."""
    return await s.scalar(select(PostRow).where(PostRow.scope == scope, PostRow.key == key))
