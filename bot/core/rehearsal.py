"""A dry run's ingredients: the course compressed in time, and how the simulated class behaves (seeded)."""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.core.plan import Course, Field, Phase, Plan


def speed_for(plan: Plan, target: timedelta = timedelta(minutes=2)) -> float:
    """The speed-up that runs a plan in about `target` (the whole afternoon in two minutes by default)."""
    return max(1.0, plan.total / target)


def compress(course: Course, speed: float) -> Course:
    """The same course with every duration divided by `speed` (phases, slots, warnings, reminders)."""
    if speed <= 0:
        raise ValueError("speed must be positive")

    def fast(phase: Phase) -> Phase:
        return replace(
            phase, duration=phase.duration / speed, slot=phase.slot / speed if phase.slot else None
        )

    phases = {key: fast(phase) for key, phase in course.phases.items()}
    plans = {
        name: replace(plan, phases=tuple(phases[p.key] for p in plan.phases))
        for name, plan in course.plans.items()
    }
    return replace(
        course,
        phases=phases,
        plans=plans,
        warning_offsets=tuple(w / speed for w in course.warning_offsets),
        ack_reminder=course.ack_reminder / speed,
    )


@dataclass(frozen=True)
class ClassBehaviour:
    """What the simulated class will do: who is slow, which group is late or silent, when teachers steer."""

    dms_closed: frozenset[int]  # student numbers (1-based) whose DMs are closed
    late_ack: frozenset[int]  # students who press "Got it" only in the next phase
    never_ack: frozenset[int]
    late_group: int | None  # index of the paper group that submits slides late
    silent_group: int | None  # index of the paper group that never submits
    pause_phase: str | None  # phase key during which the instructor pauses once
    extend_phase: str | None  # phase key that the instructor extends once
    form_order: tuple[int, ...] = ()  # students in a seeded order: the first form holders are the slow ones
    never_forms: int = 0  # how many students with a role form never file it
    late_forms: int = 0  # how many file it only after the phase in which they should have


def behaviour(students: int, papers: int, plan: Plan, seed: int) -> ClassBehaviour:
    """Draw the class's behaviour from a seed: about 7% closed DMs, 10% late acknowledgements, 5% never."""
    rng = random.Random(seed)
    people = list(range(1, students + 1))
    rng.shuffle(people)
    closed = max(1, round(students * 0.07)) if students >= 5 else 0
    late = max(1, round(students * 0.10)) if students >= 5 else 0
    never = max(1, round(students * 0.05)) if students >= 10 else 0
    groups = list(range(papers))
    rng.shuffle(groups)
    activities = [p for p in plan.phases if p.kind == "activity"]
    longest = max(activities, key=lambda p: p.duration).key if activities else None
    others = [p.key for p in activities if p.key != longest]
    extend = rng.choice(others) if others else longest
    order = list(range(1, students + 1))
    rng.shuffle(order)  # drawn last, so the draws above stay what they were for a given seed
    return ClassBehaviour(
        dms_closed=frozenset(people[:closed]),
        late_ack=frozenset(people[closed : closed + late]),
        never_ack=frozenset(people[closed + late : closed + late + never]),
        late_group=groups[0] if papers >= 2 else None,
        silent_group=groups[1] if papers >= 3 else None,
        pause_phase=longest,
        extend_phase=extend,
        form_order=tuple(order),
        never_forms=(2 if students >= 30 else 1) if students >= 5 else 0,
        late_forms=max(1, round(students * 0.10)) if students >= 5 else 0,
    )


def form_timing(b: ClassBehaviour, holders: Collection[int]) -> tuple[frozenset[int], frozenset[int]]:
    """Among the students whose role has a form: (who files it late, who never files it), seeded."""
    slow = [n for n in b.form_order if n in holders]
    never = slow[: min(b.never_forms, max(0, len(slow) - 1))]
    late = slow[len(never) : len(never) + b.late_forms]
    return frozenset(late), frozenset(never)


_WORDS = (
    "the group read the paper closely and noted how the method works what it assumes "
    "which results matter most and where the evidence could be stronger for the class"
).split()


def sample_answer(field: Field, seed: int) -> str:
    """A plausible answer that passes the field's checks (choice, link, length and sentences), seeded."""
    rng = random.Random(f"{seed}:{field.key}")
    if field.kind == "choice":
        return rng.choice(field.choices) if field.choices else ""
    if field.kind == "url":
        return f"https://papers.example.org/{field.key}/{seed}"
    lo, hi = field.min_sentences, field.max_sentences
    count = (lo + (hi if hi is not None else lo + 2)) // 2 if lo is not None else (hi or 0) // 2 or 1
    count = max(count, 1)
    target = max(field.min_length, 40 if field.style == "long" else 12)
    each = -(-target // count) + 8  # every sentence long enough that together they pass the minimum
    sentences = []
    for i in range(count):
        words = [f"Point {i + 1}:"] if count > 1 else ["Note:"]
        while len(" ".join(words)) < each:
            words.append(rng.choice(_WORDS))
        sentences.append(" ".join(words) + ".")
    text = " ".join(sentences)
    if len(text) > field.max_length:  # a short field (a title): one sentence that fits
        text = text[: max(1, field.max_length - 1)].rstrip() + "."
    return text
