"""Course projects with a class of 43 on the sandbox: cards on the proposals phase, groups, the race for
the last place, leaving and re-joining, own projects approved and sent back, rooms, status, export, lock."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from discord_sandbox import InteractionResult, Member, Message, Sandbox, Thread

from .conftest import Classroom, open_class, write_config

pytestmark = pytest.mark.e2e

PROPOSALS_PHASE = """
[[phases]]
key = "fast-proposals"
name = "Project proposals"
seconds = 30
audience = "class"
text = "Project proposals from the lecturers."

[plans.projects]
phases = ["fast-proposals"]
"""


def project_config(tmp_path: Path, lock: str = "2099-03-19 13:00") -> Path:
    """The shipped course, its proposals phase compressed, choices locking at `lock`."""
    return write_config(
        tmp_path,
        PROPOSALS_PHASE,
        **{
            'lock = "2024-03-19 13:00"': f'lock = "{lock}"',
            'phase = "proposals"': 'phase = "fast-proposals"',
        },
    )


@pytest.fixture
async def room(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[Classroom]:
    """43 students, the instructor (Dimitrios, a supervisor) and the other supervisors."""
    classroom = await open_class(sandbox, tmp_path, project_config(tmp_path), students=43)
    for name in ("aasa", "manxi", "paraskevas"):
        classroom.guild.add_member(f"Teacher {name.title()}", username=f"teacher-{name}")
    try:
        yield classroom
    finally:
        await classroom.stop_bot()


def cards(room: Classroom) -> list[Message]:
    """The posts carrying proposal cards."""
    return [
        m
        for m in room.posts()
        if m.find_component("conductor:proj:choose:0") or m.find_component("conductor:proj:choose:1")
    ]


def button(messages: list[Message], custom_id: str) -> Message:
    """The message holding a button."""
    return next(m for m in messages if any(cid == custom_id for _, cid in m.buttons))


async def create(room: Classroom, who: Member, name: str) -> str:
    """A student creates a group; returns its code."""
    it = await room.run(who, "project create", name=name)
    assert "Created" in it.text, it.text
    return it.text.split("code `")[1].split("`")[0]


async def join_by_button(room: Classroom, who: Member, code: str) -> InteractionResult:
    """A student presses Join with a code under the cards and types the code."""
    message = button(cards(room), "conductor:proj:join")
    opened = await room.sandbox.click(who, message, "conductor:proj:join")
    done = await room.sandbox.submit_modal(who, opened, {"code": code.lower()})
    await done.wait_followup(timeout=10)
    return done


async def press(room: Classroom, who: Member, act: str, key: str) -> InteractionResult:
    """A student picks a proposal in a menu under its card (Choose, or I'm interested)."""
    for n, message in enumerate(cards(room)):
        menu = message.find_component(f"conductor:proj:{act}:{n}")
        if menu and any(o["value"] == key for o in menu["options"]):
            it = await room.sandbox.select(who, message, f"conductor:proj:{act}:{n}", [key])
            await it.wait_followup(timeout=10)
            return it
    raise LookupError(key)


async def test_a_class_of_43_forms_groups_and_takes_projects(room: Classroom) -> None:
    sb, teacher, students = room.sandbox, room.instructor, room.students
    await room.run(teacher, "session start", plan="projects")
    await sb.wait_for(lambda: len(cards(room)) == 2, timeout=10, what="the proposal cards")
    posts = room.posts()
    assert "Project proposals" in posts[1].text  # the phase post comes first, then the cards
    shown = [e for m in cards(room) for e in m.embeds]
    assert len(shown) == 14
    gorillas = next(e for e in shown if "gorillas" in e["title"])
    assert any(f["value"] == "Aasa" for f in gorillas["fields"])
    assert "0 of 2 group places taken" in str(gorillas["fields"])
    assert any(f["value"] == "Paraskevas, Manxi" for e in shown for f in e["fields"])

    # Interest, recorded once.
    assert "Noted" in (await press(room, students[0], "interest", "gorillas")).text
    assert "already" in (await press(room, students[0], "interest", "gorillas")).text

    # Ten groups of four and one of three: creators by command, the rest by code or by the button.
    codes = {}
    for g in range(11):
        members = students[g * 4 : g * 4 + 4]
        codes[g] = await create(room, members[0], f"Group {g:02d}")
        for n, member in enumerate(members[1:]):
            if n % 2:
                it = await join_by_button(room, member, codes[g])
            else:
                it = await room.run(member, "project join", code=codes[g])
            assert "You joined" in it.text, it.text

    # The size limit; and one group per student.
    full = await room.run(students[42], "project join", code=codes[0])
    assert "You are already in" in full.text
    leaver = students[40]  # in the group of three
    assert "You left" in (await room.run(leaver, "project leave")).text
    refused = await room.run(leaver, "project join", code=codes[1])
    assert "full" in refused.text and "4 students" in refused.text
    assert "You joined" in (await join_by_button(room, leaver, codes[10])).text

    # Group 0 takes a place on foodclip; groups 1 and 2 race for the last one.
    assert "1 of 2 places" in (await press(room, students[0], "choose", "foodclip")).text
    one, two = await asyncio.gather(
        press(room, students[4], "choose", "foodclip"), press(room, students[8], "choose", "foodclip")
    )
    answers = sorted([one.text, two.text], key=lambda t: "full" in t)
    assert "2 of 2 places" in answers[0]
    assert (
        "is full" in answers[1]
        and "Still free:" in answers[1]
        and "foodclip" not in answers[1].split("Still free:")[1]
    )
    await sb.wait_for(
        lambda: "2 of 2 group places taken (full)" in str(cards(room)[0].embeds[0]["fields"]),
        what="the foodclip card to show it is full",
    )
    loser = students[8] if one.text == answers[0] else students[4]
    assert "has chosen" in (await room.run(loser, "project choose", proposal="cubedetr")).text

    # Rooms: private, with the members and the supervisor, welcomed once.
    threads = {t.name: t for t in room.guild.threads}
    group0 = threads["Project - Group 00"]
    assert isinstance(group0, Thread) and group0.private
    bot_id = sb.bot_user.id
    assert set(group0.member_ids) - {bot_id} == {s.id for s in students[0:4]} | {teacher.id}
    await sb.wait_for(lambda: len(room.posts(group0)) == 1, what="the room's welcome")
    welcome = room.posts(group0)[0]
    assert "Weekly supervisor chat: Tuesdays at 15:00" in welcome.text
    assert welcome.allowed_mentions is not None
    assert set(map(int, welcome.allowed_mentions["users"])) == {s.id for s in students[0:4]}  # pinged
    assert all(not (m.allowed_mentions or {}).get("users") for m in cards(room))  # the cards ping nobody

    # A group with a room changes its project before the lock: the room is told, the supervisor joins.
    assert "has chosen" in (await room.run(students[0], "project choose", proposal="gorillas")).text
    aasa = next(m for m in room.guild.members if m.user.username == "teacher-aasa")
    await sb.wait_for(lambda: aasa.id in group0.member_ids, what="the new supervisor in the room")
    assert "Your project is now **Anomaly Detection" in room.posts(group0)[-1].text
    back = await room.run(students[0], "project choose", proposal="foodclip")
    assert "2 of 2 places" in back.text and "room is told" in back.text

    # An own project approved, one sent back (typed text shown inert).
    own = await room.run(students[12], "project propose")
    filed = await sb.submit_modal(
        students[12],
        own,
        {"title": "Gaze @everyone **estimation**", "abstract": "Estimating gaze with ViTs."},
    )
    await filed.wait_followup(timeout=10)
    assert "Filed" in filed.text
    await sb.wait_for(lambda: any("filed its own project" in m.text for m in sb.dms(teacher)), what="a DM")
    notice = next(m for m in sb.dms(teacher) if "filed its own project" in m.text)
    assert "Gaze @\u200beveryone \\*\\*estimation\\*\\*" in notice.text and "/project approve" in notice.text
    other = await room.run(students[16], "project propose")
    await (await sb.submit_modal(students[16], other, {"title": "Cats", "abstract": "Cats."})).wait_followup(
        10
    )
    status = await room.run(teacher, "project status")
    assert "Gaze @\u200beveryone \\*\\*estimation\\*\\*" in status.text
    assert "Own projects waiting for approval (2)" in status.text
    assert "Approved" in (await room.run(teacher, "project approve", group="Group 03")).text
    returned = await room.run(teacher, "project return", group="group 04", reason="Not about *vision*")
    assert "told why by DM" in returned.text
    await sb.wait_for(lambda: any("sent back" in m.text for m in sb.dms(students[16])), what="the DM")
    dm = next(m for m in sb.dms(students[16]) if "sent back" in m.text)
    assert "Not about \\*vision\\*" in dm.text
    assert "Project - Group 03" in {t.name for t in room.guild.threads}

    # The instructor's status and placement, the export.
    status = await room.run(teacher, "project status")
    assert "Students without a group (0)" in status.text
    placed = await room.run(teacher, "project place", student=students[42], group="Group 00")
    assert "full" in placed.text
    assert "You left" in (await room.run(students[3], "project leave")).text
    assert "Placed" in (await room.run(teacher, "project place", student=students[42], group="Group 00")).text
    await sb.wait_for(
        lambda: students[42].id in group0.member_ids and students[3].id not in group0.member_ids
    )
    status = await room.run(teacher, "project status")
    assert f"Students without a group (1)\n<@{students[3].id}>" in status.text
    assert "**Group 10** (code" in status.text and "2/4 - below the minimum" in status.text
    exported = await room.run(teacher, "project export")
    files = {a.filename: a.text for m in exported.messages for a in m.attachments}
    assert files["projects.csv"].startswith("\ufeff")  # UTF-8 with BOM, like the session export
    rows = list(csv.DictReader(io.StringIO(files["projects.csv"].removeprefix("\ufeff"))))
    assert len(rows) == 43 and len({r["user_id"] for r in rows}) == 43
    assert sum(r["project"].startswith("How to make") for r in rows) == 8  # two groups of four
    assert "## Group 00" in files["projects.md"]
    listed = await room.run(students[20], "project list")
    assert "2/2, full" in listed.text

    # A group that empties is dissolved, and its room archived.
    own_room = next(t for t in room.guild.threads if t.name == "Project - Group 03")
    for member in students[12:16]:
        assert "You left" in (await room.run(member, "project leave")).text
    await sb.wait_for(lambda: own_room.archived, what="the dissolved group's room archived")
    assert set(own_room.member_ids) - {bot_id, teacher.id} == set()


async def test_after_the_lock_choices_need_an_instructor(sandbox: Sandbox, tmp_path: Path) -> None:
    lock = dt.datetime.now(ZoneInfo("Europe/Copenhagen")) + dt.timedelta(seconds=4)
    config = project_config(tmp_path, lock=f"{lock:%Y-%m-%d %H:%M:%S}")
    room = await open_class(sandbox, tmp_path, config, students=4)
    try:
        a, b, c, d = room.students
        code = await create(room, a, "Early birds")
        assert "You joined" in (await room.run(b, "project join", code=code)).text
        await room.sandbox.wait_for(
            lambda: dt.datetime.now(dt.UTC) > lock, timeout=10, what="the lock deadline"
        )
        late = await room.run(c, "project join", code=code)
        assert "locked" in late.text and "Ask an instructor" in late.text
        assert "locked" in (await room.run(a, "project choose", proposal="diffsam")).text
        assert "locked" in (await room.run(b, "project leave")).text
        assert (
            "Placed"
            in (await room.run(room.instructor, "project place", student=c, group="Early birds")).text
        )
        assigned = await room.run(room.instructor, "project assign", group="Early birds", proposal="diffsam")
        assert "now has" in assigned.text
        status = await room.run(d, "project status")
        assert "not in a project group" in status.text
    finally:
        await room.stop_bot()
