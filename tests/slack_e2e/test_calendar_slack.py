"""/calendar on Slack: what comes next in each reader's own time, and the .ics file in their DMs."""

from __future__ import annotations

from pathlib import Path

import pytest

from slack_sandbox import SlackSandbox
from slack_sandbox.sandbox import DEFAULT_SCOPES

from .conftest import open_slack_class

pytestmark = pytest.mark.e2e

LATER = """
[[calendar]]
date = "2099-05-07"
time = "13:00"
title = "Poster session"
kind = "session"
"""


async def test_a_student_sees_what_comes_next_and_gets_the_calendar_file(tmp_path: Path) -> None:
    async with SlackSandbox(scopes=(*DEFAULT_SCOPES, "files:write")) as sb:
        room = await open_slack_class(sb, tmp_path, extra=LATER)
        student = room.students[0]
        try:
            seen = await room.run(student, "/calendar")
            answer = seen.replies[-1]
            assert answer.ephemeral and "What comes next - " in answer.text
            assert "Poster session" in answer.text and answer.dates, (
                "the time is a <!date> in each reader's zone"
            )
            assert "get the file with `/calendar ics`" in answer.text

            asked = await room.run(student, "/calendar", "ics")
            await asked.wait(lambda o: "is in your direct messages with me" in o.text)
            shared = [m for m in student.dms() if m.files]
            assert [f.name for f in shared[0].message.files] == ["course-calendar.ics"]
            data = shared[0].message.files[0].data or b""
            assert data.startswith(b"BEGIN:VCALENDAR") and b"Poster session" in data
        finally:
            await room.stop()
        sb.assert_clean()


async def test_project_commands_say_they_are_not_on_slack_yet_and_what_is(tmp_path: Path) -> None:
    async with SlackSandbox() as sb:
        room = await open_slack_class(sb, tmp_path)
        try:
            seen = await room.run(room.students[0], "/project", "list")
            assert "`/project` is not on Slack yet: it works on Discord." in seen.text
            assert "`/calendar`" in seen.text and "`/deliverable`" in seen.text
        finally:
            await room.stop()
        sb.assert_clean()
