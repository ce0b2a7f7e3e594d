"""A missing permission never leaves the class half-assigned or misinformed (issue 17).

The scenario of the issue (a class of 24, the bot lacking every thread permission in the class channel),
then a matrix: each permission of the README's invite list removed in turn, a compressed afternoon run,
and what people see checked: the class is told only what happened, every student gets their role by the
best remaining path, every interaction is answered, and the instructor is told which permission to grant.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.adapters.discord.needs import CHANNEL_NEEDS, permission_label
from bot.config import load_config
from discord_sandbox import InteractionResult, Member, Message, Perm, Sandbox, SandboxLimits

from .conftest import ROOT, Classroom, populate, press, settings_for

pytestmark = pytest.mark.e2e

THREAD_PERMS = Perm.CREATE_PUBLIC_THREADS | Perm.CREATE_PRIVATE_THREADS | Perm.MANAGE_THREADS


def readme_permissions() -> list[str]:
    """The permissions the README asks for when inviting the bot (step 3 of "Creating the Discord application")."""
    text = " ".join((ROOT / "README.md").read_text().split())
    found = re.search(r"these permissions: (.+?)\. `/conductor status`", text)
    assert found, "the README's invite list moved: update this test"
    return [name.strip() for name in found.group(1).split(",")]


def attr_of(name: str) -> str:
    """A README permission name to its discord.py attribute ("View Channels" -> "view_channel")."""
    attr = name.lower().replace(" ", "_")
    return "view_channel" if attr == "view_channels" else attr


def bold(text: str) -> set[str]:
    """The permission names a message asks for (they are in bold)."""
    labels = {label for _, label, _ in CHANNEL_NEEDS}
    return {b for b in re.findall(r"\*\*(.+?)\*\*", text) if b in labels}


@pytest.fixture
def limits() -> SandboxLimits:
    """DM channels open 10 per second, so a class of 24 is quick."""
    return SandboxLimits(dm_open_window=1.0)


def cards(room: Classroom, member: Member) -> list[Message]:
    """Role cards the bot DMed to a student."""
    return [m for m in room.sandbox.dms(member) if m.embeds and "Your role" in m.embeds[0].get("title", "")]


def pings(room: Classroom, member: Member) -> list[Message]:
    """ "Show my role" pings for a student, in any thread or in the class channel."""
    places = [room.channel, *room.guild.threads]
    return [
        m
        for place in places
        for m in place.messages
        if f"<@{member.id}>" in (m.content or "") and any(label == "Show my role" for label, _ in m.buttons)
    ]


def tables(room: Classroom) -> list[Message]:
    """The class table posts."""
    return [m for m in room.posts() if m.embeds and m.embeds[0].get("title", "").startswith("Roles for")]


def rooms_of(room: Classroom) -> list[object]:
    """The threads opened in the class channel."""
    return [t for t in room.guild.threads if t.parent_id == room.channel.id]


async def see(room: Classroom, check: str, attr: str, value: bool) -> None:
    """Wait until the bot's view of its permission `attr` in the class channel is `value`."""
    bot = room.bot
    assert bot is not None

    def seen() -> bool:
        channel = bot.get_channel(room.channel.id)
        guild = bot.get_guild(room.guild.id)
        return bool(channel and guild and getattr(channel.permissions_for(guild.me), attr) is value)

    await room.sandbox.wait_for(seen, what=check)


# --- the scenario ------------------------------------------------------------------------------


@pytest.fixture
async def hurried(sandbox: Sandbox, tmp_path: Path, config_path: Path) -> AsyncIterator[Classroom]:
    """24 students; the bot was invited without Create Public/Private Threads and Manage Threads here."""
    guild, channel, teacher, people = populate(sandbox, students=24)
    for name in ("aasa", "thanos", "manxi", "paraskevas"):
        guild.add_member(f"Teacher {name.title()}", username=f"teacher-{name}")
    channel.deny_bot(THREAD_PERMS)
    room = Classroom(
        sandbox,
        guild,
        channel,
        teacher,
        people,
        load_config(config_path),
        settings_for(sandbox, tmp_path, config_path),
    )
    await room.start_bot()
    try:
        yield room
    finally:
        await room.stop_bot()


