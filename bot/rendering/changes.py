"""Posts a change to the confirmed assignment calls for: thread notices that ping, and role-card edits.

A notice names the students still in the thread with real mentions (and allows exactly those pings);
someone who left the thread is named by their display name, escaped so it shows as typed and pings
nobody (a mention would notify them, or pull them back into a private thread).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from bot.core.assignment import Seat
from bot.core.changes import Shift, ThreadNotice, group_key, partners_key
from bot.core.plan import Course
from bot.rendering.inert import inert_text
from bot.rendering.session import payload

REPLACED = "Replaced: see your new card"
WITHDRAWN = "Withdrawn: you no longer hold this role"
CONTENT_MAX = 2000  # Discord's limit on message content
STALE = discord.Colour.light_grey()


def _name(user_id: int, names: Mapping[int, str]) -> str:
    """A display name shown inert (bold, markdown and mentions escaped)."""
    name = names.get(user_id)
    return f"**{inert_text(name, 100)}**" if name else f"a student (user {user_id})"


def _line(shift: Shift, key: str, here: set[int], course: Course, names: Mapping[int, str]) -> str:
    """One move as the given thread reads it ("group:<paper>" or "partners:<paper>:<role>")."""
    uid = int(shift.student)
    who = f"<@{uid}>" if uid in here else _name(uid, names)
    before, after = shift.before, shift.after

    def role(seat: Seat) -> str:
        return course.role(seat.role).name

    def title(seat: Seat) -> str:
        return course.paper(seat.paper).title

    if key.startswith("group:"):
        if before is not None and after is not None and before.paper == after.paper:
            return f"{who} is now {role(after)} in this group (was {role(before)})."
        if after is not None and group_key(after.paper) == key:
            came = f" (from {title(before)})" if before is not None else ""
            return f"{who} joins this group as {role(after)}{came}. Welcome!"
        assert before is not None
        if after is None:
            return f"{who} is absent today and no longer holds {role(before)} in this group."
        return f"{who} moves to {title(after)} and no longer holds {role(before)} in this group."
    if after is not None and partners_key(after) == key:
        came = f" (was {role(before)} on {title(before)})" if before is not None else ""
        return f"{who} joins you as {role(after)}{came}. Welcome!"
    assert before is not None
    if after is None:
        return f"{who} is absent today and no longer holds {role(before)} with you."
    return f"{who} moves to {role(after)} on {title(after)} and no longer holds {role(before)} with you."


def notice_post(
    notice: ThreadNotice, course: Course, names: Mapping[int, str], notify: int
) -> dict[str, Any]:
    """A thread's notice of a change: the moves it saw, pinging everyone in the thread now."""
    ping = [int(u) for u in notice.ping]
    here = set(ping)
    lines = [_line(shift, notice.key, here, course, names) for shift in notice.shifts]
    for shown in range(len(lines), -1, -1):  # as many moves as fit, with a mention of everyone in the thread
        named = {int(s.student) for s in notice.shifts[:shown]} & here
        head = " ".join(f"<@{u}>" for u in ping if u not in named)
        body = lines[:shown]
        if shown < len(lines):
            body.append(f"… and {len(lines) - shown} more change(s): see the updated table.")
        text = body[0] if len(body) == 1 else "\n".join(f"- {line}" for line in body)
        content = f"{head} {text}" if head and len(body) == 1 else "\n".join(x for x in (head, text) if x)
        if len(content) <= CONTENT_MAX:
            break
    post = payload(content, mentions=ping)
    post["notify"] = notify
    return post


def stale_card(reason: str, explanation: str, view: dict[str, Any] | None) -> dict[str, Any]:
    """An old role card edited to say it no longer holds (its buttons kept: they answer `reason`)."""
    body = payload(f"**{reason}.**", view=view)
    embed = discord.Embed(title=reason, description=explanation, colour=STALE)
    body["embeds"] = [embed.to_dict()]
    return body


def replaced_card(view: dict[str, Any] | None) -> dict[str, Any]:
    """A role card replaced by a newer one."""
    return stale_card(
        REPLACED,
        "Your role changed: the card sent after this one is your role for today (also `/myrole`). "
        "The buttons here no longer act.",
        view,
    )


def withdrawn_card(view: dict[str, Any] | None) -> dict[str, Any]:
    """The card of a student removed from the assignment."""
    return stale_card(
        WITHDRAWN,
        "The instructor removed you from today's assignment. If you are here, ask them to "
        "`/roles add` you: you will get a new card.",
        view,
    )
