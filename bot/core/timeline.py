"""The session clock: absolute start, effective step lengths, pauses; where the session is at any instant.

A session is a sequence of steps (the plan's phases, with the presentation phase expanded into one slot
per paper and presenting role). Its state is stored as absolute times, so the current step is always
computed from the clock and cannot drift; pausing, extending, skipping and going back only change the
stored lengths, which shifts every later step at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.core.errors import ConductorError

MAX_EXTEND = timedelta(days=1)
StepKind = Literal["activity", "break", "slot", "wrap-up"]
State = Literal["scheduled", "running", "paused", "finished", "stopped"]


@dataclass(frozen=True)
class Step:
    """One step of a session: a phase of the plan or one presentation slot."""

    key: str
    phase: str
    name: str
    planned: timedelta
    audience: str = "class"
    kind: StepKind = "activity"
    paper: str | None = None
    role: str | None = None
    warnings: tuple[timedelta, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form for the database."""
        return {
            "key": self.key,
            "phase": self.phase,
            "name": self.name,
            "planned_ms": round(self.planned.total_seconds() * 1000),
            "audience": self.audience,
            "kind": self.kind,
            "paper": self.paper,
            "role": self.role,
            "warnings_ms": [round(w.total_seconds() * 1000) for w in self.warnings],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        """Rebuild a step stored by `to_json`."""
        return cls(
            key=data["key"],
            phase=data["phase"],
            name=data["name"],
            planned=timedelta(milliseconds=data["planned_ms"]),
            audience=data["audience"],
            kind=data["kind"],
            paper=data.get("paper"),
            role=data.get("role"),
            warnings=tuple(timedelta(milliseconds=w) for w in data.get("warnings_ms", ())),
        )


@dataclass(frozen=True)
class Position:
    """Where a session is at one instant."""

    state: State
    index: int  # -1 before the start, len(steps) once over
    step: Step | None
    start: datetime | None
    end: datetime | None
    remaining: timedelta | None
    next_step: Step | None


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("the timeline works with aware datetimes only")


@dataclass(frozen=True)
class Timeline:
    """A session's clock: steps, when it started, each step's effective length, and pause/stop instants."""

    steps: tuple[Step, ...]
    started_at: datetime
    durations: tuple[timedelta, ...] = field(default=())
    paused_at: datetime | None = None
    stopped_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware(self.started_at)
        if not self.steps:
            raise ValueError("a timeline needs at least one step")
        if not self.durations:
            object.__setattr__(self, "durations", tuple(s.planned for s in self.steps))
        if len(self.durations) != len(self.steps):
            raise ValueError("one duration per step")

    # --- reading -------------------------------------------------------------------------------

    def windows(self) -> list[tuple[datetime, datetime]]:
        """Each step's (start, end) as it stands now."""
        out = []
        start = self.started_at
        for length in self.durations:
            out.append((start, start + length))
            start += length
        return out

    @property
    def ends_at(self) -> datetime:
        """When the last step ends, as things stand (while paused, this keeps moving)."""
        return self.started_at + sum(self.durations, timedelta())

    def clock(self, now: datetime) -> datetime:
        """The instant the session's clock shows: frozen while paused or after a stop."""
        _require_aware(now)
        if self.paused_at is not None:
            return self.paused_at
        if self.stopped_at is not None and now > self.stopped_at:
            return self.stopped_at
        return now

    def index_at(self, now: datetime) -> int:
        """The step running at `now`: -1 before the start, len(steps) once over or stopped."""
        if self.stopped_at is not None and now >= self.stopped_at:
            return len(self.steps)
        at = self.clock(now)
        if at < self.started_at:
            return -1
        for index, (_, end) in enumerate(self.windows()):
            if at < end:
                return index
        return len(self.steps)

    def position(self, now: datetime) -> Position:
        """The state, current step, its window and the time left at `now`."""
        index = self.index_at(now)
        if index < 0:
            first = self.steps[0]
            return Position("scheduled", -1, None, None, self.started_at, None, first)
        if index >= len(self.steps):
            state: State = "stopped" if self.stopped_at is not None else "finished"
            return Position(state, index, None, None, None, None, None)
        start, end = self.windows()[index]
        remaining = end - self.clock(now)
        nxt = self.steps[index + 1] if index + 1 < len(self.steps) else None
        state = "paused" if self.paused_at is not None else "running"
        return Position(state, index, self.steps[index], start, end, remaining, nxt)

    # --- changing -------------------------------------------------------------------------------

    def _current(self, now: datetime, action: str) -> int:
        index = self.index_at(now)
        if index < 0:
            raise ConductorError(
                f"The session has not started yet, so there is nothing to {action}. "
                "Use `/session stop` to cancel it, or wait for its start."
            )
        if index >= len(self.steps):
            raise ConductorError(f"The session is over, so there is nothing to {action}.")
        return index

    def _with_length(self, index: int, length: timedelta, **changes: Any) -> Timeline:
        durations = list(self.durations)
        durations[index] = length
        return replace(self, durations=tuple(durations), **changes)

    def pause(self, now: datetime) -> Timeline:
        """Stop the clock at `now`; nothing moves until `resume`."""
        if self.paused_at is not None:
            raise ConductorError("The session is already paused: use `/session resume` to restart the clock.")
        self._current(now, "pause")
        return replace(self, paused_at=now)

    def resume(self, now: datetime) -> Timeline:
        """Restart the clock: the paused step, and every later one, shift by the length of the pause."""
        if self.paused_at is None:
            raise ConductorError("The session is not paused, so there is nothing to resume.")
        index = self._current(now, "resume")
        pause = max(now - self.paused_at, timedelta())
        return self._with_length(index, self.durations[index] + pause, paused_at=None)

    def extend(self, now: datetime, delta: timedelta) -> Timeline:
        """Lengthen (or, with a negative delta, shorten) the current step; it never ends before `now`."""
        if delta == timedelta():
            raise ConductorError("Extend by a non-zero number of minutes (negative shortens the phase).")
        if abs(delta) > MAX_EXTEND:
            raise ConductorError("A phase can be extended or shortened by at most a day (1440 minutes).")
        index = self._current(now, "extend")
        start, _ = self.windows()[index]
        elapsed = self.clock(now) - start
        return self._with_length(index, max(self.durations[index] + delta, elapsed))

    def skip(self, now: datetime) -> Timeline:
        """End the current step now; the next one starts at once (after the last, the session is over)."""
        index = self._current(now, "skip")
        start, _ = self.windows()[index]
        return self._with_length(index, self.clock(now) - start)

    def back(self, now: datetime) -> Timeline:
        """Go back to the previous step, which restarts now with its full planned length."""
        index = self._current(now, "go back from")
        if index == 0:
            raise ConductorError("This is the first phase: there is nothing to go back to.")
        previous_start, _ = self.windows()[index - 1]
        durations = list(self.durations)
        durations[index - 1] = self.clock(now) - previous_start + self.steps[index - 1].planned
        durations[index] = self.steps[index].planned
        return replace(self, durations=tuple(durations))

    def stop(self, now: datetime) -> Timeline:
        """End the session now."""
        if self.stopped_at is not None:
            raise ConductorError("The session is already stopped.")
        return replace(self, stopped_at=now, paused_at=None)

    def shifted_by(self, before: Timeline) -> timedelta:
        """How much later (positive) or earlier the session now ends than in `before`."""
        return self.ends_at - before.ends_at


def phase_blocks(timeline: Timeline) -> list[tuple[str, str, datetime, datetime, int]]:
    """The steps grouped back into phases: (phase key, name, start, end, number of slots)."""
    blocks: list[tuple[str, str, datetime, datetime, int]] = []
    for step, (start, end) in zip(timeline.steps, timeline.windows(), strict=True):
        slots = 1 if step.kind == "slot" else 0
        if blocks and blocks[-1][0] == step.phase:
            key, name, first, _, count = blocks[-1]
            blocks[-1] = (key, name, first, end, count + slots)
        else:
            name = step.name.split(":")[0] if step.kind == "wrap-up" else step.name
            if step.kind == "slot":
                name = "Presentations"
            blocks.append((step.phase, name, start, end, slots))
    return blocks


# --- deciding what to post ---------------------------------------------------------------------


@dataclass(frozen=True)
class Announce:
    """A step has started and must be announced (late if it started a while ago)."""

    index: int
    late: timedelta
    missed: tuple[int, ...]  # steps that came and went unannounced (e.g. while the bot was down)
    previous: int | None  # the last announced step, whose post is now marked over
    again: bool = False  # the step restarts (`/session back`): "Back to ..." rather than "Time's up for ..."


@dataclass(frozen=True)
class Warn:
    """A warning that the current step ends soon."""

    index: int
    keys: tuple[str, ...]  # every warning this post covers (several fall due at once after downtime)
    remaining: timedelta | None  # None: folded into an announcement; nothing to post, keys to mark


@dataclass(frozen=True)
class Finish:
    """The session is over (its last step ended, or it was stopped)."""

    missed: tuple[int, ...]
    previous: int | None


Action = Announce | Warn | Finish


@dataclass(frozen=True)
class Decision:
    """What to post now, where the announcing cursor moves to, and when to look again."""

    actions: tuple[Action, ...]
    cursor: int
    wake_at: datetime | None


def warning_key(index: int, end: datetime, offset: timedelta) -> str:
    """The key of one warning: a changed end (an extension) arms the warning again."""
    return f"warn:{index}:{int(end.timestamp())}:{int(offset.total_seconds())}"


def decide(
    timeline: Timeline,
    now: datetime,
    cursor: int,
    done: frozenset[str] = frozenset(),
    *,
    tolerance: timedelta = timedelta(seconds=5),
) -> Decision:
    """Given the clock and what was already announced, decide what to post and when to wake up next.

    `cursor` is the index of the last step whose start was announced (-1: none; len(steps): the end
    was announced). `done` holds the keys of warnings already posted. Phases that started and ended
    while nobody announced them are folded into one `missed` list, never replayed one by one.
    """
    _require_aware(now)
    index = timeline.index_at(now)
    count = len(timeline.steps)
    actions: list[Action] = []
    previous = cursor if 0 <= cursor < count else None
    if index >= count:
        if cursor < count:
            actions.append(Finish(tuple(range(cursor + 1, count)), previous))
        return Decision(tuple(actions), count, None)
    if index < 0:
        return Decision((), cursor, timeline.started_at)
    if index > cursor:
        start, _ = timeline.windows()[index]
        late = timeline.clock(now) - start
        # "Late" is relative to the step: seconds matter in a compressed rehearsal, not in a 30-minute phase.
        late_after = min(tolerance, timeline.steps[index].planned / 10)
        actions.append(
            Announce(
                index, late if late > late_after else timedelta(), tuple(range(cursor + 1, index)), previous
            )
        )
        cursor = index
    if timeline.paused_at is not None:
        return Decision(tuple(actions), cursor, None)
    start, end = timeline.windows()[index]
    wake = end
    due: list[str] = []
    fold_within = tolerance
    for offset in timeline.steps[index].warnings:
        at = end - offset
        key = warning_key(index, end, offset)
        if offset >= end - start or key in done:
            continue
        if at <= now:
            due.append(key)
            fold_within = min(fold_within, offset / 2)
        else:
            wake = min(wake, at)
    if due:
        # One post covers every warning due now; none when the start was just announced (it shows the
        # end already) or the end is only moments away (the next step's post says "time's up").
        folded = bool(actions) or end - now <= fold_within
        actions.append(Warn(index, tuple(due), None if folded else end - now))
    return Decision(tuple(actions), cursor, wake)
