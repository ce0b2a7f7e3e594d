"""A seated class on Slack and what a member sees in a window (modal): shared by the forms, export and
roster tests."""

from __future__ import annotations

import re
from pathlib import Path

from slack_sandbox import SlackSandbox
from slack_sandbox.modals import View
from slack_sandbox.reader import Shown, shown
from slack_sandbox.scripted import ScriptedUser
from slack_sandbox.workspace import Message

from .conftest import SlackClass, open_slack_class


def on_screen(sb: SlackSandbox, view: View) -> Shown:
    """A window as its member sees it (its sections, labels and lines, as text)."""
    return shown(sb.workspace, Message("", "0", sb.bot.id, "", view.blocks))


async def seated_class(sb: SlackSandbox, tmp_path: Path, students: int = 30) -> SlackClass:
    """A class in a paused session whose assignment is confirmed (every student has a card by DM)."""
    room = await open_slack_class(sb, tmp_path, students=students)
    await room.run(room.teacher, "/session", "start fast")
    await room.run(room.teacher, "/session", "pause")
    preview = await room.run(room.teacher, "/assign")
    await room.teacher.click(preview.replies[-1], "conductor:assign-preview:confirm", timeout=60)
    await sb.wait_for(
        lambda: any("Confirmed for" in p.text for p in room.teacher.ephemerals()),
        timeout=60,
        what="the Confirm report",
    )
    return room


def holding(room: SlackClass, role: str) -> list[ScriptedUser]:
    """The students whose role card names `role`, in the order of the class."""
    return [s for s in room.students if s.dms() and f"Your role: {role}" in s.dms()[0].text]


def paper_of(student: ScriptedUser) -> str:
    """The paper title the student's role card names."""
    found = re.search(r"^Paper: \*(.+)\*$", student.dms()[0].text, re.MULTILINE)
    assert found is not None, student.dms()[0].text
    return found[1]
