"""The configured class channel: class-wide posts go there from wherever the instructor types, else where typed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from discord_sandbox import Channel, Guild, Perm, Sandbox, SandboxLimits

from .conftest import Classroom, open_class, write_config
from .test_assign import confirm

pytestmark = pytest.mark.e2e

NO_CLASS_CHANNEL = {'class_channel = "reading-group"': 'class_channel = "lecture-hall"'}


def as_shown(text: str, guild: Guild) -> str:
    """Text as the Discord client shows it: a channel mention `<#id>` reads `#name`."""
    return re.sub(r"<#(\d+)>", lambda m: "#" + guild.channel(int(m.group(1))).name, text)


def titles(room: Classroom, channel: Channel | None = None) -> list[str]:
    """Embed titles of what the bot posted in a channel."""
    return [m.embeds[0].get("title", "") for m in room.posts(channel) if m.embeds]


@pytest.fixture
def limits() -> SandboxLimits:
    """Discord's limits, with the DM-opening window shortened so 20 role cards go out quickly."""
    return SandboxLimits(dm_open_window=1.0)


@pytest.fixture
async def full_class(sandbox: Sandbox, tmp_path: Path, config_path: Path) -> AsyncIterator[Classroom]:
    """20 students, enough for every paper to get every role."""
    room = await open_class(sandbox, tmp_path, config_path, students=20)
    try:
        yield room
    finally:
        await room.stop_bot()


@pytest.fixture
async def no_class_channel(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[Classroom]:
    """A class whose configured class channel (#lecture-hall) does not exist in the server."""
    config = write_config(tmp_path, warning_seconds="warning_seconds = [1]\n# ", **NO_CLASS_CHANNEL)
    room = await open_class(sandbox, tmp_path, config)
    try:
        yield room
    finally:
        await room.stop_bot()


async def test_started_from_a_staff_channel_the_session_posts_to_the_class_channel_and_says_so(
    full_class: Classroom,
) -> None:
    room, teacher = full_class, full_class.instructor
    staff = room.guild.add_text_channel("staff")

    started = await room.run(teacher, "session start", channel=staff, plan="afternoon")
    shown = as_shown(started.text, room.guild)
    assert started.ephemeral and "Started **afternoon**. Posting to #reading-group" in shown
    assert "Steer it from any channel" in shown
    await room.sandbox.wait_for(
        lambda: "Run-of-show: afternoon" in titles(room), what="the run-of-show in the class channel"
    )
    await room.sandbox.wait_for(lambda: any(t.startswith("Now:") for t in titles(room)), what="phase 1")
    assert room.posts(staff) == []  # nothing of the class's in the staff channel

    # Steered from the staff channel too, and the same session answers in the class channel.
    paused = await room.run(teacher, "session pause", channel=staff)
    assert "Done: now **Project proposals**" in paused.text
    assert "**Paused** during **Project proposals**" in (await room.run(teacher, "session status")).text
    again = await room.run(teacher, "session start", channel=staff, plan="fast")
    assert "A session is already running in #reading-group" in as_shown(again.text, room.guild)

    # Groups and partner threads open in the class channel as well.
    await confirm(room, await room.run(teacher, "assign", channel=staff))
    threads = room.guild.threads
    assert threads and {t.parent.id for t in threads} == {room.channel.id}
    table = [m for m in room.posts() if "Roles for today" in m.text]
    assert table and room.posts(staff) == []


async def test_without_the_class_channel_posts_go_where_the_session_was_started_and_the_answer_says_why(
    no_class_channel: Classroom,
) -> None:
    room = no_class_channel
    started = await room.run(room.instructor, "session start", plan="fast")
    shown = as_shown(started.text, room.guild)
    assert "Posting to #reading-group: this server has no **#lecture-hall** channel" in shown
    assert "`[discord] class_channel`" in shown
    await room.sandbox.wait_for(
        lambda: "Run-of-show: fast" in titles(room), what="the run-of-show where the session was started"
    )
    status = await room.run(room.instructor, "session status")
    assert "Session: fast" in status.text


async def test_conductor_status_reports_a_missing_class_channel(no_class_channel: Classroom) -> None:
    status = await no_class_channel.run(no_class_channel.instructor, "conductor status")
    shown = status.text
    assert "Class channel missing" in shown
    assert "This server has no **#lecture-hall** channel (`[discord] class_channel`)" in shown


async def test_conductor_status_names_the_class_channel_and_what_it_lacks_there(classroom: Classroom) -> None:
    room = classroom
    staff = room.guild.add_text_channel("staff")
    fine = await room.run(room.instructor, "conductor status", channel=staff)
    assert "Class channel missing" not in fine.text
    assert "#reading-group: the run-of-show, class-wide phases and the group threads go there" in as_shown(
        fine.text, room.guild
    )

    room.channel.deny_bot(Perm.SEND_MESSAGES)
    await room.sandbox.wait_for(
        lambda: (
            room.bot is not None
            and not room.bot.get_channel(room.channel.id)
            .permissions_for(  # type: ignore[union-attr]
                room.bot.get_guild(room.guild.id).me  # type: ignore[union-attr]
            )
            .send_messages
        ),
        what="the bot to learn of the changed permission",
    )
    lacking = await room.run(room.instructor, "conductor status", channel=staff)
    assert "I cannot post the run-of-show and phases there: grant **Send Messages**" in lacking.text
    assert "Everything I need in #staff is granted" in as_shown(lacking.text, room.guild)
