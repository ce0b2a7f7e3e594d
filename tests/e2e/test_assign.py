"""/assign in a class of 43 (three with DMs closed): preview, confirm, role cards, threads, changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import load_config
from bot.storage.models import AssignmentRow, ThreadRow
from discord_sandbox import InteractionResult, Member, Message, Perm, Sandbox, SandboxLimits, Thread
from tests.conftest import BOTH_DATABASES

from .conftest import Classroom, open_class, populate, press, settings_for, write_config

pytestmark = pytest.mark.e2e

CLOSED = ("Student 07", "Student 21", "Student 38")  # DMs closed


@pytest.fixture
def limits() -> SandboxLimits:
    """Discord's limits, with the DM-opening window shortened from 10 s to 1 s so a class of 43 is quick."""
    return SandboxLimits(dm_open_window=1.0)


@pytest.fixture
async def room(sandbox: Sandbox, tmp_path: Path, config_path: Path, db_url: str) -> AsyncIterator[Classroom]:
    """The seed's class: 43 students, three of them with DMs closed, and the papers' teachers."""
    guild, channel, teacher, people = populate(sandbox, students=40)
    student_role = next(r for r in guild.roles if r.name == "Student")
    for n in (41, 42, 43):
        people.append(guild.add_member(f"Student {n:02d}", username=f"student{n:02d}", roles=[student_role]))
    for member in people:
        if member.name in CLOSED:
            member.dms_open = False
    for name in ("aasa", "thanos", "manxi", "paraskevas"):
        guild.add_member(f"Teacher {name.title()}", username=f"teacher-{name}")
    course = load_config(config_path)
    classroom = Classroom(
        sandbox, guild, channel, teacher, people, course, settings_for(sandbox, tmp_path, config_path, db_url)
    )
    await classroom.start_bot()
    try:
        yield classroom
    finally:
        await classroom.stop_bot()


def table_of(message: Message) -> str:
    """The monospaced table in a post or preview."""
    return "\n".join(e.get("description", "") for e in message.embeds)


def cards(room: Classroom, member: Member) -> list[Message]:
    """Role cards the bot DMed to a student."""
    return [m for m in room.sandbox.dms(member) if m.embeds and "Your role" in m.embeds[0].get("title", "")]


async def preview(room: Classroom) -> InteractionResult:
    """The instructor starts the session and asks for an assignment."""
    await room.run(room.instructor, "session start", plan="reading-group")
    return await room.run(room.instructor, "assign")


async def confirm(room: Classroom, shown: InteractionResult) -> InteractionResult:
    """The instructor presses Confirm on the preview and waits for the summary."""
    message = shown.messages[-1]
    button = next(cid for label, cid in message.buttons if label == "Confirm")
    it = await room.sandbox.click(room.instructor, message, button)
    await it.wait_followup(timeout=60)
    return it


async def seats(room: Classroom, status: str = "confirmed") -> dict[int, tuple[str, str]]:
    assert room.bot is not None
    async with room.bot.db.session() as s:
        rows = await s.scalars(select(AssignmentRow).where(AssignmentRow.status == status))
        return {r.user_id: (r.paper_key, r.role_key) for r in rows}


async def test_preview_shows_the_table_and_sends_nothing_until_confirm(room: Classroom) -> None:
    shown = await preview(room)
    message = shown.messages[-1]
    assert message.ephemeral
    table = table_of(message)
    assert "Diffusion Transformers" in table and "ControlNet" in table
    assert "Scientific Peer Reviewer 1" in table and "Student 01" in table
    assert "Nothing has been sent yet" in table
    assert [label for label, _ in message.buttons] == ["Confirm", "Reshuffle", "Cancel"]
    assert all(room.sandbox.dms(m) == [] for m in room.students)
    assert len(await seats(room, "preview")) == 43 and await seats(room) == {}

    reshuffle = next(cid for label, cid in message.buttons if label == "Reshuffle")
    await room.sandbox.click(room.instructor, message, reshuffle)
    await room.sandbox.wait_for(lambda: table_of(message) != table, timeout=5, what="a new table")
    assert all(room.sandbox.dms(m) == [] for m in room.students)

    cancel = next(cid for label, cid in message.buttons if label == "Cancel")
    cancelled = await room.sandbox.click(room.instructor, message, cancel)
    assert "nothing was sent" in message.text
    assert cancelled.answered and await seats(room, "preview") == {}


