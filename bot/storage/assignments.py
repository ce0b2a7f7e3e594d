"""Seats in the database (`SeatRepository`, `CheckInRepository`): previews and confirmed assignments, the
history the solver reads, and check-ins.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.assignment import Assignment, History
from bot.core.statuses import LIVE, SeatStatus
from bot.services.ports import SeatRecord, SessionRecord
from bot.storage.acknowledgements import acknowledgements
from bot.storage.models import AssignmentRow, CheckIn, SessionRow
from bot.storage.rooms import rooms
from bot.storage.sessions import session_record


def seat_record(row: AssignmentRow) -> SeatRecord:
    """A seat row as the use cases see it."""
    return SeatRecord(row.user_id, row.paper_key, row.role_key, row.seed)


class SqlSeats:
    """`SeatRepository` over the `assignments` table (and the rooms and acknowledgements others read)."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def confirmed(self, session_id: int) -> list[SeatRecord]:
        """The session's confirmed seats, by user id."""
        return await self.of_status(session_id, SeatStatus.CONFIRMED)

    async def of_status(self, session_id: int, status: SeatStatus) -> list[SeatRecord]:
        """The session's seats with that status (previewed or confirmed), by user id."""
        query = select(AssignmentRow).where(
            AssignmentRow.session_id == session_id, AssignmentRow.status == status
        )
        return [seat_record(r) for r in await self.s.scalars(query.order_by(AssignmentRow.user_id))]

    async def seat(self, session_id: int, user_id: int) -> SeatRecord | None:
        """A student's confirmed seat in a session, if any."""
        row = await self.s.scalar(
            select(AssignmentRow).where(
                AssignmentRow.session_id == session_id,
                AssignmentRow.user_id == user_id,
                AssignmentRow.status == SeatStatus.CONFIRMED,
            )
        )
        return seat_record(row) if row is not None else None

    async def threads(self, session_id: int) -> dict[str, int]:
        """The session's threads: key -> thread id."""
        return {key: room.thread_id for key, room in (await rooms(self.s, session_id)).items()}

    async def acknowledged(self, session_id: int) -> dict[int, datetime | None]:
        """Per student with a role card: when they pressed "Got it" (None: not yet)."""
        acks = await acknowledgements(self.s, session_id)
        return {user_id: ack.acknowledged_at for user_id, ack in acks.items()}

    async def replace(
        self, session_id: int, status: SeatStatus, assignment: Assignment, seed: int, now: datetime
    ) -> None:
        """Store `assignment` as the session's seats with `status`, replacing whatever had that status."""
        await self.drop(session_id, status)
        for student, seat in assignment.seats.items():
            self.s.add(
                AssignmentRow(
                    session_id=session_id,
                    user_id=int(student),
                    paper_key=seat.paper,
                    role_key=seat.role,
                    status=status,
                    assigned_at=now,
                    seed=seed,
                )
            )
        await self.s.flush()

    async def drop(self, session_id: int, status: SeatStatus) -> None:
        """Delete the session's seats with `status`."""
        await self.s.execute(
            delete(AssignmentRow).where(
                AssignmentRow.session_id == session_id, AssignmentRow.status == status
            )
        )

    async def confirm_preview(self, session_id: int) -> None:
        """Make the previewed seats the confirmed ones (the confirmed seats they replace are deleted)."""
        await self.drop(session_id, SeatStatus.CONFIRMED)
        await self.s.execute(
            update(AssignmentRow)
            .where(AssignmentRow.session_id == session_id, AssignmentRow.status == SeatStatus.PREVIEW)
            .values(status=SeatStatus.CONFIRMED)
        )

    async def history(self, guild_id: int, before_session: int) -> dict[str, History]:
        """Per student: roles held (how often) and partners had in the guild's other confirmed sessions."""
        query = (
            select(AssignmentRow)
            .join(SessionRow, SessionRow.id == AssignmentRow.session_id)
            .where(
                SessionRow.guild_id == guild_id,
                AssignmentRow.session_id != before_session,
                AssignmentRow.status == SeatStatus.CONFIRMED,
            )
        )
        roles: defaultdict[str, Counter[str]] = defaultdict(Counter)
        cells: defaultdict[tuple[int, str, str], set[str]] = defaultdict(set)
        for row in await self.s.scalars(query):
            roles[str(row.user_id)][row.role_key] += 1
            cells[(row.session_id, row.paper_key, row.role_key)].add(str(row.user_id))
        partners: defaultdict[str, set[str]] = defaultdict(set)
        for members in cells.values():
            for m in members:
                partners[m].update(members - {m})
        return {
            student: History(
                frozenset(roles[student]), frozenset(partners.get(student, ())), dict(roles[student])
            )
            for student in roles
        }

    async def live_sessions_of(self, user_id: int, guild_id: int | None = None) -> list[SessionRecord]:
        """The live sessions (of a guild, when given) where a student has a confirmed seat, newest first."""
        query = (
            select(SessionRow)
            .join(AssignmentRow, AssignmentRow.session_id == SessionRow.id)
            .where(
                AssignmentRow.user_id == user_id,
                AssignmentRow.status == SeatStatus.CONFIRMED,
                SessionRow.status.in_(LIVE),
            )
            .order_by(SessionRow.id.desc())
        )
        if guild_id is not None:
            query = query.where(SessionRow.guild_id == guild_id)
        return [session_record(r) for r in await self.s.scalars(query)]


class SqlCheckIns:
    """`CheckInRepository` over the `checkins` table."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def present(self, session_id: int) -> set[int]:
        """The students who checked in."""
        return set(await self.s.scalars(select(CheckIn.user_id).where(CheckIn.session_id == session_id)))

    async def add(self, session_id: int, user_id: int, at: datetime) -> None:
        """Record a student's check-in."""
        self.s.add(CheckIn(session_id=session_id, user_id=user_id, at=at))
