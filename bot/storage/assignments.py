"""Assignments in the database: seats (previewed or confirmed), history, check-ins, threads, acknowledgements."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.assignment import Assignment, History, RoleSlot, Seat
from bot.core.statuses import SeatStatus
from bot.storage.models import Acknowledgement, AssignmentRow, CheckIn, SessionRow, ThreadRow


async def seats(s: AsyncSession, session_id: int, status: str) -> list[AssignmentRow]:
    """A session's seats with that status (preview or confirmed), by user id."""
    query = select(AssignmentRow).where(
        AssignmentRow.session_id == session_id, AssignmentRow.status == status
    )
    return list(await s.scalars(query.order_by(AssignmentRow.user_id)))


def to_assignment(
    rows: list[AssignmentRow], papers: tuple[str, ...], roles: tuple[RoleSlot, ...]
) -> Assignment:
    """The pure assignment that stored seats describe (students are user ids as strings)."""
    return Assignment(
        seats={str(r.user_id): Seat(r.paper_key, r.role_key) for r in rows}, papers=papers, roles=roles
    )


async def replace_seats(
    s: AsyncSession, session_id: int, status: str, assignment: Assignment, seed: int, now: datetime
) -> None:
    """Store `assignment` as the session's seats with `status`, replacing whatever had that status."""
    await s.execute(
        delete(AssignmentRow).where(AssignmentRow.session_id == session_id, AssignmentRow.status == status)
    )
    for student, seat in assignment.seats.items():
        s.add(
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
    await s.flush()


async def drop_seats(s: AsyncSession, session_id: int, status: str) -> int:
    """Delete a session's seats with `status`; returns how many there were."""
    # SQLAlchemy types execute() as a plain Result; a DELETE's is a CursorResult, which has the rowcount.
    result = cast(
        CursorResult[Any],
        await s.execute(
            delete(AssignmentRow).where(
                AssignmentRow.session_id == session_id, AssignmentRow.status == status
            )
        ),
    )
    return int(result.rowcount or 0)


async def history(s: AsyncSession, guild_id: int, before_session: int) -> dict[str, History]:
    """Roles held (and how often) and role-partners had in the guild's earlier confirmed sessions, per student."""
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
    for row in await s.scalars(query):
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


async def checked_in(s: AsyncSession, session_id: int) -> set[int]:
    """The students who pressed "I'm here" for this session."""
    return set(await s.scalars(select(CheckIn.user_id).where(CheckIn.session_id == session_id)))


async def threads(s: AsyncSession, session_id: int) -> dict[str, ThreadRow]:
    """The session's threads by key ("group:<paper>", "partners:<paper>:<role>")."""
    rows = await s.scalars(select(ThreadRow).where(ThreadRow.session_id == session_id))
    return {t.key: t for t in rows}


async def acknowledgements(s: AsyncSession, session_id: int) -> dict[int, Acknowledgement]:
    """The session's acknowledgement rows by user id."""
    rows = await s.scalars(select(Acknowledgement).where(Acknowledgement.session_id == session_id))
    return {a.user_id: a for a in rows}


async def reset_acknowledgement(s: AsyncSession, session_id: int, user_id: int) -> Acknowledgement:
    """A fresh "card pending" state for a student (a new or changed card needs a new Got it)."""
    ack = await s.scalar(
        select(Acknowledgement).where(
            Acknowledgement.session_id == session_id, Acknowledgement.user_id == user_id
        )
    )
    if ack is None:
        ack = Acknowledgement(session_id=session_id, user_id=user_id, delivery="pending")
        s.add(ack)
    ack.delivery = "pending"
    ack.delivered_at = ack.opened_at = ack.acknowledged_at = ack.reminded_at = None
    return ack


async def drop_acknowledgements(s: AsyncSession, session_id: int, keep: Mapping[int, object]) -> None:
    """Forget acknowledgements of students no longer seated."""
    await s.execute(
        delete(Acknowledgement).where(
            Acknowledgement.session_id == session_id, Acknowledgement.user_id.not_in(list(keep))
        )
    )