@BOTH_DATABASES
async def test_confirm_reaches_every_student_and_opens_the_right_threads(room: Classroom) -> None:
    shown = await preview(room)
    done = await confirm(room, shown)
    answer = done.followups[-1].text
    assert answer.startswith("Confirmed for 43 students. 40 of 43 role cards sent by DM; ")
    assert "3 student(s) with closed DMs pinged in their group room." in answer
    assert "24 group and partner rooms opened." in answer and "The table is posted in" in answer

    table_posts = [m for m in room.posts() if m.embeds and m.embeds[0].get("title") == "Roles for today"]
    assert len(table_posts) == 1
    placed = await seats(room)
    assert len(placed) == 43

    guild = room.guild
    threads = {t.name: t for t in guild.threads}
    bot_id = room.sandbox.bot_user.id
    teachers = {m.user.username: m.id for m in guild.members}
    for paper in room.course.papers:
        group = threads[f"{paper.title} - group"]
        assert isinstance(group, Thread) and group.private
        expected = {uid for uid, (p, _) in placed.items() if p == paper.key}
        expected |= {teachers[room.course.teacher(t).discord] for t in paper.teachers}  # type: ignore[union-attr]
        assert set(group.member_ids) - {bot_id} == expected
        for role in room.course.roles:
            partners = threads[f"{paper.title} - {role.plural}"]
            wanted = {uid for uid, seat in placed.items() if seat == (paper.key, role.key)}
            assert set(partners.member_ids) - {bot_id} == wanted

    for student in room.students:
        got = cards(room, student)
        paper = room.course.paper(placed[student.id][0])
        role = room.course.role(placed[student.id][1])
        if student.name in CLOSED:
            assert got == []
            group = threads[f"{paper.title} - group"]
            pings = [m for m in group.messages if f"<@{student.id}>" in m.content and m.buttons]
            assert len(pings) == 1 and pings[0].buttons[0][0] == "Show my role"
            shown_card = await press(room.sandbox, student, pings[0], pings[0].buttons[0][1])
            assert shown_card.ephemeral and role.name in shown_card.text and paper.link in shown_card.text
        else:
            assert len(got) == 1
            text = got[0].text
            assert role.name in text and paper.title in text and paper.link in text and "<t:" in text
            form = [f"Fill in my {role.name} form"] if role.fields else []
            assert [label for label, _ in got[0].buttons] == ["Got it", *form]
    reviewer = next(s for s in room.students if placed[s.id][1] == "reviewer" and s.name not in CLOSED)
    card_text = cards(room, reviewer)[0].text
    assert "**Justification of rating.**" in card_text  # the whole brief, not cut

    got_it = cards(room, reviewer)[0]
    thanks = await press(room.sandbox, reviewer, got_it, got_it.buttons[0][1])
    assert "Got it" in thanks.text and thanks.ephemeral
    status = await room.run(room.instructor, "roles status")
    embed = status.messages[-1].embeds[0]
    assert embed["title"] == "Role cards: 1 of 43 acknowledged"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert f"<@{reviewer.id}>" in fields["Acknowledged (1)"]
    assert fields["DM failed (3)"].count("thread button") == 3
    assert "Not yet acknowledged (39)" in fields

    mine = await room.run(reviewer, "myrole")
    assert mine.ephemeral and "Scientific Peer Reviewer" in mine.text


async def test_a_swap_touches_only_the_two_students(room: Classroom) -> None:
    await confirm(room, await preview(room))
    placed = await seats(room)
    open_dms = [s for s in room.students if s.name not in CLOSED]
    a = open_dms[0]
    b = next(s for s in open_dms if placed[s.id][0] != placed[a.id][0])
    before = {s.id: len(room.sandbox.dms(s)) for s in room.students}
    table_post = next(m for m in room.posts() if m.embeds and m.embeds[0].get("title") == "Roles for today")

    swapped = await room.run(room.instructor, "roles swap", a=a, b=b)
    assert "Swapped" in swapped.text
    after = await seats(room)
    assert after[a.id] == placed[b.id] and after[b.id] == placed[a.id]
    assert {k: v for k, v in after.items() if k not in (a.id, b.id)} == {
        k: v for k, v in placed.items() if k not in (a.id, b.id)
    }
    changed = {s.id for s in room.students if len(room.sandbox.dms(s)) != before[s.id]}
    assert changed == {a.id, b.id}
    new_paper = room.course.paper(after[a.id][0]).title
    assert new_paper in cards(room, a)[-1].text
    assert table_post.edits  # the class table was edited in place, not posted again
    group = room.guild.thread_named(f"{new_paper} - group")
    assert a.id in group.member_ids and b.id not in group.member_ids


