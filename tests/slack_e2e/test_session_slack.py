"""An afternoon on Slack: the same session as on Discord, in Slack's idiom."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.plan import Course
from slack_sandbox import SlackSandbox

from .conftest import SlackClass, open_slack_class

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


LONG = """
[[phases]]
key = "long-read"
name = "Read your paper"
seconds = 600
audience = "class"
text = "Read on your own."

[plans.long]
phases = ["long-read"]
"""


def every_second(course: Course) -> Course:
    """The course with the phase posts' "time left" refreshed every second (config allows 60 s or more)."""
    assert course.slack is not None
    return replace(course, slack=replace(course.slack, time_left_refresh=timedelta(seconds=1)))


async def test_the_time_left_on_a_phase_post_is_kept_up_to_date(tmp_path: Path) -> None:
    """Slack has no self-updating countdown: the phase post's "in 10 min" is rewritten while it runs."""
    async with SlackSandbox() as sb:
        room = await open_slack_class(sb, tmp_path, extra=LONG, adjust=every_second)
        try:
            await room.run(room.teacher, "/session", "start long")
            await sb.wait_for(lambda: any("Now: Read your paper" in p.text for p in room.posts()), timeout=10)
            post = next(p for p in room.posts() if "Now: Read your paper" in p.text)
            assert "(in 10 min)" in post.text
            await sb.wait_for(
                lambda: any("(in 9 min 5" in p.text for p in room.posts() if p.ts == post.ts),
                timeout=10,
                what="the time left to be rewritten",
            )
            assert next(p for p in room.posts() if p.ts == post.ts).edited
            assert sum("Now: Read your paper" in p.text for p in room.posts()) == 1  # edited, not re-posted
        finally:
            await room.stop()
        sb.assert_clean()