async def test_without_thread_permissions_cards_still_go_and_everyone_is_told_the_truth(
    hurried: Classroom,
) -> None:
    room, sb, teacher = hurried, hurried.sandbox, hurried.instructor
    where = f"<#{room.channel.id}>"
    status = await room.run(teacher, "conductor status")
    assert bold(status.text) == {"Create Public Threads", "Create Private Threads", "Manage Threads"}

    await room.run(teacher, "session start", plan="reading-group")
    checkin = await room.run(teacher, "checkin")
    assert "Posted the check-in" in checkin.text
    post = next(m for m in room.posts() if m.buttons and m.buttons[0][0] == "I'm here")
    for student in room.students:
        assert "Checked in" in (await press(sb, student, post, post.buttons[0][1])).text

    shown = await room.run(teacher, "assign")
    before = shown.messages[-1].text
    assert (
        f"The group and partner rooms cannot be opened: grant **Create Private Threads** and **Manage "
        f"Threads** in {where}." in before
    )
    assert "table will not be posted" not in before and "Role cards go by DM whatever" in before
    assert tables(room) == [] and all(sb.dms(s) == [] for s in room.students)

    message = shown.messages[-1]
    it = await sb.click(teacher, message, next(cid for label, cid in message.buttons if label == "Confirm"))
    answer = (await it.wait_followup(timeout=60)).text
    assert answer == (
        "Confirmed for 24 students. 24 of 24 role cards sent by DM. Group and partner rooms could not be "
        f"opened: grant **Create Private Threads** and **Manage Threads** in {where}, then run "
        f"`/conductor status` to open them. The table is posted in {where}. Follow acknowledgements with "
        "`/roles status`."
    )
    assert all(len(cards(room, s)) == 1 for s in room.students)
    assert rooms_of(room) == []
    refused = [r for r in sb.requests if r.status == 403 and r.path.endswith("/threads")]
    assert refused == []  # known before acting: nothing was asked that Discord would refuse
    (table,) = tables(room)
    last_card = max(m.created_at for s in room.students for m in cards(room, s))
    assert table.created_at > last_card  # nothing posted to the class before the outcome was known
    assert table.content == (
        "Every student has a paper and a role. Role cards: 24 sent by DM. The group and partner rooms are "
        "not open yet. `/myrole` shows your role any time, only to you."
    )
    mine = await room.run(room.students[0], "myrole")
    assert mine.ephemeral and "Your role" in mine.text

    # The teacher grants the permissions; the next /conductor status opens the rooms, sends nothing twice.
    room.channel.deny_bot(0)
    await see(room, "the permissions granted", "create_private_threads", True)
    status = await room.run(teacher, "conductor status")
    assert "Finishing the assignment: 24 of 24 role cards sent by DM. 24 group and partner rooms opened." in (
        status.text
    )
    assert "Everything I need" in status.text
    opened = rooms_of(room)
    assert len(opened) == 4 + 4 * 5 and all(t.private for t in opened)  # type: ignore[attr-defined]
    students = {s.id for s in room.students}
    assert {u for t in opened for u in t.member_ids} >= students  # type: ignore[attr-defined]
    assert all(len(cards(room, s)) == 1 for s in room.students) and len(tables(room)) == 1
    assert table.content.endswith(
        "Your group and partner rooms are open (threads). `/myrole` shows your role any time, only to you."
    )
    again = await room.run(teacher, "conductor status")
    assert "Finishing" not in again.text and len(rooms_of(room)) == 24


# --- the matrix ----------------------------------------------------------------------------------------

