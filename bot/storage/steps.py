"""The recorded steps of a confirmed assignment: rooms, the class table post, the instructor's report."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ConfirmStep

TABLE = "table"
REPORT = "report"


class StepStatus(StrEnum):
    """Where one step of a confirm stands."""

    PENDING = "pending"  # decided, not done yet (or cut short by a crash)
    DONE = "done"
    BLOCKED = "blocked"  # Discord refuses it for want of a permission; `detail` names what to grant
    FAILED = "failed"  # failed for another reason; `detail` says why


def room_key(thread_key: str) -> str:
    """The step key of a room (a group or partner thread)."""
    return f"room:{thread_key}"


async def all_of(s: AsyncSession, session_id: int) -> dict[str, ConfirmStep]:
    """A session's steps by key."""
    rows = await s.scalars(select(ConfirmStep).where(ConfirmStep.session_id == session_id))
    return {r.key: r for r in rows}


async def mark(
    s: AsyncSession,
    session_id: int,
    key: str,
    status: StepStatus,
    now: datetime,
    detail: str | None = None,
    actor_id: int | None = None,
) -> ConfirmStep:
    """Record a step's status (creating the step when it is new)."""
    row = await s.scalar(
        select(ConfirmStep).where(ConfirmStep.session_id == session_id, ConfirmStep.key == key)
    )
    if row is None:
        row = ConfirmStep(session_id=session_id, key=key, status=status)
        s.add(row)
    row.status = status
    row.detail = detail
    row.updated_at = now
    if actor_id is not None:
        row.actor_id = actor_id
    await s.flush()
    return row


async def forget_rooms(s: AsyncSession, session_id: int, keep: set[str]) -> None:
    """Drop room steps no longer wanted (a room whose students all left)."""
    await s.execute(
        delete(ConfirmStep).where(
            ConfirmStep.session_id == session_id,
            ConfirmStep.key.startswith("room:"),
            ConfirmStep.key.not_in([room_key(k) for k in keep]),
        )
    )


async def sessions_with(s: AsyncSession, key: str, status: StepStatus) -> list[int]:
    """Sessions having the step `key` in `status` (e.g. a report still owed)."""
    query = select(ConfirmStep.session_id).where(ConfirmStep.key == key, ConfirmStep.status == status)
    return list(await s.scalars(query))