async def test_impossible_plans_and_wrong_people_are_refused_clearly(
    sandbox: Sandbox, tmp_path: Path, config_path: Path
) -> None:
    guild, channel, teacher, people = populate(sandbox, students=3)
    course = load_config(config_path)
    room = Classroom(
        sandbox, guild, channel, teacher, people, course, settings_for(sandbox, tmp_path, config_path)
    )
    await room.start_bot()
    try:
        no_session = await room.run(teacher, "assign")
        assert "run `/session start`" in no_session.text
        await room.run(teacher, "session start", plan="reading-group")
        refused = await room.run(people[0], "assign")
        assert "instructors only" in refused.text
        impossible = await room.run(teacher, "assign")
        assert "3 students cannot fill 4 papers x 5 roles" in impossible.text
        assert await seats(room, "preview") == {} and await seats(room) == {}
        assert all(sandbox.dms(p) == [] for p in people)
        assert "no role in a running session" in (await room.run(people[0], "myrole")).text
    finally:
        await room.stop_bot()


async def test_a_second_assign_asks_before_replacing(room: Classroom) -> None:
    await confirm(room, await preview(room))
    again = await room.run(room.instructor, "assign")
    assert "already confirmed" in again.text
    assert [label for label, _ in again.messages[-1].buttons] == ["Make a new assignment", "Keep it"]
    keep = again.messages[-1].buttons[1][1]
    await room.sandbox.click(room.instructor, again.messages[-1], keep)
    assert "Kept" in again.messages[-1].text


async def small_class(
    sandbox: Sandbox, tmp_path: Path, config: Path, students: int = 21, closed: tuple[str, ...] = ()
) -> Classroom:
    """A quick class just above the 20 seats the shipped config needs, some with DMs closed."""
    return await open_class(sandbox, tmp_path, config, students, closed)


def notices(thread: Thread, words: str) -> list[Message]:
    """The bot's posts in a thread containing `words`."""
    return [m for m in thread.messages if words in m.content]


async def test_late_arrival_move_and_absence_touch_only_those_named(
    sandbox: Sandbox, tmp_path: Path, config_path: Path
) -> None:
    room = await small_class(sandbox, tmp_path, config_path)
    try:
        await confirm(room, await preview(room))
        placed = await seats(room)
        course, guild = room.course, room.guild
        title = {p.key: p.title for p in course.papers}
        plural = {r.key: r.plural for r in course.roles}

        def group(paper: str) -> Thread:
            return guild.thread_named(f"{title[paper]} - group")

        def partners(seat: tuple[str, str]) -> Thread:
            return guild.thread_named(f"{title[seat[0]]} - {plural[seat[1]]}")

        # Late arrival: seated in a smallest paper group, gets a card, joins that group's threads.
        student_role = next(r for r in guild.roles if r.name == "Student")
        late = guild.add_member("Student 99", username="student99", roles=[student_role])
        sizes = {p.key: sum(1 for s in placed.values() if s[0] == p.key) for p in course.papers}
        added = await room.run(room.instructor, "roles add", student=late)
        assert "Added **Student 99**" in added.text and "1 role card(s) DMed" in added.text
        now = await seats(room)
        assert {k: v for k, v in now.items() if k != late.id} == placed
        assert sizes[now[late.id][0]] == min(sizes.values())
        assert len(cards(room, late)) == 1 and title[now[late.id][0]] in cards(room, late)[0].text
        assert late.id in group(now[late.id][0]).member_ids and late.id in partners(now[late.id]).member_ids
        assert notices(group(now[late.id][0]), f"<@{late.id}> joins this group")

        # Move: a student of a two-person cell takes a reviewer seat on another paper.
        before = {s.id: len(room.sandbox.dms(s)) for s in room.students}
        doubles = [u for u, s in now.items() if u != late.id and list(now.values()).count(s) == 2]
        mover = doubles[0]
        old_seat = now[mover]
        target = next(p.key for p in course.papers if p.key != old_seat[0])
        moved = await room.run(
            room.instructor,
            "roles move",
            student=guild.member(mover),
            paper=target,
            role="scientific peer reviewer",
        )  # typed by name, not picked from the suggestions
        assert "Moved" in moved.text
        after = await seats(room)
        assert after[mover] == (target, "reviewer")
        assert {k: v for k, v in after.items() if k != mover} == {k: v for k, v in now.items() if k != mover}
        assert {s.id for s in room.students if len(room.sandbox.dms(s)) != before[s.id]} == {mover}
        assert mover not in group(old_seat[0]).member_ids and mover not in partners(old_seat).member_ids
        assert mover in group(target).member_ids and mover in partners((target, "reviewer")).member_ids

        # Absent: partners and group are pinged; the threads lose them; their old card says it is withdrawn.
        absent = next(u for u, s in after.items() if list(after.values()).count(s) >= 2 and u != late.id)
        seat = after[absent]
        partner_ids = {u for u, s in after.items() if s == seat and u != absent}
        member = guild.member(absent)
        assert member is not None
        removed = await room.run(room.instructor, "roles remove", student=member)
        assert "Removed" in removed.text and "partners and group were told" in removed.text
        assert absent not in await seats(room)
        told = notices(group(seat[0]), f"**{member.name}** is absent today")
        group_ids = {u for u, s in after.items() if s[0] == seat[0] and u != absent}
        assert len(told) == 1 and {int(u) for u in told[0].allowed_mentions["users"]} == group_ids
        assert all(f"<@{u}>" in told[0].content for u in group_ids)
        [in_pair] = notices(partners(seat), f"**{member.name}** is absent today")
        assert {int(u) for u in in_pair.allowed_mentions["users"]} == partner_ids
        assert absent not in group(seat[0]).member_ids and absent not in partners(seat).member_ids
        old_card = room.sandbox.dms(member)[-1]
        assert "Withdrawn" in old_card.text and old_card.edits
        pressed = await press(room.sandbox, member, old_card, old_card.buttons[0][1])
        assert pressed.ephemeral and "This card was withdrawn" in pressed.text

        # The solver's refusal names the paper and the role as the class knows them, not their keys.
        left = await seats(room)
        lone = next(u for u, s in left.items() if list(left.values()).count(s) == 1)
        paper, role = left[lone]
        refused = await room.run(room.instructor, "roles remove", student=guild.member(lone))
        assert f"{title[paper]} would have no {course.role(role).name} (at least 1 needed)" in refused.text
        assert f"{paper} would" not in refused.text and await seats(room) == left
    finally:
        await room.stop_bot()


