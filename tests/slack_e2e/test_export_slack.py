"""/export on Slack: the session's CSV and report land in the teacher's DM, or the answer says which scope
the app needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from slack_sandbox import SlackSandbox
from slack_sandbox.sandbox import DEFAULT_SCOPES

from .conftest import SlackClass, open_slack_class

pytestmark = pytest.mark.e2e


async def paused_session(sb: SlackSandbox, tmp_path: Path) -> SlackClass:
    """A class whose session has started and is paused (so its record does not move meanwhile)."""
    room = await open_slack_class(sb, tmp_path)
    await room.run(room.teacher, "/session", "start fast")
    await room.run(room.teacher, "/session", "pause")
    return room


async def test_the_teacher_gets_the_csv_and_the_report_in_their_dms(tmp_path: Path) -> None:
    async with SlackSandbox(scopes=(*DEFAULT_SCOPES, "files:write")) as sb:
        room = await paused_session(sb, tmp_path)
        try:
            answer = await room.run(room.teacher, "/export")
            await answer.wait(lambda seen: "are in your direct messages with me" in seen.text)
            assert "Session 1: `session-1.csv` and `session-1-report.md` are in your direct" in answer.text
            shared = [m for m in room.teacher.dms() if m.files]
            assert "Session 1: one CSV row per student" in shared[0].text
            assert room.app is not None
            expected = await room.app.app.submissions.export_files(1)  # what `python -m bot export 1` writes
            files = {f.name: f.data for f in shared[0].message.files}
            assert files == expected and set(files) == {n for n in expected if n.endswith((".csv", ".md"))}
            assert room.students[0].dms() == [], "nothing goes to the students"

            unknown = await room.run(room.teacher, "/export", "99")
            assert "There is no session 99" in unknown.text
            refused = await room.run(room.students[0], "/export")
            assert "Only instructors" in refused.text
        finally:
            await room.stop()
        sb.assert_clean()


async def test_without_files_write_the_answer_says_which_scope_to_add(tmp_path: Path) -> None:
    async with SlackSandbox() as sb:  # the sandbox's default scopes lack files:write
        assert "files:write" not in sb.scopes
        room = await paused_session(sb, tmp_path)
        try:
            answer = await room.run(room.teacher, "/export")
            assert "I could not upload the file(s)" in answer.text
            assert "`files:write`" in answer.text and "Bot Token Scopes" in answer.text
            assert not [m for m in room.teacher.dms() if m.files]
        finally:
            await room.stop()
        sb.assert_clean()
