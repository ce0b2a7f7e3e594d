"""The SQLAlchemy adapter of the use cases' ports (`bot.services.ports`): a unit of work and its repositories.

Each repository runs its queries and hands back plain records. Those of sessions, the outbox and
submissions are here; the others live beside their tables' queries: `names`, `roster`, `projects`,
`projector` (tokens), `assignments` (seats, check-ins), `acknowledgements`, `rooms` and `steps`. The ORM
rows a transaction loaded stay in its session's identity map, so saving a record writes onto the row
already there. Database errors leave as the application's own (`bot.services.errors`): a locked, deleted
or unreachable database is `StorageUnavailable`, a unique constraint refusing a write is `Conflict`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.statuses import EventKind, PostStatus
from bot.core.timeline import Timeline
from bot.services.errors import Conflict, StorageError, StorageUnavailable
from bot.services.ports import (
    AcknowledgementRepository,
    CheckInRepository,
    EventRecord,
    NameRepository,
    OutboxRepository,
    PostRecord,
    ProjectRepository,
    RoomRepository,
    RosterRepository,
    SeatRepository,
    SessionRecord,
    SessionRepository,
    StepRepository,
    SubmissionRecord,
    SubmissionRepository,
    TokenRepository,
    Transaction,
)
from bot.storage import outbox as outbox_store
from bot.storage import sessions as sessions_store
from bot.storage.acknowledgements import SqlAcknowledgements
from bot.storage.assignments import SqlCheckIns, SqlSeats
from bot.storage.db import Database
from bot.storage.models import SessionRow, Submission
from bot.storage.names import SqlNames
from bot.storage.outbox import post_record
from bot.storage.projector import SqlTokens
from bot.storage.projects import SqlProjects
from bot.storage.rooms import SqlRooms
from bot.storage.roster import SqlRoster
from bot.storage.sessions import session_record
from bot.storage.steps import SqlSteps


def translate(error: SQLAlchemyError) -> StorageError:
    """The application's error for a database error (the original stays chained as its cause)."""
    if isinstance(error, OperationalError):
        lines = str(getattr(error, "orig", None) or error).strip().splitlines()
        return StorageUnavailable(lines[0] if lines else "database error")
    if isinstance(error, IntegrityError):
        return Conflict(str(error))
    return StorageError(str(error))


def submission_record(row: Submission) -> SubmissionRecord:
    """A submission row as the use cases see it."""
    return SubmissionRecord(row.id, row.group_key, row.user_id, row.payload, row.submitted_at)


class SqlSessions:
    """`SessionRepository` over the `sessions` and `timeline_events` tables."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def get(self, session_id: int) -> SessionRecord | None:
        """The session with this id, if any."""
        row = await self.s.get(SessionRow, session_id)
        return session_record(row) if row is not None else None

    async def add(
        self,
        *,
        guild_id: int,
        channel_id: int,
        plan_name: str,
        status: str,
        timeline: Timeline,
        created_by: int,
        created_at: datetime,
    ) -> SessionRecord:
        """Store a new session (its id given)."""
        steps = timeline.steps
        row = SessionRow(
            guild_id=guild_id,
            channel_id=channel_id,
            plan_name=plan_name,
            status=status,
            entries=[step.to_json() for step in steps],
            durations_ms=[round(step.planned.total_seconds() * 1000) for step in steps],
            started_at=timeline.started_at,
            cursor=-1,
            open_posts=[],
            created_by=created_by,
            created_at=created_at,
        )
        self.s.add(row)
        await self.s.flush()
        return session_record(row)

    async def save(self, session: SessionRecord) -> None:
        """Store a session's status, timeline, cursor, open posts and seed (only what changed is written)."""
        row = await self.s.get(SessionRow, session.id)  # in the identity map: no query
        if row is None:
            raise StorageError(f"session {session.id} is gone")
        if sessions_store.timeline_of(row) != session.timeline:
            sessions_store.store_timeline(row, session.timeline)
        if row.status != session.status:
            row.status = session.status
        if row.cursor != session.cursor:
            row.cursor = session.cursor
        if list(row.open_posts or []) != session.open_posts:
            row.open_posts = list(session.open_posts)
        if row.seed != session.seed:
            row.seed = session.seed

    async def live_in_channel(self, guild_id: int, channel_id: int) -> SessionRecord | None:
        """The scheduled, running or paused session of a channel."""
        row = await sessions_store.live_in_channel(self.s, guild_id, channel_id)
        return session_record(row) if row is not None else None

    async def live_in_guild(self, guild_id: int) -> list[SessionRecord]:
        """Every live session of a guild, oldest first."""
        return [session_record(r) for r in await sessions_store.live_in_guild(self.s, guild_id)]

    async def all_live(self, owns: Callable[[int], bool] | None = None) -> list[SessionRecord]:
        """Every live session (of the guilds `owns` accepts, when given), oldest first."""
        return [session_record(r) for r in await sessions_store.all_live(self.s, owns)]

    async def latest_in_guild(self, guild_id: int) -> SessionRecord | None:
        """The guild's most recent session, live or not."""
        row = await sessions_store.latest_in_guild(self.s, guild_id)
        return session_record(row) if row is not None else None

    async def latest_in_channel(self, guild_id: int, channel_id: int) -> SessionRecord | None:
        """The channel's most recent session, live or ended."""
        row = await sessions_store.latest_in_channel(self.s, guild_id, channel_id)
        return session_record(row) if row is not None else None

    async def log_event(
        self, session_id: int, kind: str, at: datetime, actor_id: int | None, **data: Any
    ) -> int:
        """Record what happened to a session's clock; returns the event's id (an unknown kind is refused)."""
        event = sessions_store.log_event(self.s, session_id, EventKind(kind), at, actor_id, **data)
        await self.s.flush()
        return event.id

    async def events(self, session_id: int) -> list[EventRecord]:
        """A session's clock history, oldest first."""
        return [
            EventRecord(e.id, EventKind(e.kind), e.at, e.actor_id, e.data)
            for e in await sessions_store.events(self.s, session_id)
        ]


