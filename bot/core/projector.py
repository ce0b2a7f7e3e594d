"""What the room's projector shows at one instant: the phase, its countdown, the talks, the run-of-show.

A pure function of the session's timeline, the course and who sits where; the web adapter turns the
board into JSON for the page, which counts down by itself from the end times it is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from bot.core.plan import Course
from bot.core.submissions import slides_group
from bot.core.timeline import Step, Timeline, phase_blocks

QUEUE_LENGTH = 4  # talks shown after the current one


class Mark(StrEnum):
    """Where a phase of the run-of-show stands."""

    PAST = "past"
    NOW = "now"
    LATER = "later"


@dataclass(frozen=True)
class BoardPhase:
    """One line of the run-of-show down the side."""

    name: str
    start: datetime
    end: datetime
    mark: Mark


@dataclass(frozen=True)
class BoardSlot:
    """One talk: the paper, the presenting role, who presents and their slides link (as typed)."""

    key: str
    paper: str
    role: str
    presenters: tuple[str, ...]
    slides: str | None
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Board:
    """Everything the projector page shows at one instant."""

    course: str
    plan: str
    state: str  # scheduled, running, paused, finished, stopped
    now: datetime
    title: str
    text: str
    starts_at: datetime | None  # before the start: when the session begins
    ends_at: datetime | None  # the current step's end (the talk's end during presentations)
    remaining_s: float | None  # time left on the current step, frozen while paused
    phase_ends_at: datetime | None  # the end of the whole phase (differs from ends_at during talks)
    next_name: str | None
    next_at: datetime | None
    slot: BoardSlot | None
    queue: tuple[BoardSlot, ...]
    run_of_show: tuple[BoardPhase, ...]
    warning_s: float | None  # how long before a step's end the page turns to its warning colours

    def to_json(self, tz: tzinfo) -> dict[str, Any]:
        """A JSON-safe form: instants as UTC ISO strings, clock labels in the course's time zone."""

        def iso(at: datetime | None) -> str | None:
            return at.isoformat() if at is not None else None

        def clock(at: datetime | None) -> str | None:
            return at.astimezone(tz).strftime("%H:%M") if at is not None else None

        def slot(s: BoardSlot | None) -> dict[str, Any] | None:
            if s is None:
                return None
            return {
                "key": s.key,
                "paper": s.paper,
                "role": s.role,
                "presenters": list(s.presenters),
                "slides": s.slides,
                "start": iso(s.start),
                "end": iso(s.end),
                "clock": clock(s.start),
            }

        return {
            "course": self.course,
            "plan": self.plan,
            "state": self.state,
            "now": iso(self.now),
            "title": self.title,
            "text": self.text,
            "starts_at": iso(self.starts_at),
            "starts_clock": clock(self.starts_at),
            "ends_at": iso(self.ends_at),
            "remaining_s": self.remaining_s,
            "phase_ends_at": iso(self.phase_ends_at),
            "phase_ends_clock": clock(self.phase_ends_at),
            "next_name": self.next_name,
            "next_at": iso(self.next_at),
            "next_clock": clock(self.next_at),
            "slot": slot(self.slot),
            "queue": [slot(s) for s in self.queue],
            "run_of_show": [
                {"name": p.name, "start": clock(p.start), "end": clock(p.end), "mark": p.mark.value}
                for p in self.run_of_show
            ],
            "warning_s": self.warning_s,
        }


def _slot(
    course: Course,
    step: Step,
    window: tuple[datetime, datetime],
    presenters: Mapping[tuple[str, str], tuple[str, ...]],
    slides: Mapping[str, str],
) -> BoardSlot:
    paper = step.paper or ""
    role = step.role or ""
    return BoardSlot(
        key=step.key,
        paper=course.paper(paper).title,
        role=course.role(role).name,
        presenters=presenters.get((paper, role), ()),
        slides=slides.get(slides_group(paper, role, course.slides_per)) or None,
        start=window[0],
        end=window[1],
    )


def board(
    course: Course,
    plan: str,
    timeline: Timeline,
    now: datetime,
    presenters: Mapping[tuple[str, str], tuple[str, ...]],
    slides: Mapping[str, str],
) -> Board:
    """The board at `now`: `presenters` maps (paper, role) to display names, `slides` a group to its link."""
    position = timeline.position(now)
    windows = timeline.windows()
    clock = timeline.clock(now)
    index = position.index
    blocks = phase_blocks(timeline)
    current_phase = position.step.phase if position.step is not None else None
    run_of_show = tuple(
        BoardPhase(
            name=course.phases[key].name if key in course.phases else name,
            start=start,
            end=end,
            mark=Mark.NOW if key == current_phase else Mark.PAST if end <= clock else Mark.LATER,
        )
        for key, name, start, end, _ in blocks
    )
    step = position.step
    slot = queue = None
    phase_end = None
    if step is not None:
        phase_end = max(end for key, _, _, end, _ in blocks if key == step.phase)
        if step.kind == "slot":
            slot = _slot(course, step, windows[index], presenters, slides)
        phase = course.phases.get(step.phase)
        if phase is not None and phase.is_presentation:
            queue = tuple(
                _slot(course, s, windows[i], presenters, slides)
                for i, s in enumerate(timeline.steps)
                if i > index and s.kind == "slot"
            )[:QUEUE_LENGTH]
    if position.state == "scheduled":
        first = timeline.steps[0]
        title, text = "Starting soon", _text(course, first)
    elif step is None:
        title, text = "Done", "The session is over. Thank you!"
    else:
        title = step.name if step.kind != "slot" else course.phases[step.phase].name
        text = _text(course, step)
    next_step = position.next_step
    next_at = None
    if next_step is not None:
        next_at = windows[index + 1][0] if index >= 0 else timeline.started_at
    remaining = position.remaining.total_seconds() if position.remaining is not None else None
    warnings = step.warnings if step is not None else ()
    return Board(
        course=course.name,
        plan=plan,
        state=position.state,
        now=now,
        title=title,
        text=text,
        starts_at=timeline.started_at if position.state == "scheduled" else None,
        ends_at=position.end if step is not None else None,
        remaining_s=remaining,
        phase_ends_at=phase_end,
        next_name=_next_name(course, step, next_step),
        next_at=next_at,
        slot=slot,
        queue=queue or (),
        run_of_show=run_of_show,
        warning_s=min(warnings).total_seconds() if warnings else None,
    )


def _text(course: Course, step: Step) -> str:
    phase = course.phases.get(step.phase)
    return phase.text if phase is not None else ""


def _next_name(course: Course, step: Step | None, following: Step | None) -> str | None:
    """The next talk by its name, or the next phase by the phase's name (not its first talk's)."""
    if following is None:
        return None
    if step is not None and step.phase == following.phase:
        return following.name
    phase = course.phases.get(following.phase)
    return phase.name if phase is not None else following.name
