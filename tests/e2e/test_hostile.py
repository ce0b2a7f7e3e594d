"""Issue 9, items 8 and 9, through the real client: a hostile slides link and a student named like a role mention.

A group submits `https://slides.example.org/deck#>[Slides](https://evil.example/phish)` (a `>` that used to
end the slot post's `<link>` early, so the rest rendered as a masked link to another site), and a student's
display name is `<@&ROLEID> Max` (the Student role's real id). Every post and answer that shows them, above
all the class-wide presentation slot, shows them as text: no live link, no role mention, no markdown.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from discord_sandbox import Message, Sandbox, SandboxLimits

from ..rendering.liveness import live
from .conftest import open_class, write_config
from .test_assign import confirm, seats

pytestmark = pytest.mark.e2e

HOSTILE_LINK = "https://slides.example.org/deck#>[Slides](https://evil.example/phish)"
TALKS = """
[[phases]]
key = "fast-present"
name = "Present slides"
kind = "presentation"
seconds = 960
slot_seconds = 60

[plans.talks]
phases = ["assign", "fast-present"]
"""


@pytest.fixture
def limits() -> SandboxLimits:
    """Discord's limits, with the DM-opening window shortened so 21 role cards go out quickly."""
    return SandboxLimits(dm_open_window=1.0)


def inert(where: str, message: Message | Any) -> None:
    """Nothing in the message is live but the bot's own user mentions, timestamps and code (the table)."""
    texts = [message.content or ""]
    for e in message.embeds:
        texts += [e.get("title") or "", e.get("description") or "", (e.get("footer") or {}).get("text") or ""]
        texts += [f"{f.get('name')}\n{f.get('value')}" for f in e.get("fields") or []]
    for text in texts:
        for kind, what in live(text):
            assert kind in {"mention", "timestamp", "code", "code block"}, (
                f"{where}: live {kind} {what!r} in {text!r}"
            )
            if kind == "mention":
                assert re.fullmatch(r"<@\d+>", what), f"{where}: live mention {what!r} in {text!r}"


async def test_a_hostile_link_and_a_role_mention_name_are_shown_inert_everywhere(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path, TALKS)
    room = await open_class(sandbox, tmp_path, config, students=20)
    try:
        student_role = next(r for r in room.guild.roles if r.name == "Student")
        max_name = f"<@&{student_role.id}> Max"
        mallory = room.guild.add_member(max_name, username="max", roles=[student_role])
        assert room.bot is not None
        for _ in range(100):  # the bot learns of the new member from the gateway
            guild = room.bot.get_guild(room.guild.id)
            if guild is not None and guild.get_member(mallory.id) is not None:
                break
            await asyncio.sleep(0.05)
        await room.run(room.instructor, "session start", plan="talks")
        await confirm(room, await room.run(room.instructor, "assign"))
        placed = await seats(room)
        assert mallory.id in placed

        # Max's group submits the link from the issue: the answer and the group's confirmation show it whole.
        answer = await room.run(mallory, "submit slides", url=HOSTILE_LINK)
        assert "Saved your group's slides link" in answer.text and f"`{HOSTILE_LINK}`" in answer.text
        inert("the student's answer", answer.messages[-1])
        paper = room.course.paper(placed[mallory.id][0]).title
        group = room.guild.thread_named(f"{paper} - group")
        confirmation = await room.sandbox.wait_for(
            lambda: [m for m in room.posts(group) if "slides" in m.content and "<@" in m.content],
            what="the slides confirmation in the group thread",
        )
        assert f"`{HOSTILE_LINK}`" in confirmation[0].content
        inert("the group's confirmation", confirmation[0])

        links = await room.run(room.instructor, "links")
        assert f"`{HOSTILE_LINK}`" in links.text
        inert("/links", links.messages[-1])

        # The class-wide presentation slot of Max's paper: the link is text, nothing else is a link.
        def slot() -> list[Message]:
            return [m for m in room.posts() if f"Now: {paper} - " in m.content]

        for _ in range(20):
            if slot():
                break
            await room.run(room.instructor, "session next")
            await asyncio.sleep(0.2)
        shown = await room.sandbox.wait_for(slot, what="the slot post of Max's paper")
        assert f"slides: `{HOSTILE_LINK}`" in shown[0].content
        inert("the presentation slot post", shown[0])
        assert not any(kind == "link" for kind, _ in live(shown[0].content))

        # Max's name in the instructor's answers and the partner notices: shown as text, no role chip.
        now = await seats(room)
        cell = now[mallory.id]
        if sum(1 for s in now.values() if s == cell) == 1:  # leave a cell that keeps its minimum
            other = next(u for u, s in now.items() if list(now.values()).count(s) > 1)
            swapped = await room.run(room.instructor, "roles swap", a=mallory, b=room.guild.member(other))
            assert "Swapped **" in swapped.text and "Max**" in swapped.text
            inert("the /roles swap answer", swapped.messages[-1])
            cell = (await seats(room))[mallory.id]
        removed = await room.run(room.instructor, "roles remove", student=mallory)
        assert "Removed **" in removed.text and "Max**" in removed.text
        inert("the /roles remove answer", removed.messages[-1])
        told_in = room.guild.thread_named(f"{room.course.paper(cell[0]).title} - group")
        told = await room.sandbox.wait_for(
            lambda: [m for m in room.posts(told_in) if "is absent today" in m.content],
            what="the notice that Max is absent",
        )
        assert "Max** is absent today" in told[-1].content
        inert("the partner notice", told[-1])
        for message in room.posts():
            inert("a class channel post", message)
    finally:
        await room.stop_bot()
