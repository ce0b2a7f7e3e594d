"""Submissions in the database: the current slides link per group, deliverables per student, history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import RosterEntry, SessionRow, Submission


async def current(
    s: AsyncSession, session_id: int, kind: str, group_key: str | None = None, user_id: int | None = None
) -> list[Submission]:
    """The current submissions of a kind (optionally of one group, or one student), oldest first."""
    query = select(Submission).where(
        Submission.session_id == session_id, Submission.kind == kind, Submission.current.is_(True)
    )
    if group_key is not None:
        query = query.where(Submission.group_key == group_key)
    if user_id is not None:
        query = query.where(Submission.user_id == user_id)
    return list(await s.scalars(query.order_by(Submission.id)))


async def history(s: AsyncSession, session_id: int, kind: str, group_key: str) -> list[Submission]:
    """Every submission of a group, replaced ones included, oldest first."""
    query = select(Submission).where(
        Submission.session_id == session_id, Submission.kind == kind, Submission.group_key == group_key
    )
    return list(await s.scalars(query.order_by(Submission.id)))


async def replace(
    s: AsyncSession,
    *,
    session_id: int,
    kind: str,
    group_key: str,
    user_id: int,
    payload: dict[str, Any],
    now: datetime,
    per_user: bool = False,
) -> Submission:
    """Store a new current submission; the group's (or, `per_user`, the student's) earlier one is kept as history."""
    retire = update(Submission).where(
        Submission.session_id == session_id,
        Submission.kind == kind,
        Submission.group_key == group_key,
        Submission.current.is_(True),
    )
    if per_user:
        retire = retire.where(Submission.user_id == user_id)
    await s.execute(retire.values(current=False))
    row = Submission(
        session_id=session_id,
        kind=kind,
        group_key=group_key,
        user_id=user_id,
        payload=payload,
        current=True,
        submitted_at=now,
    )
    s.add(row)
    await s.flush()
    return row


async def roster(s: AsyncSession, guild_id: int) -> dict[int, RosterEntry]:
    """The guild's known students by Discord user id (student ids and names from an imported roster)."""
    rows = await s.scalars(
        select(RosterEntry).where(RosterEntry.guild_id == guild_id, RosterEntry.user_id.is_not(None))
    )
    return {r.user_id: r for r in rows if r.user_id is not None}


async def latest_in_channel(s: AsyncSession, guild_id: int, channel_id: int) -> SessionRow | None:
    """The channel's most recent session, live or ended."""
    query = (
        select(SessionRow)
        .where(SessionRow.guild_id == guild_id, SessionRow.channel_id == channel_id)
        .order_by(SessionRow.id.desc())
        .limit(1)
    )
    return await s.scalar(query)
