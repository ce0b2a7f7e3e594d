"""After `/roles remove`, `add`, `swap` and `move`: the people concerned are really pinged, in the group
thread and the partner thread(s); every other card is edited in place to show current partners; a
replaced card says so, and its buttons answer that instead of acting on the old role.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.storage.models import Acknowledgement
from discord_sandbox import Member, Message, Sandbox, SandboxLimits, Thread

from .conftest import Classroom, open_class, press
from .test_assign import cards, confirm, preview, seats

pytestmark = pytest.mark.e2e

Seat = tuple[str, str]


@pytest.fixture
def limits() -> SandboxLimits:
    """Discord's limits, the DM-opening window shortened so a class's cards go out quickly."""
    return SandboxLimits(dm_open_window=1.0)


@pytest.fixture
async def room(sandbox: Sandbox, tmp_path: Path, config_path: Path) -> AsyncIterator[Classroom]:
    """28 students (7 per paper: two role-partner pairs in each group), roles confirmed."""
    classroom = await open_class(sandbox, tmp_path, config_path, students=28)
    try:
        await confirm(classroom, await preview(classroom))
        yield classroom
    finally:
        await classroom.stop_bot()


def pinged(message: Message) -> set[int]:
    """Who a message really notifies: mentioned in its content AND allowed by its allowed_mentions."""
    allowed = message.allowed_mentions or {}
    assert "everyone" not in allowed.get("parse", []) and "roles" not in allowed.get("parse", [])
    mentioned = {int(u) for u in re.findall(r"<@!?(\d+)>", message.content)}
    users = {int(u) for u in allowed.get("users", [])}
    if "users" in allowed.get("parse", []):
        return mentioned
    return mentioned & users


def group_thread(room: Classroom, paper: str) -> Thread:
    return room.guild.thread_named(f"{room.course.paper(paper).title} - group")


def partner_thread(room: Classroom, seat: Seat) -> Thread:
    return room.guild.thread_named(f"{room.course.paper(seat[0]).title} - {room.course.role(seat[1]).plural}")


def new_posts(thread: Thread, before: int) -> list[Message]:
    """The bot's posts in a thread after the first `before` ones."""
    return thread.messages[before:]


def counts(room: Classroom) -> dict[int, int]:
    """How many posts each thread holds now."""
    return {t.id: len(t.messages) for t in room.guild.threads}


def partners_field(card: Message) -> str:
    """The card's Role-partner(s) field."""
    return next(f["value"] for f in card.embeds[0]["fields"] if f["name"] == "Role-partner(s)")


def students_in(placed: dict[int, Seat], *, paper: str | None = None, seat: Seat | None = None) -> set[int]:
    return {u for u, s in placed.items() if (paper is None or s[0] == paper) and (seat is None or s == seat)}


def pair(
    placed: dict[int, Seat], exclude: set[int] | None = None, with_form: Classroom | None = None
) -> tuple[int, int]:
    """Two role-partners (a cell of exactly two), neither in `exclude`; a role with a form if asked."""
    for u, seat in sorted(placed.items()):
        cell = students_in(placed, seat=seat)
        if with_form is not None and not with_form.course.role(seat[1]).fields:
            continue
        if len(cell) == 2 and not cell & (exclude or set()):
            other = next(iter(cell - {u}))
            return u, other
    raise AssertionError("no pair of role-partners")


def dm_counts(room: Classroom) -> dict[int, int]:
    return {s.id: len(room.sandbox.dms(s)) for s in room.students}


def member(room: Classroom, uid: int) -> Member:
    found = room.guild.member(uid)
    assert found is not None
    return found


async def acknowledged(room: Classroom, uid: int) -> bool:
    assert room.bot is not None
    async with room.bot.db.session() as s:
        ack = await s.scalar(select(Acknowledgement).where(Acknowledgement.user_id == uid))
        return ack is not None and ack.acknowledged_at is not None


