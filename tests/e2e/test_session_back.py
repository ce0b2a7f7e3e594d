"""`/session back` as the class sees it: once, with "Back to", the new end and the later phases' new times."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from discord_sandbox import Message

from .conftest import Classroom
from .test_session import finished, titles

pytestmark = pytest.mark.e2e

STAMP = re.compile(r"<t:(\d+):([tR])>")


def first(m: Message) -> dict[str, object]:
    """A post as it was first sent (before it was marked over)."""
    return dict(m.edits[0]) if m.edits else {"content": m.content, "embeds": m.embeds}


def text_of(version: dict[str, object]) -> str:
    """Everything a reader sees of one version of a post: content, embed titles, texts and fields."""
    parts = [str(version.get("content") or "")]
    for e in version.get("embeds") or []:  # type: ignore[attr-defined]
        parts += [e.get("title", ""), e.get("description", "") or ""]
        parts += [f"{f['name']}: {f['value']}" for f in e.get("fields", [])]
    return "\n".join(parts)


def sent_at(m: Message) -> float:
    """When the sandbox received the post (Unix seconds)."""
    return datetime.fromisoformat(m.timestamp).timestamp()


async def test_going_back_is_told_to_the_class_once_with_the_new_end_and_later_times(
    classroom: Classroom,
) -> None:
    room, teacher = classroom, classroom.instructor
    await room.run(teacher, "session start", plan="fast")
    await room.sandbox.wait_for(
        lambda: any(t == "Now: Do the role!" for t in titles(room.posts())), timeout=10, what="phase 2"
    )
    answer = await room.run(teacher, "session back")
    assert "Done: now **Introduce and assign roles**" in answer.text
    moved = re.search(r"Everything after moves (.+) later", answer.text)
    assert moved is not None and "." not in moved.group(1)  # "1 s", "2 s": never "0.0333 min"

    def back_posts() -> list[Message]:
        return [m for m in room.posts() if "Back to" in text_of(first(m))]

    await room.sandbox.wait_for(back_posts, timeout=5, what="the class to be told of the change")
    await room.sandbox.wait_for(lambda: finished(room), timeout=20, what="the session to end")

    posts = room.posts()
    told = back_posts()
    assert len(told) == 1, [text_of(first(m)) for m in told]  # once
    back = text_of(first(told[0]))
    assert "Back to **Introduce and assign roles**: it now ends <t:" in back
    stamps = {style: int(when) for when, style in STAMP.findall(back.splitlines()[0])}
    # It now ends one full phase (2 s) after the command, not when it first would have.
    assert abs(stamps["R"] - (sent_at(told[0]) + 2)) <= 1.5, (back, told[0].timestamp)
    assert "New times" in back
    new_times = dict(
        reversed(line.split(" ", 1)) for line in back.split("New times: ", 1)[1].splitlines()[:2]
    )
    role_at = int(STAMP.search(new_times["Do the role!"]).group(1))  # type: ignore[union-attr]
    partners_at = int(STAMP.search(new_times["Discuss with your role-partner"]).group(1))  # type: ignore[union-attr]
    assert role_at == stamps["R"] and partners_at - role_at == 3  # later phases carry their new times
    for wrong in ("while I was away", "Started late", "Time's up"):
        assert wrong not in back

    # Then the class is walked on from there: phase 2 again (time is up for the right phase), then 3.
    announced = [str(first(m)["embeds"][0].get("title", "")) for m in posts if m.embeds]  # type: ignore[index]
    assert [t for t in announced if t.startswith("Now:")] == [
        "Now: Introduce and assign roles",
        "Now: Do the role!",
        "Now: Introduce and assign roles",
        "Now: Do the role!",
        "Now: Discuss with your role-partner",
    ], announced
    role_posts = [m for m in posts if m.embeds and first(m)["embeds"][0]["title"] == "Now: Do the role!"]  # type: ignore[index]
    role_again = role_posts[1]
    assert "Time's up for **Introduce and assign roles**" in str(first(role_again)["content"])
    # At its new time, not its old one (stamps are whole seconds; the channel's 5-posts-in-5-s limit
    # may hold a post up to two seconds in this compressed plan).
    assert role_at - 1 <= sent_at(role_again) <= role_at + 3
