"""Submissions in the database (`SubmissionRepository`): the current slides link per group, deliverables per
student, and the replaced ones kept as history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.ports import SubmissionRecord
from bot.storage.models import Submission


def submission_record(row: Submission) -> SubmissionRecord:
    """A submission row as the use cases see it."""
    return SubmissionRecord(row.id, row.group_key, row.user_id, row.payload, row.submitted_at)


class SqlSubmissions:
    """`SubmissionRepository` over the `submissions` table."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def current(
        self, session_id: int, kind: str, group_key: str | None = None, user_id: int | None = None
    ) -> list[SubmissionRecord]:
        """The current submissions of a kind (optionally of one group, or one student), oldest first."""
        query = select(Submission).where(
            Submission.session_id == session_id, Submission.kind == kind, Submission.current.is_(True)
        )
        if group_key is not None:
            query = query.where(Submission.group_key == group_key)
        if user_id is not None:
            query = query.where(Submission.user_id == user_id)
        return [submission_record(r) for r in await self.s.scalars(query.order_by(Submission.id))]

    async def replace(
        self,
        *,
        session_id: int,
        kind: str,
        group_key: str,
        user_id: int,
        payload: dict[str, Any],
        now: datetime,
        per_user: bool = False,
    ) -> SubmissionRecord:
        """Store a new current submission; the group's (or, `per_user`, the student's) earlier one is kept."""
        retire = update(Submission).where(
            Submission.session_id == session_id,
            Submission.kind == kind,
            Submission.group_key == group_key,
            Submission.current.is_(True),
        )
        if per_user:
            retire = retire.where(Submission.user_id == user_id)
        await self.s.execute(retire.values(current=False))
        row = Submission(
            session_id=session_id,
            kind=kind,
            group_key=group_key,
            user_id=user_id,
            payload=payload,
            current=True,
            submitted_at=now,
        )
        self.s.add(row)
        await self.s.flush()
        return submission_record(row)
