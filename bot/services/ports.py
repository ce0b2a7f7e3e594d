"""The ports the use cases own: a unit of work and the repositories it exposes (issue 10).

A use case opens a transaction, works through the repositories, and the block's end commits it (or an
error rolls it back)::

    async with self.uow.begin() as tx:
        session = await tx.sessions.live_in_channel(guild_id, channel_id)
        ...
        await tx.outbox.enqueue(scope=..., key=..., channel_id=..., payload=..., now=now)

Repositories take and return plain objects (the records below, and the core's `Timeline` and
`ProjectState`); the SQLAlchemy adapter is `bot.storage.uow`. A failing store raises the application's
errors (`bot.services.errors`), never the driver's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.core.projects import ProjectState
from bot.core.timeline import Timeline

# --- records ----------------------------------------------------------------------------------------


@dataclass
class SessionRecord:
    """One run of a plan in one channel: its timeline, status and how far announcing has got.

    Changes to `status`, `timeline`, `cursor` and `open_posts` are stored by `SessionRepository.save`.
    """

    id: int
    guild_id: int
    channel_id: int
    plan_name: str
    status: str  # scheduled, running, paused, ended
    timeline: Timeline
    cursor: int  # the last step whose start was announced
    created_by: int
    open_posts: list[str] = field(default_factory=list)  # keys of the current step's posts

    @property
    def started_at(self) -> datetime:
        """When the session starts (or started)."""
        return self.timeline.started_at


@dataclass(frozen=True)
class EventRecord:
    """Something that happened to a session's clock."""

    id: int
    kind: str
    at: datetime
    actor_id: int | None
    data: dict[str, Any]


@dataclass(frozen=True)
class SeatRecord:
    """A student's confirmed seat: their paper and role."""

    user_id: int
    paper_key: str
    role_key: str


@dataclass(frozen=True)
class SubmissionRecord:
    """Something a student handed in (a slides link, a deliverable)."""

    id: int
    group_key: str
    user_id: int
    payload: dict[str, Any]
    submitted_at: datetime


@dataclass(frozen=True)
class PostRecord:
    """A post in the outbox, as decided."""

    scope: str
    key: str
    channel_id: int
    kind: str
    payload: dict[str, Any]
    status: str


@dataclass(frozen=True)
class RosterRecord:
    """A known student of a guild (from the imported class list)."""

    id: int
    student_id: str | None
    name: str
    discord_ref: str | None
    user_id: int | None


@dataclass(frozen=True)
class NewRosterEntry:
    """A row of an imported class list, to be stored."""

    student_id: str | None
    name: str
    discord_ref: str | None
    user_id: int | None


# --- repositories -----------------------------------------------------------------------------------


class SessionRepository(Protocol):
    """Sessions and their clock history."""

    async def get(self, session_id: int) -> SessionRecord | None:
        """The session with this id, if any."""
        ...

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
        ...

    async def save(self, session: SessionRecord) -> None:
        """Store a session's status, timeline, cursor and open posts."""
        ...

    async def live_in_channel(self, guild_id: int, channel_id: int) -> SessionRecord | None:
        """The scheduled, running or paused session of a channel."""
        ...

    async def live_in_guild(self, guild_id: int) -> list[SessionRecord]:
        """Every live session of a guild, oldest first."""
        ...

    async def all_live(self, owns: Callable[[int], bool] | None = None) -> list[SessionRecord]:
        """Every live session (of the guilds `owns` accepts, when given), oldest first."""
        ...

    async def latest_in_guild(self, guild_id: int) -> SessionRecord | None:
        """The guild's most recent session, live or not."""
        ...

    async def latest_in_channel(self, guild_id: int, channel_id: int) -> SessionRecord | None:
        """The channel's most recent session, live or ended."""
        ...

    async def log_event(
        self, session_id: int, kind: str, at: datetime, actor_id: int | None, **data: Any
    ) -> int:
        """Record what happened to a session's clock; returns the event's id (ids only grow)."""
        ...

    async def events(self, session_id: int) -> list[EventRecord]:
        """A session's clock history, oldest first."""
        ...


class OutboxRepository(Protocol):
    """The outbox: posts decided in a transaction, delivered after it (exactly once, by key)."""

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
        ...

    async def keys(self, scope: str, prefix: str = "") -> frozenset[str]:
        """Every post key already decided in a scope (optionally only those starting with `prefix`)."""
        ...

    async def find(self, scope: str, key: str) -> PostRecord | None:
        """The post with that scope and key, if any."""
        ...

    async def skip(self, scope: str, key: str) -> None:
        """Mark a pending post as handled without sending it."""
        ...


