"""An afternoon on Slack: the same session as on Discord, in Slack's idiom."""

from __future__ import annotations

import pytest

from .conftest import SlackClass

pytestmark = pytest.mark.e2e


async def test_the_teacher_starts_the_plan_and_the_class_sees_the_run_of_show_and_the_first_phase(
    slack_class: SlackClass,
) -> None:
    room = slack_class
    started = await room.run(room.teacher, "/session", "start fast")
    assert "Started *fast*" in started.text, started.text
    await room.sandbox.wait_for(lambda: len(room.posts()) >= 2, timeout=10, what="the first posts")
    first, phase = room.posts()[:2]
    assert "Run-of-show: fast" in first.text
    assert "Introduce and assign roles" in phase.text
    assert phase.dates, "the phase's end is a <!date> shown in each reader's own zone"


async def test_a_student_cannot_steer_the_session_and_is_told_why(slack_class: SlackClass) -> None:
    room = slack_class
    refused = await room.run(room.students[0], "/session", "pause")
    assert "Only instructors" in refused.text
    assert room.posts() == []


async def test_a_wrong_verb_gets_help_that_says_what_to_type(slack_class: SlackClass) -> None:
    room = slack_class
    seen = await room.run(room.teacher, "/session", "strat")
    assert "/session start" in seen.text