async def test_remove_pings_the_partner_left_alone_and_the_group_and_edits_cards_in_place(
    room: Classroom,
) -> None:
    placed = await seats(room)
    gone, partner = pair(placed)
    seat = placed[gone]
    group_before, pair_before = (
        len(group_thread(room, seat[0]).messages),
        len(partner_thread(room, seat).messages),
    )
    dms = dm_counts(room)
    partner_card = cards(room, member(room, partner))[-1]
    assert f"<@{gone}>" in partners_field(partner_card)

    removed = await room.run(room.instructor, "roles remove", student=member(room, gone))
    assert "2 thread(s) told" in removed.text and "1 other card(s) updated in place" in removed.text

    left = students_in(placed, paper=seat[0]) - {gone}
    [in_group] = new_posts(group_thread(room, seat[0]), group_before)
    assert (
        pinged(in_group) == left and "**Student" in in_group.content and "is absent today" in in_group.content
    )
    [in_pair] = new_posts(partner_thread(room, seat), pair_before)
    assert pinged(in_pair) == {partner} and f"<@{gone}>" not in in_pair.content  # not pulled back in

    # The partner's card now lists nobody; it was edited, not sent again. Nobody got a new DM.
    assert dm_counts(room) == dms
    assert partner_card.edits and f"<@{gone}>" not in partners_field(partner_card)
    assert "alone" in partners_field(partner_card)
    assert partner_card.buttons[0][0] == "Got it"
    # The removed student's card says so, and its Got it says why it does not act.
    old = cards(room, member(room, gone))
    withdrawn = [m for m in room.sandbox.dms(member(room, gone)) if "Withdrawn" in m.content]
    assert old == [] and len(withdrawn) == 1
    pressed = await press(room.sandbox, member(room, gone), withdrawn[0], withdrawn[0].buttons[0][1])
    assert pressed.ephemeral and "This card was withdrawn" in pressed.text


async def test_add_pings_the_new_partner_the_partners_and_the_group(room: Classroom) -> None:
    placed = await seats(room)
    before = counts(room)
    dms = dm_counts(room)
    student_role = next(r for r in room.guild.roles if r.name == "Student")
    late = room.guild.add_member("Late *Star* <@1>", username="late", roles=[student_role])

    added = await room.run(room.instructor, "roles add", student=late)
    assert "Added" in added.text
    seat = (await seats(room))[late.id]
    partners = students_in(placed, seat=seat)
    assert partners, "the shipped roles have min 1: a late arrival always joins someone"

    [in_group] = new_posts(group_thread(room, seat[0]), before[group_thread(room, seat[0]).id])
    assert pinged(in_group) == students_in(placed, paper=seat[0]) | {late.id}
    assert f"<@{late.id}> joins this group as" in in_group.content
    [in_pair] = new_posts(partner_thread(room, seat), before[partner_thread(room, seat).id])
    assert pinged(in_pair) == partners | {late.id}
    # Other threads heard nothing.
    touched = {group_thread(room, seat[0]).id, partner_thread(room, seat).id}
    assert all(len(t.messages) == before.get(t.id, 0) for t in room.guild.threads if t.id not in touched)

    # The partners' cards list the newcomer, edited in place; only the newcomer got a DM.
    assert dm_counts(room) == dms and len(room.sandbox.dms(late)) == 1
    assert len(cards(room, late)) == 1
    for uid in partners:
        card = cards(room, member(room, uid))[-1]
        assert card.edits and f"<@{late.id}>" in partners_field(card)
    # The display name is shown inert wherever a name appears (the table): no ping, no markdown.
    assert all("Late *Star* <@1>" not in m.content for t in room.guild.threads for m in t.messages)


