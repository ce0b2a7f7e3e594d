"""Sessions in the database: creating them, finding the live one of a channel, saving their clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.statuses import LIVE, SessionStatus
from bot.core.timeline import Step, Timeline
from bot.services.ports import SessionRecord
from bot.storage.models import SessionRow, TimelineEvent


def timeline_of(row: SessionRow) -> Timeline:
    """The pure timeline stored in a session row."""
    return Timeline(
        steps=tuple(Step.from_json(e) for e in row.entries),
        started_at=row.started_at,
        durations=tuple(timedelta(milliseconds=ms) for ms in row.durations_ms),
        paused_at=row.paused_at,
        stopped_at=row.stopped_at,
    )


def session_record(row: SessionRow) -> SessionRecord:
    """A session row as the use cases see it."""
    return SessionRecord(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        plan_name=row.plan_name,
        status=SessionStatus(row.status),
        timeline=timeline_of(row),
        cursor=row.cursor,
        created_by=row.created_by,
        open_posts=list(row.open_posts or []),
        seed=row.seed,
    )


def store_timeline(row: SessionRow, timeline: Timeline) -> None:
    """Write a timeline's changeable parts back into its row."""
    row.durations_ms = [round(d.total_seconds() * 1000) for d in timeline.durations]
    row.paused_at = timeline.paused_at
    row.stopped_at = timeline.stopped_at


async def live_in_channel(s: AsyncSession, guild_id: int, channel_id: int) -> SessionRow | None:
    """The scheduled, running or paused session of a channel."""
    return await s.scalar(
        select(SessionRow).where(
            SessionRow.guild_id == guild_id, SessionRow.channel_id == channel_id, SessionRow.status.in_(LIVE)
        )
    )


async def live_in_guild(s: AsyncSession, guild_id: int) -> list[SessionRow]:
    """Every live session of a guild."""
    query = select(SessionRow).where(SessionRow.guild_id == guild_id, SessionRow.status.in_(LIVE))
    return list(await s.scalars(query.order_by(SessionRow.id)))


async def all_live(s: AsyncSession, owns: Callable[[int], bool] | None = None) -> list[SessionRow]:
    """Every live session (of the guilds `owns` accepts, when given), for rebuilding timers at start-up."""
    rows = await s.scalars(select(SessionRow).where(SessionRow.status.in_(LIVE)).order_by(SessionRow.id))
    return [row for row in rows if owns is None or owns(row.guild_id)]


async def latest_in_guild(s: AsyncSession, guild_id: int) -> SessionRow | None:
    """The guild's most recent session, live or not."""
    query = select(SessionRow).where(SessionRow.guild_id == guild_id).order_by(SessionRow.id.desc()).limit(1)
    return await s.scalar(query)


async def latest_in_channel(s: AsyncSession, guild_id: int, channel_id: int) -> SessionRow | None:
    """The channel's most recent session, live or ended."""
    query = (
        select(SessionRow)
        .where(SessionRow.guild_id == guild_id, SessionRow.channel_id == channel_id)
        .order_by(SessionRow.id.desc())
        .limit(1)
    )
    return await s.scalar(query)


def log_event(
    s: AsyncSession, session_id: int, kind: str, at: datetime, actor_id: int | None, **data: Any
) -> TimelineEvent:
    """Record what happened to a session's clock."""
    event = TimelineEvent(session_id=session_id, kind=kind, at=at, actor_id=actor_id, data=data)
    s.add(event)
    return event


async def events(s: AsyncSession, session_id: int) -> list[TimelineEvent]:
    """A session's clock history, oldest first."""
    query = select(TimelineEvent).where(TimelineEvent.session_id == session_id).order_by(TimelineEvent.id)
    return list(await s.scalars(query))
