"""Check-in, /assign, Confirm, role cards by DM, private rooms, Got it, /myrole, slides and /links on Slack."""

from __future__ import annotations

from pathlib import Path

import pytest

from slack_sandbox import SlackSandbox
from slack_sandbox.mrkdwn import LiveKind

from .conftest import SlackClass, open_slack_class

pytestmark = pytest.mark.e2e


async def seated_class(sb: SlackSandbox, tmp_path: Path) -> SlackClass:
    """A class of 22 in a paused session, 21 of them checked in, the assignment confirmed."""
    room = await open_slack_class(sb, tmp_path, students=22)
    await room.run(room.teacher, "/session", "start fast")
    await room.run(room.teacher, "/session", "pause")
    posted = await room.run(room.teacher, "/checkin")
    assert "Posted the check-in" in posted.text
    await sb.wait_for(
        lambda: any(p.buttons == ("I'm here",) for p in room.posts()), timeout=10, what="check-in"
    )
    checkin = next(p for p in room.posts() if p.buttons == ("I'm here",))
    for student in room.students[:21]:
        pressed = await student.click(checkin, "conductor:checkin:here")
        assert "Checked in" in pressed.text
    preview = await room.run(room.teacher, "/assign")
    assert "Preview" in preview.text and "Nothing has been sent yet" in preview.text
    assert preview.replies[-1].buttons == ("Confirm", "Reshuffle", "Cancel")
    confirmed = await room.teacher.click(preview.replies[-1], "conductor:assign-preview:confirm", timeout=60)
    assert "Confirming" in confirmed.text
    await sb.wait_for(
        lambda: any("Confirmed for 21 students" in p.text for p in room.teacher.ephemerals()),
        timeout=60,
        what="the Confirm report",
    )
    return room


async def test_confirm_sends_each_checked_in_student_a_card_and_opens_private_rooms(tmp_path: Path) -> None:
    async with SlackSandbox() as sb:
        room = await seated_class(sb, tmp_path)
        try:
            report = next(p for p in room.teacher.ephemerals() if "Confirmed for" in p.text)
            assert "21 of 21 role cards sent by DM" in report.text
            late = room.students[21]
            assert late.dms() == [], "a student who did not check in gets no card"
            for student in room.students[:21]:
                cards = student.dms()
                assert len(cards) == 1 and "Your role for today's reading group" in cards[0].text
                assert cards[0].buttons[0] == "Got it"
                rooms = student.private_channels()
                assert len(rooms) >= 1 and all(r.name.startswith("rg-") for r in rooms)
                assert any(r.name.endswith("-group") for r in rooms)
            table = [p for p in room.posts() if "Roles for today" in p.text]
            assert len(table) == 1, "the table is posted once in the class channel"

            student = room.students[0]
            thanks = await student.click(student.dms()[0], "conductor:role-card:ack")
            assert "Got it" in thanks.text
            mine = await room.run(student, "/myrole")
            assert "Your role for today's reading group" in mine.text and mine.replies[-1].ephemeral
            status = await room.run(room.teacher, "/roles", "status")
            assert "Role cards: 1 of 21 acknowledged" in status.text
        finally:
            await room.stop()
        sb.assert_clean()


async def test_a_submitted_link_is_shown_whole_and_never_live(tmp_path: Path) -> None:
    async with SlackSandbox() as sb:
        room = await seated_class(sb, tmp_path)
        try:
            student = room.students[0]
            hostile = "https://example.com/s?x=<!channel>&y=<@U0SB000001>"
            saved = await room.run(student, "/submit", hostile)
            assert "Saved your group's slides link" in saved.text
            links = await room.run(room.teacher, "/links")
            shown = links.replies[-1]
            assert "example.com/s?x=" in shown.text
            assert not shown.of(LiveKind.BROADCAST) and not shown.of(LiveKind.LINK)
            assert all(m.target != "U0SB000001" for m in shown.of(LiveKind.MENTION))
        finally:
            await room.stop()
        sb.assert_clean()
