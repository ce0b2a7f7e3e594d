"""The course plan as pure, immutable domain objects: roles, papers, phases, plans and their timing.

This module is pure: it uses only the standard library (no pydantic, discord, database or scheduler), so
the domain logic can be tested and reasoned about without any I/O. `bot.config` builds these objects
from `config.toml`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.calendar import Entry, Kind
from bot.core.platform import Platform, SlackOptions
from bot.core.projects import ProjectRules, Proposal

Style = Literal["short", "long"]
FieldKind = Literal["text", "url", "choice"]
Audience = Literal["class", "groups", "partners"]
SlidesPer = Literal["paper", "role"]
PhaseKind = Literal["activity", "break", "presentation"]

#: Discord limits the configuration is checked against.
MODAL_MAX_FIELDS = 5
LABEL_MAX_CHARS = 45
TEXT_INPUT_MAX_LENGTH = 4000
SELECT_MAX_OPTIONS = 25
SELECT_OPTION_MAX_CHARS = 100


@dataclass(frozen=True)
class Field:
    """One input of a role's deliverable form (a Discord modal text input or choice)."""

    key: str
    label: str
    style: Style = "short"
    kind: FieldKind = "text"
    choices: tuple[str, ...] = ()
    min_length: int = 0
    max_length: int = TEXT_INPUT_MAX_LENGTH
    min_sentences: int | None = None
    max_sentences: int | None = None
    required: bool = True


@dataclass(frozen=True)
class Role:
    """A role every paper group has, held by between `min` and `max` students per paper."""

    key: str
    name: str
    plural: str
    brief: str
    min: int
    max: int
    presents: bool = False
    fields: tuple[Field, ...] = ()

    def field(self, key: str) -> Field:
        """Return the deliverable field `key` of this role (KeyError if there is none)."""
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(f"role {self.key!r} has no field {key!r}")


@dataclass(frozen=True)
class Paper:
    """A paper read by one paper group, with its responsible teachers (by name)."""

    key: str
    title: str
    link: str
    teachers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Teacher:
    """A teacher named by papers, with the Discord username used to add them to group threads."""

    name: str
    discord: str


@dataclass(frozen=True)
class Phase:
    """One step of a run-of-show: how long it lasts, whom it addresses and what it posts."""

    key: str
    name: str
    duration: dt.timedelta
    audience: Audience = "class"
    kind: PhaseKind = "activity"
    text: str = ""
    collect_slides: bool = False
    slot: dt.timedelta | None = None

    @property
    def is_presentation(self) -> bool:
        """Whether this phase runs the presentation conductor (one slot per paper and presenting role)."""
        return self.kind == "presentation"


@dataclass(frozen=True)
class Plan:
    """A named run-of-show: phases in order, with the usual local start and end clock times."""

    name: str
    phases: tuple[Phase, ...]
    start: dt.time | None = None
    end: dt.time | None = None

    @property
    def total(self) -> dt.timedelta:
        """The summed duration of all phases."""
        return sum((p.duration for p in self.phases), dt.timedelta())

    def phase(self, key: str) -> Phase:
        """Return the phase `key` of this plan (KeyError if the plan does not contain it)."""
        for p in self.phases:
            if p.key == key:
                return p
        raise KeyError(f"plan {self.name!r} has no phase {key!r}")

    def index(self, key: str) -> int:
        """Return the position of phase `key` in this plan (KeyError if absent)."""
        for i, p in enumerate(self.phases):
            if p.key == key:
                return i
        raise KeyError(f"plan {self.name!r} has no phase {key!r}")


