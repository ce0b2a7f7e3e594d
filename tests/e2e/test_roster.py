"""Attendance and the class list: `/checkin` then `/assign` seats only those present; `/roster import`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.storage.models import AssignmentRow, RosterEntry
from discord_sandbox import Sandbox, SandboxLimits

from .conftest import Classroom, press

pytestmark = pytest.mark.e2e


@pytest.fixture
def limits() -> SandboxLimits:
    """Discord's limits, with the DM-opening window shortened so a class is quick."""
    return SandboxLimits(dm_open_window=1.0)


async def test_checkin_then_assign_seats_only_those_present_and_buttons_answer_errors(
    classroom: Classroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    room, sb = classroom, classroom.sandbox
    student_role = next(r for r in room.guild.roles if r.name == "Student")
    room.students += [
        room.guild.add_member(f"Student {n:02d}", username=f"student{n:02d}", roles=[student_role])
        for n in range(9, 24)
    ]
    await room.run(room.instructor, "session start", plan="reading-group")
    posted = await room.run(room.instructor, "checkin")
    assert "Posted the check-in" in posted.text and posted.ephemeral
    message = next(m for m in room.posts() if m.buttons and m.buttons[0][0] == "I'm here")
    button = message.buttons[0][1]
    assert button is not None

    present, absent = room.students[:21], room.students[21:]
    for student in present:
        answer = await press(sb, student, message, button)
        assert answer.ephemeral and "Checked in" in answer.text
    assert "already checked in" in (await press(sb, present[0], message, button)).text
    refused = await press(sb, room.instructor, message, button)
    assert refused.ephemeral and "Only members with the **Student** role check in" in refused.text

    shown = await room.run(room.instructor, "assign")
    assert "21 students (the checked-in students)" in shown.text
    assert room.bot is not None
    async with room.bot.db.session() as s:
        seated = set(await s.scalars(select(AssignmentRow.user_id)))
    assert seated == {m.id for m in present} and not seated & {m.id for m in absent}

    async def broken(*args: object) -> str:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(room.bot.assignments, "check_in", broken)
    oops = await sb.click(absent[0], message, button)
    assert oops.ephemeral and "Sorry, something went wrong on my side" in oops.text
    assert str(oops.id) in oops.text and "fire" not in oops.text
    monkeypatch.undo()

    await room.run(room.instructor, "session stop")
    closed = await sb.click(absent[0], message, button)
    assert closed.ephemeral and closed.text == "This check-in is closed: the session is over."


async def test_roster_import_matches_members_and_refuses_bad_files_whole(
    classroom: Classroom, sandbox: Sandbox
) -> None:
    room = classroom
    s1, s2, s3 = room.students[:3]
    text = (
        "\ufeffStudent number;Full name;Discord username\r\n"
        "\r\n"
        f"s100001;Jane *Doe*;{s1.user.username}\r\n"
        f"s100002;Ola Nordmann;@{s2.user.username}#0\r\n"
        f"s100003;Kari <@{s3.id}>;{s3.id}\r\n"
        "s100004;Not Joined Yet;ghost-user\r\n"
    )
    imported = await room.run(
        room.instructor, "roster import", file=sandbox.upload("class.csv", text.encode())
    )
    assert imported.ephemeral
    assert "Imported 4 student(s): 3 matched to a member of this server, 1 not (yet) in it." in imported.text
    assert "s100001 Jane \\*Doe\\*" in imported.text and "`ghost-user`" in imported.text
    assert imported.messages[-1].allowed_mentions == {"parse": []}  # names typed by users never ping

    listed = await room.run(room.instructor, "roster list")
    fields = {f["name"]: f["value"] for f in listed.messages[-1].embeds[0]["fields"]}
    assert f"<@{s3.id}>" in fields["Matched to a member (3)"]
    assert "ghost-user" in fields["In the class list, not in this server (1)"]
    others = fields[f"Students on Discord not in the class list ({len(room.students) - 3})"]
    assert f"<@{room.students[3].id}>" in others

    bad = "id,name,discord\ns1,A,student04\ns1,B,student05\ns2,,student06\ns3,C,student04\n"
    refused = await room.run(room.instructor, "roster import", file=sandbox.upload("bad.csv", bad.encode()))
    assert "Nothing was imported" in refused.text
    assert "Duplicate student id `s1` on lines 2, 3" in refused.text and "Line 4: no name." in refused.text
    assert "Duplicate Discord user `student04` on lines 2, 5" in refused.text
    assert room.bot is not None
    async with room.bot.db.session() as s:
        kept = sorted(await s.scalars(select(RosterEntry.student_id)))
    assert kept == ["s100001", "s100002", "s100003", "s100004"]  # the earlier list, untouched

    student = await room.run(s1, "roster list")
    assert "instructors only" in student.text
