"""A confirm's recorded steps in the database (`StepRepository`): rooms, the class table post, the report."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.statuses import StepStatus
from bot.services.ports import StepRecord
from bot.storage.models import ConfirmStep


class SqlSteps:
    """`StepRepository` over the `confirm_steps` table."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def of_session(self, session_id: int) -> dict[str, StepRecord]:
        """The session's steps, by key."""
        rows = await self.s.scalars(select(ConfirmStep).where(ConfirmStep.session_id == session_id))
        return {r.key: StepRecord(r.key, StepStatus(r.status), r.detail, r.actor_id) for r in rows}

    async def mark(self, session_id: int, step: StepRecord, now: datetime) -> None:
        """Record how a step stands (adding it when it is new; its actor is kept when `step` names none)."""
        row = await self.s.scalar(
            select(ConfirmStep).where(ConfirmStep.session_id == session_id, ConfirmStep.key == step.key)
        )
        if row is None:
            row = ConfirmStep(session_id=session_id, key=step.key, status=step.status)
            self.s.add(row)
        row.status = step.status
        row.detail = step.detail
        row.updated_at = now
        if step.actor_id is not None:
            row.actor_id = step.actor_id
        await self.s.flush()

    async def keep_only(self, session_id: int, prefix: str, keys: Collection[str]) -> None:
        """Drop the session's steps whose key starts with `prefix`, but those in `keys`."""
        await self.s.execute(
            delete(ConfirmStep).where(
                ConfirmStep.session_id == session_id,
                ConfirmStep.key.startswith(prefix),
                ConfirmStep.key.not_in(list(keys)),
            )
        )

    async def sessions_with(self, key: str, status: StepStatus) -> list[int]:
        """The sessions whose step `key` is in `status` (e.g. a report still owed)."""
        query = select(ConfirmStep.session_id).where(ConfirmStep.key == key, ConfirmStep.status == status)
        return list(await self.s.scalars(query))