async def test_swap_replaces_both_cards_refreshes_the_partners_and_tells_all_four_threads(
    room: Classroom,
) -> None:
    placed = await seats(room)
    a, a_partner = pair(placed, with_form=room)
    b, b_partner = pair(
        placed, exclude=students_in(placed, paper=placed[a][0]) | students_in(placed, seat=placed[a])
    )
    seat_a, seat_b = placed[a], placed[b]
    before = counts(room)
    dms = dm_counts(room)
    old_card = cards(room, member(room, a))[-1]

    await room.run(room.instructor, "roles swap", a=member(room, a), b=member(room, b))

    # Only the two swapped students got a DM (their new card).
    assert {u for u, n in dm_counts(room).items() if n != dms[u]} == {a, b}
    new_card = cards(room, member(room, a))[-1]
    assert new_card.id != old_card.id and room.course.paper(seat_b[0]).title in new_card.text
    # The old card says it was replaced, and its Got it answers so without acknowledging anything.
    assert "Replaced: see your new card" in old_card.text and "Your role:" not in old_card.text
    assert old_card.buttons[0][0] == "Got it"
    pressed = await press(room.sandbox, member(room, a), old_card, old_card.buttons[0][1])
    assert pressed.ephemeral and "This card was replaced: see your new card" in pressed.text
    assert not await acknowledged(room, a)
    got_it = await press(room.sandbox, member(room, a), new_card, new_card.buttons[0][1])
    assert "Got it" in got_it.text and await acknowledged(room, a)
    # The role's form button on a replaced card opens no form either, and says why.
    assert old_card.buttons[1][0].startswith("Fill in my")
    form = await room.sandbox.click(member(room, a), old_card, old_card.buttons[1][1])
    assert form.response_type != 9 and form.ephemeral and "This card was replaced" in form.text

    # The partners left behind now have the other student as partner: cards edited in place.
    for uid, newcomer in ((a_partner, b), (b_partner, a)):
        card = cards(room, member(room, uid))[-1]
        assert card.edits and f"<@{newcomer}>" in partners_field(card)
        assert f"<@{a if newcomer == b else b}>" not in partners_field(card)

    # All four threads were told, each pinging everyone in it now.
    after = await seats(room)
    for thread, people in (
        (group_thread(room, seat_a[0]), students_in(after, paper=seat_a[0])),
        (group_thread(room, seat_b[0]), students_in(after, paper=seat_b[0])),
        (partner_thread(room, seat_a), {a_partner, b}),
        (partner_thread(room, seat_b), {b_partner, a}),
    ):
        [notice] = new_posts(thread, before[thread.id])
        assert pinged(notice) == people, thread.name


async def test_move_tells_both_groups_and_partner_threads_and_refreshes_the_old_partner(
    room: Classroom,
) -> None:
    placed = await seats(room)
    mover, partner = pair(placed)
    old = placed[mover]
    target_paper = next(p.key for p in room.course.papers if p.key != old[0])
    target = next(
        (target_paper, r.key)
        for r in room.course.roles
        if len(students_in(placed, seat=(target_paper, r.key))) < r.max
    )
    before = counts(room)
    dms = dm_counts(room)
    old_card = cards(room, member(room, mover))[-1]

    moved = await room.run(
        room.instructor,
        "roles move",
        student=member(room, mover),
        paper=target[0],
        role=target[1],
    )
    assert "Moved" in moved.text

    assert {u for u, n in dm_counts(room).items() if n != dms[u]} == {mover}
    new_partners = students_in(placed, seat=target)
    after = await seats(room)
    [left] = new_posts(partner_thread(room, old), before[partner_thread(room, old).id])
    assert pinged(left) == {partner} and "moves to" in left.content
    [joined] = new_posts(partner_thread(room, target), before[partner_thread(room, target).id])
    assert pinged(joined) == new_partners | {mover} and f"<@{mover}> joins you as" in joined.content
    for paper in (old[0], target[0]):
        [notice] = new_posts(group_thread(room, paper), before[group_thread(room, paper).id])
        assert pinged(notice) == students_in(after, paper=paper)

    card = cards(room, member(room, partner))[-1]
    assert card.edits and f"<@{mover}>" not in partners_field(card)
    for uid in new_partners:
        card = cards(room, member(room, uid))[-1]
        assert card.edits and f"<@{mover}>" in partners_field(card)
    assert "Replaced: see your new card" in old_card.text and old_card.edits
