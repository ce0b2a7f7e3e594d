"""Course projects as pure rules: proposals, groups, choices and own proposals, with the course's limits.

Every action takes the state, the actor and `now`, and returns the new state or raises ConductorError
saying what to do instead. The database enforces the same limits with unique constraints, so two
presses at the same instant cannot both win; these functions give the loser the clear answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.core.errors import ConductorError

NAME_MAX = 60
TITLE_MAX = 100
ABSTRACT_MAX = 1500
REASON_MAX = 500
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or typed from a screen


class OwnStatus(StrEnum):
    """Where a group's own project proposal stands."""

    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"


class GroupStatus(StrEnum):
    """Where a group stands on its project."""

    NO_PROJECT = "no project"
    WAITING = "waiting for approval"
    PROPOSAL = "proposal chosen"
    OWN = "own project approved"


@dataclass(frozen=True)
class Proposal:
    """A lecturer's project idea that at most `max_groups` groups can take."""

    key: str
    title: str
    supervisors: tuple[str, ...]
    description: str = ""
    link: str | None = None
    max_groups: int = 2


@dataclass(frozen=True)
class ProjectRules:
    """The course's rules for groups and choices (`[project_rules]`)."""

    min_size: int = 3
    recommended_size: int = 4
    max_size: int = 4
    own_allowed: bool = True
    lock_at: dt.datetime | None = None  # aware UTC: after it, choices need an instructor
    phase: str | None = None  # the phase whose announcement carries the proposal cards
    nudge_days: tuple[int, ...] = (3, 1)
    chat_weekday: int | None = None  # 0 = Monday; the weekly supervisor chat reminder
    chat_time: dt.time | None = None
    chat_lead: dt.timedelta = dt.timedelta(hours=1)
    chat_until: dt.date | None = None

    def locked(self, now: dt.datetime) -> bool:
        """Whether choices are locked at `now`."""
        return self.lock_at is not None and now >= self.lock_at


@dataclass(frozen=True)
class OwnProposal:
    """A group's own project idea, reviewed by an instructor."""

    title: str
    abstract: str
    status: OwnStatus = OwnStatus.PENDING
    reason: str = ""


@dataclass(frozen=True)
class Group:
    """A project group: its members (user ids, in joining order), join code, and project."""

    id: int
    name: str
    code: str
    members: tuple[int, ...]
    proposal: str | None = None
    own: OwnProposal | None = None

    @property
    def status(self) -> GroupStatus:
        """Whether the group has a project yet."""
        if self.proposal is not None:
            return GroupStatus.PROPOSAL
        if self.own is not None and self.own.status == OwnStatus.APPROVED:
            return GroupStatus.OWN
        if self.own is not None and self.own.status == OwnStatus.PENDING:
            return GroupStatus.WAITING
        return GroupStatus.NO_PROJECT


@dataclass(frozen=True)
class ProjectState:
    """Everything the rules look at in one guild: the proposals, the rules and the groups."""

    proposals: tuple[Proposal, ...]
    rules: ProjectRules
    groups: tuple[Group, ...] = ()

    def proposal(self, key: str) -> Proposal:
        """The proposal `key`, or a ConductorError listing the keys."""
        for p in self.proposals:
            if p.key == key:
                return p
        known = ", ".join(f"`{p.key}`" for p in self.proposals)
        raise ConductorError(f"There is no project proposal `{key}`. Proposals: {known}.")

    def group_of(self, user: int) -> Group | None:
        """The group a student is in, if any."""
        return next((g for g in self.groups if user in g.members), None)

    def group(self, group_id: int) -> Group:
        """The group with this id."""
        for g in self.groups:
            if g.id == group_id:
                return g
        raise ConductorError("That group no longer exists: see `/project status`.")

    def by_code(self, code: str) -> Group:
        """The group with this join code (case and spaces ignored)."""
        wanted = code.strip().upper().replace(" ", "")
        for g in self.groups:
            if g.code == wanted:
                return g
        raise ConductorError(
            f"No group has the code `{wanted[:12]}`. Ask a member for it (it is shown in `/project status`)."
        )

    def taken(self, key: str) -> int:
        """How many groups have chosen proposal `key`."""
        return sum(1 for g in self.groups if g.proposal == key)

    def free(self) -> tuple[Proposal, ...]:
        """The proposals with a free place."""
        return tuple(p for p in self.proposals if self.taken(p.key) < p.max_groups)

    def with_group(self, group: Group) -> ProjectState:
        """This state with one group replaced (or removed when it has no members left)."""
        others = tuple(g for g in self.groups if g.id != group.id)
        return replace(self, groups=(*others, group) if group.members else others)