class SeatRepository(Protocol):
    """A session's confirmed seating, as the sessions, submissions and the projector read it."""

    async def confirmed(self, session_id: int) -> list[SeatRecord]:
        """The session's confirmed seats, by user id."""
        ...

    async def seat(self, session_id: int, user_id: int) -> SeatRecord | None:
        """A student's confirmed seat in a session, if any."""
        ...

    async def threads(self, session_id: int) -> dict[str, int]:
        """The session's threads: key ("group:<paper>", "partners:<paper>:<role>") -> thread id."""
        ...

    async def acknowledged(self, session_id: int) -> dict[int, datetime | None]:
        """Per student with a role card: when they pressed "Got it" (None: not yet)."""
        ...


class SubmissionRepository(Protocol):
    """What students handed in; replaced submissions are kept as history."""

    async def current(
        self, session_id: int, kind: str, group_key: str | None = None, user_id: int | None = None
    ) -> list[SubmissionRecord]:
        """The current submissions of a kind (optionally of one group, or one student), oldest first."""
        ...

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
        ...


class NameRepository(Protocol):
    """Seated students' display names as last seen."""

    async def of_guild(self, guild_id: int) -> dict[int, str]:
        """Every remembered display name of a guild, by user id."""
        ...

    async def refresh(self, guild_id: int, user_id: int, name: str, now: datetime) -> bool:
        """Update a remembered user's name if it changed; whether the user is remembered at all."""
        ...


class RosterRepository(Protocol):
    """A guild's class list."""

    async def entries(self, guild_id: int) -> list[RosterRecord]:
        """The guild's class list, by student id."""
        ...

    async def known(self, guild_id: int) -> dict[int, RosterRecord]:
        """The guild's entries matched to a Discord user, by user id."""
        ...

    async def replace(self, guild_id: int, rows: list[NewRosterEntry]) -> None:
        """Make `rows` the guild's whole class list."""
        ...

    async def match(self, entry_id: int, user_id: int) -> None:
        """Remember which user an entry is."""
        ...


class ProjectRepository(Protocol):
    """Course project groups, their rooms, and students' interest in proposals."""

    async def load(self, guild_id: int, base: ProjectState) -> ProjectState:
        """The guild's groups on top of the configured proposals and rules."""
        ...

    async def save(
        self, guild_id: int, old: ProjectState, new: ProjectState, actor: int, now: datetime
    ) -> None:
        """Write what changed from `old` to `new` (a clash with another write raises `Conflict`)."""
        ...

    async def rooms(self, guild_id: int) -> dict[int, int]:
        """Each group's room (group id -> thread id), for groups that have one."""
        ...

    async def set_room(self, group_id: int, room_id: int) -> None:
        """Remember a group's room."""
        ...

    async def interest(self, guild_id: int, key: str, user_id: int, now: datetime) -> bool:
        """Record a student's interest in a proposal; False when it was recorded already."""
        ...

    async def interest_counts(self, guild_id: int) -> dict[str, int]:
        """How many students said they are interested in each proposal."""
        ...

    async def card_posts(self, guild_id: int) -> list[PostRecord]:
        """The proposal-card posts delivered in a guild."""
        ...


class TokenRepository(Protocol):
    """Secrets in addresses: the projector pages' and the calendar feed's."""

    async def projector_token(self, session_id: int) -> str:
        """The session's page token, made on first use."""
        ...

    async def projector_session(self, token: str) -> SessionRecord | None:
        """The session whose page token this is (compared in constant time); None for an unknown one."""
        ...

    async def calendar_feed(self, make: Callable[[], str]) -> str:
        """The calendar feed's token, made with `make` on first use."""
        ...


# --- timers -----------------------------------------------------------------------------------------


class Timers(Protocol):
    """Fires coroutines at absolute times (`bot.scheduling.Scheduler`); rebuilt from the store at start-up."""

    def at(self, job_id: str, when: datetime, func: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run `func(*args)` at `when` (aware), replacing any job with the same id."""
        ...

    def cancel(self, job_id: str) -> None:
        """Forget a job if it exists."""
        ...


# --- the unit of work -------------------------------------------------------------------------------


class Transaction(Protocol):
    """One open transaction and the repositories working in it."""

    @property
    def sessions(self) -> SessionRepository:
        """Sessions and their clock history."""
        ...

    @property
    def outbox(self) -> OutboxRepository:
        """The outbox."""
        ...

    @property
    def seats(self) -> SeatRepository:
        """Confirmed seating (read-only)."""
        ...

    @property
    def submissions(self) -> SubmissionRepository:
        """Submissions."""
        ...

    @property
    def names(self) -> NameRepository:
        """Display names."""
        ...

    @property
    def roster(self) -> RosterRepository:
        """Class lists."""
        ...

    @property
    def projects(self) -> ProjectRepository:
        """Project groups."""
        ...

    @property
    def tokens(self) -> TokenRepository:
        """Address tokens."""
        ...


class UnitOfWork(Protocol):
    """Opens transactions on the store."""

    def begin(self) -> AbstractAsyncContextManager[Transaction]:
        """A transaction that commits when the block ends and rolls back when it raises."""
        ...

    def read(self) -> AbstractAsyncContextManager[Transaction]:
        """A transaction for reading: nothing is committed, it is rolled back when the block ends."""
        ...