async def test_without_private_threads_the_instructor_is_told_and_threads_are_public_then_archived(
    sandbox: Sandbox, tmp_path: Path, config_path: Path
) -> None:
    room = await small_class(sandbox, tmp_path, config_path, students=20)
    try:
        room.channel.deny_bot(Perm.CREATE_PRIVATE_THREADS)
        done = await confirm(room, await preview(room))
        assert "I lack **Create Private Threads**" in done.text and "threads are **public**" in done.text
        threads = [t for t in room.guild.threads if t.parent_id == room.channel.id]
        assert len(threads) == 4 + 4 * 5 and not any(t.private for t in threads)
        assert all(set(t.member_ids) - {room.sandbox.bot_user.id} for t in threads)

        assert room.bot is not None
        placed = await seats(room)
        async with room.bot.db.session() as s:
            session_id = await s.scalar(select(AssignmentRow.session_id).limit(1))
        assert session_id is not None and placed
        await room.run(room.instructor, "session stop")  # the end of the session archives the threads
        await room.sandbox.wait_for(lambda: all(t.archived for t in threads), what="the threads archived")
        await room.bot.assignments.archive_threads(session_id)  # again: nothing more happens
        async with room.bot.db.session() as s:
            assert all(t.archived for t in await s.scalars(select(ThreadRow)))
        archives = [
            r for r in room.sandbox.requests if r.method == "PATCH" and (r.json or {}).get("archived")
        ]
        assert len(archives) == len(threads)
    finally:
        await room.stop_bot()


def thread_reminders(room: Classroom) -> list[Message]:
    """Reminders posted in threads (for students whose DMs are closed)."""
    return [m for t in room.guild.threads for m in t.messages if "Reminder:" in m.content]


async def test_one_reminder_for_unacknowledged_cards_even_across_a_restart(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path, **{"ack_reminder_minutes = 10": "ack_reminder_seconds = 1"})
    room = await small_class(sandbox, tmp_path, config, students=20, closed=("Student 05",))
    try:
        shown = await preview(room)
        eager = room.students[0]
        confirming = asyncio.create_task(confirm(room, shown))
        card = (await room.sandbox.wait_for(lambda: cards(room, eager), what="the first card"))[0]
        await room.sandbox.click(eager, card, card.buttons[0][1])  # Got it, well before the reminder
        await confirming

        def reminders(member: Member) -> list[Message]:
            return [m for m in room.sandbox.dms(member) if m.content.startswith("Reminder:")]

        closed = next(s for s in room.students if s.name == "Student 05")
        waiting = [s for s in room.students if s not in (eager, closed)]
        await room.sandbox.wait_for(lambda: all(reminders(s) for s in waiting), timeout=10, what="reminders")
        assert reminders(eager) == []
        in_threads = await room.sandbox.wait_for(lambda: thread_reminders(room), what="a thread reminder")
        assert len(in_threads) == 1 and f"<@{closed.id}>" in in_threads[0].content

        await room.stop_bot()
        bot = await room.start_bot()
        assert not [job for job, _ in bot.scheduler.upcoming(50) if job.startswith("ack-reminder")]
        async with bot.db.session() as s:
            session_id = await s.scalar(select(AssignmentRow.session_id).limit(1))
        assert session_id is not None
        await bot.assignments.remind(session_id)  # as if the timer fired again: nobody is reminded twice
        assert all(len(reminders(s)) == 1 for s in waiting)
        assert len(thread_reminders(room)) == 1
    finally:
        await room.stop_bot()