def _check_lock(state: ProjectState, now: dt.datetime, instructor: bool) -> None:
    lock = state.rules.lock_at
    if not instructor and lock is not None and now >= lock:
        raise ConductorError(
            f"Groups and project choices locked on <t:{int(lock.timestamp())}:F>. Ask an instructor: they "
            "can still place you in a group or change a group's project."
        )


def _clean(text: str, what: str, limit: int) -> str:
    cleaned = " ".join(text.split()) if what != "abstract" else text.strip()
    if not cleaned:
        raise ConductorError(f"The {what} is empty: type one, then try again.")
    if len(cleaned) > limit:
        raise ConductorError(f"The {what} is {len(cleaned)} characters; keep it under {limit}.")
    return cleaned


def _alternatives(state: ProjectState, exclude: str | None = None) -> str:
    free = [p for p in state.free() if p.key != exclude]
    if not free:
        own = " or propose your own with `/project propose`" if state.rules.own_allowed else ""
        return f"Every proposal is taken now: ask an instructor{own}."
    listed = ", ".join(f"**{p.title}** (`{p.key}`)" for p in free[:8])
    more = f" and {len(free) - 8} more" if len(free) > 8 else ""
    return f"Still free: {listed}{more}."


def create_group(
    state: ProjectState, actor: int, name: str, code: str, now: dt.datetime, *, new_id: int = 0
) -> tuple[ProjectState, Group]:
    """A student starts a group with a name and becomes its first member."""
    _check_lock(state, now, instructor=False)
    name = _clean(name, "group name", NAME_MAX)
    mine = state.group_of(actor)
    if mine is not None:
        raise ConductorError(
            f"You are already in the group **{mine.name}**: leave it first with `/project leave`."
        )
    if any(g.name.casefold() == name.casefold() for g in state.groups):
        raise ConductorError(f"A group called **{name}** exists already: pick another name, or join it.")
    group = Group(id=new_id, name=name, code=code, members=(actor,))
    return replace(state, groups=(*state.groups, group)), group


def join(
    state: ProjectState, actor: int, group_id: int, now: dt.datetime, *, instructor: bool = False
) -> ProjectState:
    """`actor` joins a group, which must have room; a student already in a group leaves it first."""
    _check_lock(state, now, instructor)
    group = state.group(group_id)
    if actor in group.members:
        raise ConductorError(f"You are already in **{group.name}**.")
    mine = state.group_of(actor)
    if mine is not None and not instructor:
        raise ConductorError(
            f"You are already in the group **{mine.name}**: leave it first with `/project leave`."
        )
    limit = state.rules.max_size
    if len(group.members) >= limit:
        raise ConductorError(
            f"**{group.name}** is full ({limit} students, the course's maximum). Join another group, or "
            "create one with `/project create`."
        )
    if mine is not None:
        state = state.with_group(replace(mine, members=tuple(u for u in mine.members if u != actor)))
        group = state.group(group_id)
    return state.with_group(replace(group, members=(*group.members, actor)))


def leave(state: ProjectState, actor: int, now: dt.datetime, *, instructor: bool = False) -> ProjectState:
    """`actor` leaves their group; the last one out dissolves it and frees its place."""
    _check_lock(state, now, instructor)
    mine = state.group_of(actor)
    if mine is None:
        raise ConductorError("You are not in a group. Create one with `/project create`, or join one.")
    return state.with_group(replace(mine, members=tuple(u for u in mine.members if u != actor)))


