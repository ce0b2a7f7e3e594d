"""The SQLAlchemy adapter of the use cases' ports (`bot.services.ports`): a unit of work and its repositories.

Each repository runs its queries (its own, or the query functions of `bot.storage` that other adapters
share) and hands back plain records. The ORM rows a transaction loaded stay in its session's identity
map, so saving a record writes onto the row already there. Those of the assignment use case live beside
their tables: `assignments` (seats, check-ins), `acknowledgements`, `rooms` and `steps`; submissions in
`submissions`. Database errors leave as the application's own (`bot.services.errors`): a locked, deleted
or unreachable database is `StorageUnavailable`, a unique constraint refusing a write is `Conflict`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.projects import ProjectState
from bot.core.statuses import EventKind, PostStatus
from bot.core.timeline import Timeline
from bot.services.errors import Conflict, StorageError, StorageUnavailable
from bot.services.ports import (
    AcknowledgementRepository,
    CheckInRepository,
    EventRecord,
    NameRepository,
    NewRosterEntry,
    OutboxRepository,
    PostRecord,
    ProjectRepository,
    RoomRepository,
    RosterRecord,
    RosterRepository,
    SeatRepository,
    SessionRecord,
    SessionRepository,
    StepRepository,
    SubmissionRepository,
    TokenRepository,
    Transaction,
)
from bot.storage import names as names_store
from bot.storage import outbox as outbox_store
from bot.storage import projector as projector_store
from bot.storage import projects as projects_store
from bot.storage import roster as roster_store
from bot.storage import sessions as sessions_store
from bot.storage.acknowledgements import SqlAcknowledgements
from bot.storage.assignments import SqlCheckIns, SqlSeats
from bot.storage.db import Database
from bot.storage.models import BotState, RosterEntry, SessionRow
from bot.storage.outbox import post_record
from bot.storage.rooms import SqlRooms
from bot.storage.sessions import session_record
from bot.storage.steps import SqlSteps
from bot.storage.submissions import SqlSubmissions


def translate(error: SQLAlchemyError) -> StorageError:
    """The application's error for a database error (the original stays chained as its cause)."""
    if isinstance(error, OperationalError):
        lines = str(getattr(error, "orig", None) or error).strip().splitlines()
        return StorageUnavailable(lines[0] if lines else "database error")
    if isinstance(error, IntegrityError):
        return Conflict(str(error))
    return StorageError(str(error))


def roster_record(row: RosterEntry) -> RosterRecord:
    """A roster row as the use cases see it."""
    return RosterRecord(row.id, row.student_id, row.name, row.discord_ref, row.user_id)


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
        """Record what happened to a session's clock; returns the event's id."""
        event = sessions_store.log_event(self.s, session_id, kind, at, actor_id, **data)
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

    async def enqueue(
        self,
        *,
        scope: str,
        key: str,
        channel_id: int,
        payload: dict[str, Any],
        now: datetime,
        kind: str = "send",
        not_before: datetime | None = None,
        guild_id: int | None = None,
    ) -> bool:
        """Add a post unless the scope has one under that key; whether it was added."""
        row = await outbox_store.enqueue(
            self.s,
            scope=scope,
            key=key,
            channel_id=channel_id,
            payload=payload,
            now=now,
            kind=kind,
            not_before=not_before,
            guild_id=guild_id,
        )
        return row is not None

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


class SqlNames:
    """`NameRepository` over the `display_names` table."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def of_guild(self, guild_id: int) -> dict[int, str]:
        """Every remembered display name of a guild, by user id."""
        return await names_store.of_guild(self.s, guild_id)

    async def refresh(self, guild_id: int, user_id: int, name: str, now: datetime) -> bool:
        """Update a remembered user's name if it changed; whether the user is remembered at all."""
        return await names_store.refresh(self.s, guild_id, user_id, name, now)

    async def remember(self, guild_id: int, names: Mapping[int, str], now: datetime) -> None:
        """Store (or update) these users' display names."""
        await names_store.remember(self.s, guild_id, names, now)


class SqlRoster:
    """`RosterRepository` over the `roster` table."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def entries(self, guild_id: int) -> list[RosterRecord]:
        """The guild's class list, by student id."""
        return [roster_record(r) for r in await roster_store.entries(self.s, guild_id)]

    async def known(self, guild_id: int) -> dict[int, RosterRecord]:
        """The guild's entries matched to a Discord user, by user id."""
        rows = await roster_store.known(self.s, guild_id)
        return {user_id: roster_record(r) for user_id, r in rows.items()}

    async def replace(self, guild_id: int, rows: list[NewRosterEntry]) -> None:
        """Make `rows` the guild's whole class list."""
        await roster_store.replace(
            self.s,
            guild_id,
            [
                RosterEntry(
                    guild_id=guild_id,
                    user_id=r.user_id,
                    student_id=r.student_id,
                    name=r.name,
                    discord_ref=r.discord_ref,
                )
                for r in rows
            ],
        )

    async def match(self, entry_id: int, user_id: int) -> None:
        """Remember which user an entry is."""
        row = await self.s.get(RosterEntry, entry_id)
        if row is not None:
            row.user_id = user_id


class SqlProjects:
    """`ProjectRepository` over the project tables (`bot.storage.projects`)."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def load(self, guild_id: int, base: ProjectState) -> ProjectState:
        """The guild's groups on top of the configured proposals and rules."""
        return await projects_store.load(self.s, guild_id, base)

    async def save(
        self, guild_id: int, old: ProjectState, new: ProjectState, actor: int, now: datetime
    ) -> None:
        """Write what changed from `old` to `new`."""
        await projects_store.save(self.s, guild_id, old, new, actor, now)

    async def rooms(self, guild_id: int) -> dict[int, int]:
        """Each group's room, for groups that have one."""
        return await projects_store.threads(self.s, guild_id)

    async def set_room(self, group_id: int, room_id: int) -> None:
        """Remember a group's room."""
        await projects_store.set_thread(self.s, group_id, room_id)

    async def interest(self, guild_id: int, key: str, user_id: int, now: datetime) -> bool:
        """Record a student's interest in a proposal; False when it was recorded already."""
        return await projects_store.interest(self.s, guild_id, key, user_id, now)

    async def interest_counts(self, guild_id: int) -> dict[str, int]:
        """How many students said they are interested in each proposal."""
        return await projects_store.interest_counts(self.s, guild_id)

    async def card_posts(self, guild_id: int) -> list[PostRecord]:
        """The proposal-card posts delivered in a guild."""
        return [post_record(r) for r in await projects_store.card_posts(self.s, guild_id)]


class SqlTokens:
    """`TokenRepository` over the `bot_state` table."""

    def __init__(self, s: AsyncSession) -> None:
        self.s = s

    async def projector_token(self, session_id: int) -> str:
        """The session's page token, made on first use."""
        return await projector_store.token_for(self.s, session_id)

    async def projector_session(self, token: str) -> SessionRecord | None:
        """The session whose page token this is; None for an unknown one."""
        row = await projector_store.session_of(self.s, token)
        return session_record(row) if row is not None else None

    async def calendar_feed(self, make: Callable[[], str]) -> str:
        """The calendar feed's token, made with `make` on first use."""
        row = await self.s.get(BotState, "calendar-feed")
        if row is None:
            row = BotState(key="calendar-feed", value=make())
            self.s.add(row)
        return row.value


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