class SqlOutbox:
    """`OutboxRepository` over the `posts` table (`bot.storage.outbox`)."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def enqueue(self, **post: Any) -> bool:
        """Add a post unless the scope has one under that key; whether it was added (`outbox.enqueue`)."""
        return await outbox_store.enqueue(self.s, **post) is not None

    async def keys(self, scope: str, prefix: str = "") -> frozenset[str]:
        """Every post key already decided in a scope (optionally only those starting with `prefix`)."""
        return await outbox_store.keys(self.s, scope, prefix)

    async def find(self, scope: str, key: str) -> PostRecord | None:
        """The post with that scope and key, if any."""
        row = await outbox_store.find(self.s, scope, key)
        return post_record(row) if row is not None else None

    async def skip(self, scope: str, key: str) -> None:
        """Mark a pending post as handled without sending it."""
        row = await outbox_store.find(self.s, scope, key)
        if row is not None and row.status == PostStatus.PENDING:
            row.status = PostStatus.SKIPPED

    async def posts(self, scope: str, prefix: str = "") -> list[PostRecord]:
        """A scope's posts (optionally only those whose key starts with `prefix`), in the order decided."""
        return [post_record(r) for r in await outbox_store.posts(self.s, scope, prefix)]

    async def by_message(self, scope: str, message_id: int, prefix: str = "") -> PostRecord | None:
        """The post of a scope (key starting with `prefix`) that was delivered as this message, if any."""
        row = await outbox_store.by_message(self.s, scope, message_id, prefix)
        return post_record(row) if row is not None else None


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
        """Store a new current submission; the earlier one is kept as history."""
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


class SqlTransaction:
    """`Transaction`: the repositories over one SQLAlchemy session."""

    def __init__(self, s: AsyncSession) -> None:
        self.sessions: SessionRepository = SqlSessions(s)
        self.outbox: OutboxRepository = SqlOutbox(s)
        self.seats: SeatRepository = SqlSeats(s)
        self.checkins: CheckInRepository = SqlCheckIns(s)
        self.acknowledgements: AcknowledgementRepository = SqlAcknowledgements(s)
        self.rooms: RoomRepository = SqlRooms(s)
        self.steps: StepRepository = SqlSteps(s)
        self.submissions: SubmissionRepository = SqlSubmissions(s)
        self.names: NameRepository = SqlNames(s)
        self.roster: RosterRepository = SqlRoster(s)
        self.projects: ProjectRepository = SqlProjects(s)
        self.tokens: TokenRepository = SqlTokens(s)


class SqlUnitOfWork:
    """`UnitOfWork` over a `Database`: one SQLAlchemy session per transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Transaction]:
        """A transaction that commits when the block ends and rolls back when it raises."""
        try:
            async with self.db.session() as s, s.begin():
                yield SqlTransaction(s)
        except SQLAlchemyError as error:
            raise translate(error) from error

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Transaction]:
        """A transaction for reading, rolled back when the block ends."""
        try:
            async with self.db.session() as s:
                yield SqlTransaction(s)
        except SQLAlchemyError as error:
            raise translate(error) from error
