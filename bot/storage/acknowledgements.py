"""Role cards' fates in the database (`AcknowledgementRepository`): delivered how, opened, acknowledged,
reminded.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.statuses import Delivery
from bot.services.ports import AcknowledgementRecord
from bot.storage.models import Acknowledgement


async def acknowledgements(s: AsyncSession, session_id: int) -> dict[int, Acknowledgement]:
    """The session's acknowledgement rows by user id."""
    rows = await s.scalars(select(Acknowledgement).where(Acknowledgement.session_id == session_id))
    return {a.user_id: a for a in rows}


def acknowledgement_record(row: Acknowledgement) -> AcknowledgementRecord:
    """An acknowledgement row as the use cases see it."""
    return AcknowledgementRecord(
        row.user_id,
        Delivery(row.delivery),
        row.delivered_at,
        row.opened_at,
        row.acknowledged_at,
        row.reminded_at,
    )


class SqlAcknowledgements:
    """`AcknowledgementRepository` over the `acknowledgements` table."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s
        # The rows read in this transaction, per session: saving a record writes onto the row read.
        self._rows: dict[int, dict[int, Acknowledgement]] = {}

    async def of_session(self, session_id: int) -> dict[int, AcknowledgementRecord]:
        """The session's acknowledgements, by user id."""
        rows = self._rows[session_id] = await acknowledgements(self.s, session_id)
        return {user_id: acknowledgement_record(row) for user_id, row in rows.items()}

    async def save(self, session_id: int, ack: AcknowledgementRecord) -> None:
        """Store a student's acknowledgement as it is now (adding it when it is new)."""
        rows = self._rows.get(session_id)
        if rows is None:
            rows = self._rows[session_id] = await acknowledgements(self.s, session_id)
        row = rows.get(ack.user_id)
        if row is None:
            row = rows[ack.user_id] = Acknowledgement(session_id=session_id, user_id=ack.user_id)
            self.s.add(row)
        row.delivery = ack.delivery
        row.delivered_at, row.opened_at = ack.delivered_at, ack.opened_at
        row.acknowledged_at, row.reminded_at = ack.acknowledged_at, ack.reminded_at

    async def keep_only(self, session_id: int, user_ids: Collection[int]) -> None:
        """Forget the acknowledgements of students not in `user_ids` (no longer seated)."""
        self._rows.pop(session_id, None)
        await self.s.execute(
            delete(Acknowledgement).where(
                Acknowledgement.session_id == session_id, Acknowledgement.user_id.not_in(list(user_ids))
            )
        )