TINY = """
[course]
name = "Tiny reading group"
timezone = "Europe/Copenhagen"

[discord]
instructor_roles = ["Instructor"]
student_role = "Student"
class_channel = "reading-group"

[session]
default_plan = "tiny"
warning_seconds = [1]
ack_reminder_minutes = 10

[[teachers]]
name = "Dimitrios"
discord = "teacher-dimitrios"

[[papers]]
key = "dit"
title = "Diffusion Transformers"
link = "https://arxiv.org/abs/2212.09748"
teachers = ["Dimitrios"]

[[papers]]
key = "gemini"
title = "Gemini"
link = "https://arxiv.org/abs/2312.11805"
teachers = ["Dimitrios"]

[[roles]]
key = "spotlight"
name = "Spotlight Presenter"
plural = "Spotlight Presenters"
min = 1
max = 2
presents = true
brief = "Present the paper in three minutes."

[[roles]]
key = "reviewer"
name = "Scientific Peer Reviewer"
plural = "Reviewers"
min = 1
max = 2
brief = "Review the paper."

[[phases]]
key = "intro"
name = "Introduce and assign roles"
minutes = 30
audience = "class"
text = "Check your DMs for your role card."

[[phases]]
key = "pairs"
name = "Discuss with your role-partner"
minutes = 30
audience = "partners"
text = "Discuss with your role-partner."

[[phases]]
key = "groups"
name = "Discuss with your paper group"
minutes = 30
audience = "groups"
text = "Discuss with your group."

[plans.tiny]
phases = ["intro", "pairs", "groups"]
"""

CLOSED = "Student 02"


@dataclass
class Afternoon:
    """Every interaction of the compressed afternoon, to check that none went unanswered."""

    room: Classroom
    seen: list[InteractionResult] = field(default_factory=list)

    async def run(self, who: Member, command: str, **options: object) -> InteractionResult:
        """A slash command, remembered."""
        it = await self.room.run(who, command, **options)
        self.seen.append(it)
        return it

    async def click(self, who: Member, message: Message, label: str) -> InteractionResult:
        """A button press, remembered (waiting for the answer of a deferred one)."""
        cid = next(c for text, c in message.buttons if text == label)
        it = await self.room.sandbox.click(who, message, cid)
        if it.deferred or label == "Confirm":  # Confirm says "Confirming…", then the report follows
            await it.wait_followup(timeout=30)
        self.seen.append(it)
        return it


@pytest.mark.parametrize("name", readme_permissions())
async def test_each_missing_permission_leaves_nobody_misinformed_or_without_a_role(
    sandbox: Sandbox, tmp_path: Path, name: str
) -> None:
    attr = attr_of(name)
    label = permission_label(attr)
    assert attr in {a for a, _, _ in CHANNEL_NEEDS}, (
        f"{name} is in the README but not in bot/adapters/discord/needs.py"
    )
    perm = Perm[attr.upper()]
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    guild, channel, teacher, people = populate(sandbox, students=5)
    people[1].dms_open = False
    student_role = next(r for r in guild.roles if r.name == "Student")
    student_role.permissions = int(Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.READ_MESSAGE_HISTORY)
    # Discord adds @everyone's permissions to the bot's role: the permission is gone only from both.
    guild.bot_role.permissions &= ~int(perm)
    guild.everyone.permissions &= ~int(perm)
    room = Classroom(
        sandbox, guild, channel, teacher, people, load_config(config), settings_for(sandbox, tmp_path, config)
    )
    await room.start_bot()
    day = Afternoon(room)
    try:
        status = await day.run(teacher, "conductor status")
        assert bold(status.text) == {label}

        started = await day.run(teacher, "session start", plan="tiny")
        runs = [
            m for m in room.posts() if m.embeds and m.embeds[0].get("title", "").startswith("Run-of-show")
        ]
        assert ("the run-of-show is **not** posted" not in started.text) == bool(runs)
        if not runs:
            assert label in bold(started.text)

        checkin = await day.run(teacher, "checkin")
        posted = [m for m in room.posts() if m.buttons and m.buttons[0][0] == "I'm here"]
        assert ("Posted the check-in" in checkin.text) == bool(posted)
        if posted:
            for student in people:
                await day.click(student, posted[0], "I'm here")
        else:
            assert bold(checkin.text) == {label}

        shown = await day.run(teacher, "assign")
        preview = shown.messages[-1]
        assert bold(preview.text) == {label}, preview.text  # exactly the permission to grant
        report = (await day.click(teacher, preview, "Confirm")).followups[-1].text
        assert report.startswith("Confirmed for 5 students.")

        # Every student has their role by the best remaining path, and the report counts exactly that.
        threads = rooms_of(room)
        by_dm = [s for s in people if cards(room, s)]
        assert [s.name for s in people if s not in by_dm] == [CLOSED]
        closed = people[1]
        ping = pings(room, closed)
        if threads:
            assert [m.channel_id for m in ping] == [
                next(t.id for t in threads if closed.id in t.member_ids and t.name.endswith("group"))  # type: ignore[attr-defined]
            ]
            assert "1 student(s) with closed DMs pinged in their group room" in report
        elif perm not in (Perm.VIEW_CHANNEL, Perm.SEND_MESSAGES):
            assert [m.channel_id for m in ping] == [channel.id]
            assert (
                f"1 student(s) with closed DMs pinged in <#{channel.id}> (their room is not open)" in report
            )
        else:
            assert ping == []
            assert f"could not be reached (DMs closed and nowhere to ping them): <@{closed.id}>" in report
            assert "tell them to use `/myrole`" in report
        assert f"{len(by_dm)} of 5 role cards sent by DM" in report
        if threads:
            assert f"{len(threads)} group and partner rooms opened." in report
        else:
            assert "rooms could not be opened: grant" in report and label in bold(report)

        # The class is told only what happened.
        table = tables(room)
        assert ("The table is posted in" in report) == bool(table)
        if table:
            text = table[0].content
            assert f"Role cards: {len(by_dm)} sent by DM" in text
            assert ("Your group and partner rooms are open" in text) == bool(threads)
            assert ("rooms are not open yet" in text) == (not threads)
        else:
            assert label in bold(report)

        # A change after Confirm (a late arrival) is as truthful: their card, and what could not be done.
        late = guild.add_member("Student 06", username="student06", roles=[student_role])
        added = await day.run(teacher, "roles add", student=late)
        assert "Added **Student 06**" in added.text and "1 role card(s) DMed" in added.text
        assert len(cards(room, late)) == 1
        assert ("The table is updated." in added.text) == bool(table)
        if not table or not threads:
            assert bold(added.text) == {label}, added.text

        for student in [*people, late]:
            mine = await day.run(student, "myrole")
            assert mine.ephemeral and "Your role" in mine.text
        for _ in range(2):
            await day.run(teacher, "session next")
        await day.run(teacher, "session stop")
        unanswered = [
            it.label for it in day.seen if not it.answered or (it.deferred and not it._has_followup())
        ]
        assert unanswered == []
        assert not any("Sorry, something went wrong" in it.text for it in day.seen)
    finally:
        await room.stop_bot()