def choose(
    state: ProjectState,
    actor: int,
    key: str,
    now: dt.datetime,
    *,
    instructor: bool = False,
    group_id: int | None = None,
) -> ProjectState:
    """A member chooses a proposal for their group (an instructor may choose for any group)."""
    _check_lock(state, now, instructor)
    proposal = state.proposal(key)
    group = state.group(group_id) if group_id is not None else state.group_of(actor)
    if group is None:
        raise ConductorError(
            "Only a group chooses a project: create one with `/project create` or join one first."
        )
    if group.proposal == key:
        raise ConductorError(f"**{group.name}** has already chosen **{proposal.title}**.")
    if state.taken(key) >= proposal.max_groups:
        raise ConductorError(
            f"**{proposal.title}** is full: {proposal.max_groups} groups have taken it already. "
            + _alternatives(state, exclude=key)
        )
    return state.with_group(replace(group, proposal=key, own=None))


def propose_own(state: ProjectState, actor: int, title: str, abstract: str, now: dt.datetime) -> ProjectState:
    """A member files the group's own project for an instructor to approve; any chosen place is kept."""
    _check_lock(state, now, instructor=False)
    if not state.rules.own_allowed:
        raise ConductorError("This course does not take own project proposals: choose one of the proposals.")
    group = state.group_of(actor)
    if group is None:
        raise ConductorError("Only a group proposes a project: create one with `/project create` first.")
    own = OwnProposal(_clean(title, "title", TITLE_MAX), _clean(abstract, "abstract", ABSTRACT_MAX))
    return state.with_group(replace(group, own=own))


def approve(state: ProjectState, group_id: int, now: dt.datetime) -> ProjectState:
    """An instructor approves a group's pending own project; a place the group held is released."""
    group = state.group(group_id)
    if group.own is None or group.own.status != OwnStatus.PENDING:
        raise ConductorError(f"**{group.name}** has no own project waiting for approval.")
    return state.with_group(replace(group, proposal=None, own=replace(group.own, status=OwnStatus.APPROVED)))


def send_back(state: ProjectState, group_id: int, reason: str, now: dt.datetime) -> ProjectState:
    """An instructor sends a pending own project back with a reason; the group may file a new one."""
    group = state.group(group_id)
    if group.own is None or group.own.status != OwnStatus.PENDING:
        raise ConductorError(f"**{group.name}** has no own project waiting for approval.")
    reason = _clean(reason, "reason", REASON_MAX)
    return state.with_group(replace(group, own=replace(group.own, status=OwnStatus.RETURNED, reason=reason)))


def place(state: ProjectState, student: int, group_id: int, now: dt.datetime) -> ProjectState:
    """An instructor places a student into a group (out of any other), within the maximum size."""
    return join(state, student, group_id, now, instructor=True)


def problems(state: ProjectState) -> list[str]:
    """The broken invariants of a state (empty when the rules hold): for tests and the doctor."""
    out = []
    seen: dict[int, str] = {}
    for g in state.groups:
        if len(g.members) > state.rules.max_size:
            out.append(f"group {g.name!r} has {len(g.members)} members (max {state.rules.max_size})")
        if not g.members:
            out.append(f"group {g.name!r} is empty")
        for u in g.members:
            if u in seen:
                out.append(f"student {u} is in {seen[u]!r} and {g.name!r}")
            seen[u] = g.name
    for p in state.proposals:
        if state.taken(p.key) > p.max_groups:
            out.append(f"proposal {p.key!r} taken by {state.taken(p.key)} groups (max {p.max_groups})")
    return out


def weekly(
    weekday: int, at: dt.time, start: dt.datetime, until: dt.datetime, tz: dt.tzinfo
) -> list[dt.datetime]:
    """Every `weekday` at local clock time `at` between `start` and `until`, as aware UTC datetimes."""
    out: list[dt.datetime] = []
    day = start.astimezone(tz).date()
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    while True:
        when = dt.datetime.combine(day, at, tzinfo=tz).astimezone(dt.UTC)
        if when > until:
            return out
        if when >= start:
            out.append(when)
        day += dt.timedelta(days=7)
