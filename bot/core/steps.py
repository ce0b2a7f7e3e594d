"""Turning a plan into the steps of a session: its phases, with the presentation phase as one slot per talk."""

from __future__ import annotations

from datetime import timedelta

from bot.core.plan import Course, Phase, Plan
from bot.core.timeline import Step

SLOT_WARNING = timedelta(seconds=30)


def presentation_steps(course: Course, phase: Phase) -> list[Step]:
    """One slot per paper and presenting role, then a wrap-up for whatever is left of the phase."""
    slot = phase.slot or timedelta(minutes=3)
    steps = [
        Step(
            key=f"{phase.key}/{paper.key}/{role.key}",
            phase=phase.key,
            name=f"{paper.title} - {role.name}",
            planned=slot,
            audience=phase.audience,
            kind="slot",
            paper=paper.key,
            role=role.key,
            warnings=(SLOT_WARNING,),
        )
        for paper in course.papers
        for role in course.presenting_roles
    ]
    rest = phase.duration - slot * len(steps)
    if rest > timedelta() or not steps:
        steps.append(
            Step(
                key=f"{phase.key}/wrap-up",
                phase=phase.key,
                name=f"{phase.name}: wrap-up",
                planned=rest if steps else phase.duration,
                audience=phase.audience,
                kind="wrap-up",
            )
        )
    return steps


def build_steps(course: Course, plan: Plan) -> tuple[Step, ...]:
    """The session's steps for a plan, each phase carrying the course's warning offsets."""
    steps: list[Step] = []
    for phase in plan.phases:
        if phase.kind == "presentation":
            steps.extend(presentation_steps(course, phase))
            continue
        steps.append(
            Step(
                key=phase.key,
                phase=phase.key,
                name=phase.name,
                planned=phase.duration,
                audience=phase.audience,
                kind="break" if phase.kind == "break" else "activity",
                warnings=course.warning_offsets,
            )
        )
    return tuple(steps)
