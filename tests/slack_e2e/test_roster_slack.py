"""The class list on Slack: the teacher pastes it from a spreadsheet into /roster import; students are
matched by e-mail or by name; /roster list shows who is known."""

from __future__ import annotations

from pathlib import Path

import pytest

from slack_sandbox import SlackSandbox
from slack_sandbox.mrkdwn import LiveKind
from slack_sandbox.sandbox import DEFAULT_SCOPES
from tests.e2e.conftest import FAST_PHASES, write_config

from .conftest import SLACK, SlackClass, populate, slack_settings
from .forms import on_screen

pytestmark = pytest.mark.e2e

HEADER = "Student ID\tName\tE-mail"


async def class_with_emails(sb: SlackSandbox, tmp_path: Path, students: int = 6) -> SlackClass:
    """A workspace whose students have their university e-mail on Slack, and the app started."""
    channel, teacher, people = populate(sb, students)
    for i, student in enumerate(people, start=1):
        student.user.email = f"s{i:06d}@student.example.edu"
    config = write_config(tmp_path, FAST_PHASES + SLACK)
    room = SlackClass(sb, channel, teacher, people, slack_settings(sb, tmp_path, config), config)
    await room.start()
    return room


async def test_the_teacher_pastes_the_class_list_and_students_are_matched_by_email_or_name(
    tmp_path: Path,
) -> None:
    async with SlackSandbox() as sb:
        room = await class_with_emails(sb, tmp_path)
        try:
            late = sb.add_user(
                "Late Comer", email="late@student.example.edu"
            )  # joined after the app read the workspace
            pasted = "\n".join(
                (
                    HEADER,
                    "s000001\tStudent 01\ts000001@student.example.edu",
                    "s000002\tStudent 02\t",  # no e-mail: matched by the name on Slack
                    "s000007\tLate Comer\tlate@student.example.edu",
                    "s000008\tEve <!here>\tghost@student.example.edu",  # not on Slack (yet)
                )
            )
            opened = await room.run(room.teacher, "/roster", "import")
            assert opened.modal is not None and opened.modal.title == "Import the class list"
            assert "paste it below" in on_screen(sb, opened.modal).text

            imported = await room.teacher.submit({"rows0": {"rows0": pasted}})
            assert imported.showing is not None
            result = on_screen(sb, imported.showing)
            assert (
                "Imported 4 student(s): 3 matched to a member of this workspace, 1 not (yet) in it."
                in result.text
            )
            for line in (
                f"• s000001 Student 01 (@{room.students[0].name})",
                f"• s000002 Student 02 (@{room.students[1].name})",
                f"• s000007 Late Comer (@{late.name})",
                "• s000008 Eve <!here> (`ghost@student.example.edu`)",
                f"• @{room.students[2].name}",  # in the class channel, not in the list
            ):
                assert line in result.text, line
            assert not result.of(LiveKind.BROADCAST) and not result.of(LiveKind.LINK)

            # The missing student joins; /roster list finds them by e-mail.
            ghost = sb.add_user("Eve Ghost", email="ghost@student.example.edu")
            listed = await room.run(room.teacher, "/roster", "list")
            assert "Matched to a Slack member (4)" in listed.text
            assert f"• s000008 Eve <!here> (@{ghost.name})" in listed.text
            assert "In the class list, not in this workspace (0)" in listed.text
            assert not listed.replies[-1].of(LiveKind.BROADCAST)
        finally:
            await room.stop()
        sb.assert_clean()


async def test_a_list_with_problems_is_shown_again_with_them_and_nothing_changes(tmp_path: Path) -> None:
    async with SlackSandbox() as sb:
        room = await class_with_emails(sb, tmp_path)
        try:
            await room.run(room.teacher, "/roster", "import")
            first = await room.teacher.submit(
                {"rows0": {"rows0": "s000001\tStudent 01\ts000001@student.example.edu"}}
            )
            assert first.showing is not None and "Imported 1 student(s)" in on_screen(sb, first.showing).text

            await room.run(room.teacher, "/roster", "import")
            broken = "\n".join(
                (HEADER, "s000002\tStudent 02\t", "s000002\tStudent 03\t", "s000004\t\tx@y.edu")
            )
            more = "s000005\tStudent 05\ts000005@student.example.edu"
            sent = await room.teacher.submit({"rows0": {"rows0": broken}, "rows1": {"rows1": more}})
            assert sent.showing is not None
            again = on_screen(sb, sent.showing).text
            assert "Nothing was imported: fix these rows and import again." in again
            assert "Line 4: no name." in again
            assert "Duplicate student id `s000002` on lines 2, 3" in again
            inputs = {b["block_id"]: b["element"] for b in sent.showing.blocks if b["type"] == "input"}
            assert inputs["rows0"]["initial_value"] == broken and inputs["rows1"]["initial_value"] == more

            listed = await room.run(room.teacher, "/roster", "list")
            assert "Matched to a Slack member (1)" in listed.text, "the earlier class list is kept whole"

            refused = await room.run(room.students[0], "/roster", "import")
            assert "Only instructors" in refused.text and refused.modal is None
        finally:
            await room.stop()
        sb.assert_clean()


async def test_without_the_email_scope_names_still_match_and_the_answer_says_what_to_add(
    tmp_path: Path,
) -> None:
    scopes = [s for s in DEFAULT_SCOPES if s != "users:read.email"]
    async with SlackSandbox(scopes=scopes) as sb:
        room = await class_with_emails(sb, tmp_path, students=2)
        try:
            await room.run(room.teacher, "/roster", "import")
            pasted = "s000001\tStudent 01\ts000001@student.example.edu\ns000002\tStudent 02\t"
            done = await room.teacher.submit({"rows0": {"rows0": pasted}})
            assert done.showing is not None
            shown = on_screen(sb, done.showing).text
            assert "Imported 2 student(s): 1 matched" in shown
            assert "E-mail addresses could not be matched" in shown and "`users:read.email`" in shown
        finally:
            await room.stop()
        sb.assert_clean()


async def test_a_window_slack_no_longer_lets_the_app_open_is_answered_with_what_to_do(tmp_path: Path) -> None:
    async with SlackSandbox(trigger_lifetime=0.0) as sb:  # every trigger has expired by the time it is used
        room = await class_with_emails(sb, tmp_path, students=2)
        try:
            late = await room.run(room.teacher, "/roster", "import")
            assert late.modal is None
            assert (
                "Slack gives me only 3 seconds to open the window and that passed: please try again."
                in late.text
            )
        finally:
            await room.stop()