# --- one step failing on its own ----------------------------------------------------------------------


async def test_a_room_discord_fails_to_open_is_reported_and_later_opened_alone(
    sandbox: Sandbox, tmp_path: Path, config_path: Path
) -> None:
    guild, channel, teacher, people = populate(sandbox, students=20)
    room = Classroom(
        sandbox,
        guild,
        channel,
        teacher,
        people,
        load_config(config_path),
        settings_for(sandbox, tmp_path, config_path),
    )
    await room.start_bot()
    try:
        await room.run(teacher, "session start", plan="reading-group")
        shown = await room.run(teacher, "assign")
        assert "Before you confirm" not in shown.text
        sandbox.fail_requests("POST", r"/channels/\d+/threads$", status=400, count=1)  # the first room only
        message = shown.messages[-1]
        it = await sandbox.click(
            teacher, message, next(c for label, c in message.buttons if label == "Confirm")
        )
        answer = (await it.wait_followup(timeout=60)).text
        assert (
            "20 of 20 role cards sent by DM. 23 of 24 group and partner rooms opened; 1 could not be (Discord "
            "failed): run `/conductor status` to try again." in answer
        )
        assert len(rooms_of(room)) == 23 and all(len(cards(room, s)) == 1 for s in people)
        (table,) = tables(room)
        assert "23 of 24 group and partner rooms are open; the others are not open yet." in table.content

        status = await room.run(teacher, "conductor status")
        assert (
            "Finishing the assignment: 20 of 20 role cards sent by DM. 24 group and partner rooms opened."
            in (status.text)
        )
        opened = rooms_of(room)
        assert len(opened) == 24 and len({t.name for t in opened}) == 24  # type: ignore[attr-defined]
        assert all(set(t.member_ids) - {sandbox.bot_user.id} for t in opened)  # type: ignore[attr-defined]
        assert all(len(cards(room, s)) == 1 for s in people) and len(tables(room)) == 1
        assert "Your group and partner rooms are open (threads)." in table.content
    finally:
        await room.stop_bot()
