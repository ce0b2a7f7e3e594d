"""The ports the use cases own: a unit of work and the repositories it exposes (issue 10).

A use case opens a transaction, works through the repositories, and the block's end commits it (or an
error rolls it back)::

    async with self.uow.begin() as tx:
        session = await tx.sessions.live_in_channel(guild_id, channel_id)
        ...
        await tx.outbox.enqueue(scope=..., key=..., channel_id=..., payload=..., now=now)

Repositories take and return plain objects (the records below, and the core's `Timeline`, `Assignment`,
`History` and `ProjectState`); the SQLAlchemy adapter is `bot.storage.uow`. A failing store raises the
application's errors (`bot.services.errors`), never the driver's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.core.assignment import Assignment, History
from bot.core.projects import ProjectState
from bot.core.statuses import Delivery, EventKind, PostKind, PostStatus, SeatStatus, SessionStatus, StepStatus
from bot.core.timeline import Timeline

# --- records ----------------------------------------------------------------------------------------


@dataclass
class SessionRecord:
    """One run of a plan in one channel: its timeline, status and how far announcing has got.

    Changes to `status`, `timeline`, `cursor`, `open_posts` and `seed` are stored by `SessionRepository.save`.
    """

    id: int
    guild_id: int
    channel_id: int
    plan_name: str
    status: SessionStatus
    timeline: Timeline
    cursor: int  # the last step whose start was announced
    created_by: int
    open_posts: list[str] = field(default_factory=list)  # keys of the current step's posts
    seed: int = 0  # the solver seed of the confirmed assignment

    @property
    def started_at(self) -> datetime:
        """When the session starts (or started)."""
        return self.timeline.started_at


@dataclass(frozen=True)
class EventRecord:
    """Something that happened to a session's clock."""

    id: int
    kind: EventKind
    at: datetime
    actor_id: int | None
    data: dict[str, Any]


@dataclass(frozen=True)
class SeatRecord:
    """A student's seat (previewed or confirmed): their paper and role."""

    user_id: int
    paper_key: str
    role_key: str
    seed: int = 0  # the solver seed the seat came from


@dataclass(frozen=True)
class AcknowledgementRecord:
    """How a student's role card reached them, and when they opened it, pressed Got it, were reminded."""

    user_id: int
    delivery: Delivery
    delivered_at: datetime | None = None
    opened_at: datetime | None = None
    acknowledged_at: datetime | None = None
    reminded_at: datetime | None = None


@dataclass(frozen=True)
class RoomRecord:
    """A session's group or partner room (a thread); its key is "group:<paper>" or "partners:<paper>:<role>"."""

    key: str
    thread_id: int
    private: bool
    archived: bool = False


@dataclass(frozen=True)
class StepRecord:
    """One recorded step of a confirm (a room, the class table, the report) and how it went."""

    key: str
    status: StepStatus
    detail: str | None = None  # what to grant (blocked) or the error (failed)
    actor_id: int | None = None  # who confirmed (the report goes to them); None keeps the one recorded


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
    kind: PostKind
    payload: dict[str, Any]
    status: PostStatus
    error: str | None = None  # why it failed, as the platform said
    sent_at: datetime | None = None


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

    async def posts(self, scope: str, prefix: str = "") -> list[PostRecord]:
        """A scope's posts (optionally only those whose key starts with `prefix`), in the order decided."""
        ...

    async def by_message(self, scope: str, message_id: int, prefix: str = "") -> PostRecord | None:
        """The post of a scope (key starting with `prefix`) that was delivered as this message, if any."""
        ...


class SeatRepository(Protocol):
    """A session's seats: the preview shown to the instructor and the confirmed assignment."""

    async def confirmed(self, session_id: int) -> list[SeatRecord]:
        """The session's confirmed seats, by user id."""
        ...

    async def of_status(self, session_id: int, status: SeatStatus) -> list[SeatRecord]:
        """The session's seats with that status (previewed or confirmed), by user id."""
        ...

    async def replace(
        self, session_id: int, status: SeatStatus, assignment: Assignment, seed: int, now: datetime
    ) -> None:
        """Store `assignment` as the session's seats with `status`, replacing whatever had that status."""
        ...

    async def drop(self, session_id: int, status: SeatStatus) -> None:
        """Delete the session's seats with `status`."""
        ...

    async def confirm_preview(self, session_id: int) -> None:
        """Make the previewed seats the confirmed ones (the confirmed seats they replace are deleted)."""
        ...

    async def history(self, guild_id: int, before_session: int) -> dict[str, History]:
        """Per student: roles held (how often) and partners had in the guild's other confirmed sessions."""
        ...

    async def live_sessions_of(self, user_id: int, guild_id: int | None = None) -> list[SessionRecord]:
        """The live sessions (of a guild, when given) where a student has a confirmed seat, newest first."""
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


class CheckInRepository(Protocol):
    """Students' "I'm here" for a session."""

    async def present(self, session_id: int) -> set[int]:
        """The students who checked in."""
        ...

    async def add(self, session_id: int, user_id: int, at: datetime) -> None:
        """Record a student's check-in."""
        ...


class AcknowledgementRepository(Protocol):
    """How each student's role card went: delivered, opened, acknowledged, reminded."""

    async def of_session(self, session_id: int) -> dict[int, AcknowledgementRecord]:
        """The session's acknowledgements, by user id."""
        ...

    async def save(self, session_id: int, ack: AcknowledgementRecord) -> None:
        """Store a student's acknowledgement as it is now (adding it when it is new)."""
        ...

    async def keep_only(self, session_id: int, user_ids: Collection[int]) -> None:
        """Forget the acknowledgements of students not in `user_ids` (no longer seated)."""
        ...


class RoomRepository(Protocol):
    """The group and partner rooms (threads) opened for a session."""

    async def of_session(self, session_id: int) -> dict[str, RoomRecord]:
        """The session's rooms, by key."""
        ...

    async def add(self, session_id: int, room: RoomRecord) -> None:
        """Remember a room just opened."""
        ...

    async def archived(self, session_id: int, keys: Collection[str]) -> None:
        """Remember that these rooms were archived."""
        ...


class StepRepository(Protocol):
    """The recorded steps of a session's confirm, so a later run does only what is missing."""

    async def of_session(self, session_id: int) -> dict[str, StepRecord]:
        """The session's steps, by key."""
        ...

    async def mark(self, session_id: int, step: StepRecord, now: datetime) -> None:
        """Record how a step stands (adding it when it is new)."""
        ...

    async def keep_only(self, session_id: int, prefix: str, keys: Collection[str]) -> None:
        """Drop the session's steps whose key starts with `prefix`, but those in `keys`."""
        ...

    async def sessions_with(self, key: str, status: StepStatus) -> list[int]:
        """The sessions whose step `key` is in `status` (e.g. a report still owed)."""
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

    async def remember(self, guild_id: int, names: Mapping[int, str], now: datetime) -> None:
        """Store (or update) these users' display names (the students just seated)."""
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
        """Seats, previewed and confirmed."""
        ...

    @property
    def checkins(self) -> CheckInRepository:
        """Check-ins."""
        ...

    @property
    def acknowledgements(self) -> AcknowledgementRepository:
        """Role cards' deliveries and acknowledgements."""
        ...

    @property
    def rooms(self) -> RoomRepository:
        """Session rooms."""
        ...

    @property
    def steps(self) -> StepRepository:
        """Confirm's recorded steps."""
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
