"""Posts a change to the confirmed assignment calls for: thread notices that ping, and role-card edits.

A notice names the students still in the thread with real mentions (and allows exactly those pings);
someone who left the thread is named by their display name, shown inert so it pings nobody (a mention
would notify them, or pull them back into a private thread).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.assignment import Seat
from bot.core.changes import Shift, ThreadNotice, group_key, partners_key
from bot.core.message import Actions, Card, Mention, Message, Rich, Tone, UserText, bold, joined, lines, rich
from bot.core.plan import Course
from bot.messages.outbox import stored
from bot.messages.sizes import shown_length

REPLACED = "Replaced: see your new card"
WITHDRAWN = "Withdrawn: you no longer hold this role"
CONTENT_MAX = 2000  # the longest a post's text may be (Discord's limit)


def _name(user_id: int, names: Mapping[int, str]) -> Rich:
    """A display name shown inert, in bold."""
    name = names.get(user_id)
    return rich(bold(UserText(name, limit=100))) if name else rich(f"a student (user {user_id})")


def _line(shift: Shift, key: str, here: set[int], course: Course, names: Mapping[int, str]) -> Rich:
    """One move as the given thread reads it ("group:<paper>" or "partners:<paper>:<role>")."""
    uid = int(shift.student)
    who = rich(Mention(uid)) if uid in here else _name(uid, names)
    before, after = shift.before, shift.after

    def role(seat: Seat) -> str:
        return course.role(seat.role).name

    def title(seat: Seat) -> str:
        return course.paper(seat.paper).title

    if key.startswith("group:"):
        if before is not None and after is not None and before.paper == after.paper:
            return rich(who, f" is now {role(after)} in this group (was {role(before)}).")
        if after is not None and group_key(after.paper) == key:
            came = f" (from {title(before)})" if before is not None else ""
            return rich(who, f" joins this group as {role(after)}{came}. Welcome!")
        assert before is not None
        if after is None:
            return rich(who, f" is absent today and no longer holds {role(before)} in this group.")
        return rich(who, f" moves to {title(after)} and no longer holds {role(before)} in this group.")
    if after is not None and partners_key(after) == key:
        came = f" (was {role(before)} on {title(before)})" if before is not None else ""
        return rich(who, f" joins you as {role(after)}{came}. Welcome!")
    assert before is not None
    if after is None:
        return rich(who, f" is absent today and no longer holds {role(before)} with you.")
    return rich(
        who, f" moves to {role(after)} on {title(after)} and no longer holds {role(before)} with you."
    )


def notice_post(
    notice: ThreadNotice, course: Course, names: Mapping[int, str], notify: int
) -> dict[str, Any]:
    """A thread's notice of a change: the moves it saw, pinging everyone in the thread now."""
    ping = [int(u) for u in notice.ping]
    here = set(ping)
    moves = [_line(shift, notice.key, here, course, names) for shift in notice.shifts]
    text: Rich = ()
    for shown in range(len(moves), -1, -1):  # as many moves as fit, with a mention of everyone in the thread
        named = {int(s.student) for s in notice.shifts[:shown]} & here
        head = joined([(Mention(u),) for u in ping if u not in named], " ")
        body = moves[:shown]
        if shown < len(moves):
            body.append(rich(f"… and {len(moves) - shown} more change(s): see the updated table."))
        said = body[0] if len(body) == 1 else lines(*(rich("- ", line) for line in body))
        text = rich(head, " ", said) if head and len(body) == 1 else lines(head, said)
        if shown_length(text) <= CONTENT_MAX:
            break
    return stored(Message(text, mentions=tuple(ping)), notify=notify)


def stale_card(reason: str, explanation: str, view: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An old role card edited to say it no longer holds (its buttons kept: they answer `reason`)."""
    card = Card(title=rich(reason), body=rich(explanation), tone=Tone.OVER)
    actions = None if view is None else Actions(view["name"], view.get("args", {}))
    return stored(Message(rich(bold(f"{reason}.")), (card,), actions=actions))


def replaced_card(view: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A role card replaced by a newer one."""
    return stale_card(
        REPLACED,
        "Your role changed: the card sent after this one is your role for today (also `/myrole`). "
        "The buttons here no longer act.",
        view,
    )


def withdrawn_card(view: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The card of a student removed from the assignment."""
    return stale_card(
        WITHDRAWN,
        "The instructor removed you from today's assignment. If you are here, ask them to "
        "`/roles add` you: you will get a new card.",
        view,
    )