@dataclass(frozen=True)
class WebOptions:
    """Where the projector page is served (`[web]`): the address to listen on and the public address."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class Course:
    """The whole validated configuration: course, Discord settings, teachers, papers, roles and plans."""

    name: str
    timezone: str
    instructor_roles: tuple[str, ...]
    student_role: str
    class_channel: str
    default_plan: str
    phases: Mapping[str, Phase] = field(hash=False)
    plans: Mapping[str, Plan] = field(hash=False)
    roles: tuple[Role, ...] = ()
    papers: tuple[Paper, ...] = ()
    teachers: tuple[Teacher, ...] = ()
    dev_guild_id: int | None = None
    api_base: str | None = None
    gateway_url: str | None = None
    warning_offsets: tuple[dt.timedelta, ...] = (dt.timedelta(seconds=120),)
    ack_reminder: dt.timedelta = dt.timedelta(minutes=10)
    #: Who submits one slides link: each paper group, or each paper-role group (`[session] slides_per`).
    slides_per: SlidesPer = "paper"
    #: The projector page's server, or None when `[web]` is absent (off).
    web: WebOptions | None = None
    #: Course projects (`[[projects]]`, `[project_rules]`) and the calendar (`[[calendar]]`).
    projects: tuple[Proposal, ...] = ()
    project_rules: ProjectRules = field(default_factory=ProjectRules)
    calendar: tuple[Entry, ...] = ()
    calendar_leads: Mapping[Kind, tuple[dt.timedelta, ...]] = field(default_factory=dict, hash=False)
    #: The chat the course lives in (`[platform] name`), and its Slack options (`[slack]`, Slack only).
    platform: Platform = Platform.DISCORD
    slack: SlackOptions | None = None

    def role(self, key: str) -> Role:
        """Return the role `key` (KeyError if unknown)."""
        for r in self.roles:
            if r.key == key:
                return r
        raise KeyError(f"unknown role {key!r}")

    def paper(self, key: str) -> Paper:
        """Return the paper `key` (KeyError if unknown)."""
        for p in self.papers:
            if p.key == key:
                return p
        raise KeyError(f"unknown paper {key!r}")

    def teacher(self, name: str) -> Teacher | None:
        """Return the teacher called `name`, or None when [[teachers]] does not list them."""
        for t in self.teachers:
            if t.name == name:
                return t
        return None

    def phase(self, key: str) -> Phase:
        """Return the phase `key` (KeyError if unknown)."""
        try:
            return self.phases[key]
        except KeyError:
            raise KeyError(f"unknown phase {key!r}") from None

    def plan(self, name: str | None = None) -> Plan:
        """Return the plan `name`, or the default plan when `name` is None (KeyError if unknown)."""
        key = self.default_plan if name is None else name
        try:
            return self.plans[key]
        except KeyError:
            raise KeyError(f"unknown plan {key!r}") from None

    @property
    def presenting_roles(self) -> tuple[Role, ...]:
        """The roles with `presents = true`, in configuration order."""
        return tuple(r for r in self.roles if r.presents)

    @property
    def tz(self) -> ZoneInfo:
        """The course's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def seats_per_paper(self) -> tuple[int, int]:
        """The (minimum, maximum) number of students one paper group holds."""
        return sum(r.min for r in self.roles), sum(r.max for r in self.roles)

    @property
    def class_size_range(self) -> tuple[int, int]:
        """The (minimum, maximum) class size that fills every paper's roles within their min..max."""
        lo, hi = self.seats_per_paper
        n = len(self.papers)
        return n * lo, n * hi


def _require_aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")


def scheduled_phases(plan: Plan, start: dt.datetime) -> list[tuple[Phase, dt.datetime, dt.datetime]]:
    """Return each phase of `plan` with its (start, end) when the plan starts at aware `start`.

    The arithmetic is done in UTC, so a run that crosses a daylight-saving change keeps real elapsed
    durations; the datetimes are returned in `start`'s time zone.
    """
    _require_aware(start, "start")
    tz = start.tzinfo
    at = start.astimezone(dt.UTC)
    out: list[tuple[Phase, dt.datetime, dt.datetime]] = []
    for phase in plan.phases:
        end = at + phase.duration
        out.append((phase, at.astimezone(tz), end.astimezone(tz)))
        at = end
    return out


def plan_start_on(plan: Plan, day: dt.date, tz: dt.tzinfo | str) -> dt.datetime:
    """Return the plan's clock start (00:00 if it has none) on local `day` in `tz`, as an aware UTC datetime.

    The local wall-clock time is resolved with the zone's rules for that very day, so it is right on
    both sides of a daylight-saving change. A start time that falls in a spring-forward gap resolves to
    the earlier offset (fold=0), i.e. it lands one hour later on the wall clock.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    clock = plan.start or dt.time(0, 0)
    local = dt.datetime.combine(day, clock.replace(tzinfo=None), tzinfo=zone)
    return local.astimezone(dt.UTC)


def slots_needed(course: Course, phase: Phase) -> dt.timedelta:
    """Return the time a presentation phase needs: papers x presenting roles x slot (zero without a slot)."""
    if phase.slot is None:
        return dt.timedelta()
    return phase.slot * (len(course.papers) * len(course.presenting_roles))


def slot_count(course: Course) -> int:
    """Return how many presentation slots a presentation phase holds: papers x presenting roles."""
    return len(course.papers) * len(course.presenting_roles)
