"""A live session on a compressed plan: phases posted on time, steering, bad input, restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from discord_sandbox import Message, Perm, Sandbox
from tests.conftest import BOTH_DATABASES

from .conftest import FAST_PHASES, BotProcess, Classroom, open_class, populate, settings_for, write_config

pytestmark = pytest.mark.e2e


def titles(posts: list[Message]) -> list[str]:
    """The first line a reader sees of each post: its embed title, else its content."""
    out = []
    for m in posts:
        if m.embeds:
            out.append(m.embeds[0].get("title", ""))
        else:
            out.append((m.content or "").splitlines()[-1])
    return out


def ends(status: object) -> str:
    """The "Session ends" timestamp of a `/session status` answer."""
    text = status.text  # type: ignore[attr-defined]
    return text.split("Session ends", 1)[1].split()[0]


def finished(room: Classroom) -> bool:
    """The end was announced and every phase post has been marked over."""
    posts = room.posts()
    ended = any("end of the session" in (m.content or "") for m in posts)
    return ended and not any(t.startswith("Now:") for t in titles(posts))


@BOTH_DATABASES
async def test_every_phase_is_posted_once_in_order_with_countdowns(classroom: Classroom) -> None:
    started = await classroom.run(classroom.instructor, "session start", plan="fast")
    assert started.ephemeral and "Started **fast**" in started.text
    await classroom.sandbox.wait_for(lambda: finished(classroom), timeout=20, what="the session to end")

    posts = classroom.posts()
    seen = titles(posts)
    assert seen[0] == "Run-of-show: fast"
    starts = [t for t in seen if t.startswith(("Now:", "Over:"))]
    assert starts == [
        "Over: Introduce and assign roles",
        "Over: Do the role!",
        "Over: Discuss with your role-partner",
    ]  # each phase posted once, then edited to show it is over
    warnings = [m for m in posts if "left** of" in (m.content or "")]
    assert len(warnings) == 3
    for m in posts[1:]:
        if m.embeds and m.edits:
            live = m.edits[0]  # the post as first sent
            assert ":R>" in str(live.get("embeds"))  # a live countdown, no per-second edits
            assert len(m.edits) == 1
    role_post = next(m for m in posts if m.embeds and "Do the role" in m.embeds[0]["title"])
    assert "Time's up for **Introduce and assign roles**" in role_post.content
    run_of_show = posts[0].embeds[0]["description"]
    assert run_of_show.count("<t:") == 6  # start and end of each of the three phases, in local time


async def test_pause_resume_and_extend_shift_what_follows_and_say_so(classroom: Classroom) -> None:
    await classroom.run(classroom.instructor, "session start", plan="fast")
    paused = await classroom.run(classroom.instructor, "session pause")
    assert "Done: now **Introduce and assign roles**" in paused.text
    status = await classroom.run(classroom.instructor, "session status")
    assert "**Paused** during **Introduce and assign roles**" in status.text

    again = await classroom.run(classroom.instructor, "session pause")
    assert "already paused" in again.text

    resumed = await classroom.run(classroom.instructor, "session resume")
    assert "later" in resumed.text
    extended = await classroom.run(classroom.instructor, "session extend", minutes=0.1)
    assert "Everything after moves 6 s later" in extended.text
    notices = [t for t in titles(classroom.posts()) if t.startswith(("Paused", "Resumed", "Extended"))]
    assert notices == ["Paused: the clock is stopped", "Resumed: the clock runs again", "Extended by 6 s"]

    stopped = await classroom.run(classroom.instructor, "session stop")
    assert "Stopped" in stopped.text
    await classroom.sandbox.wait_for(
        lambda: any("session was stopped" in (m.content or "") for m in classroom.posts()), timeout=5
    )


async def test_bad_input_is_refused_clearly_and_changes_nothing(classroom: Classroom) -> None:
    run, teacher = classroom.run, classroom.instructor
    assert "No session is running" in (await run(teacher, "session resume")).text
    assert "could not read `soonish`" in (await run(teacher, "session start", plan="fast", at="soonish")).text
    assert "in the past" in (await run(teacher, "session start", plan="fast", at="2020-01-01 10:00")).text
    assert "no plan called `nope`" in (await run(teacher, "session start", plan="nope")).text
    assert classroom.posts() == []  # nothing was started by any of that

    future = await run(teacher, "session start", plan="fast", at="23:59")
    if "in the past" not in future.text:  # 23:59 is "today" unless the test runs in the last minute
        assert "Started" in future.text
        assert "already running" in (await run(teacher, "session start", plan="fast")).text
        assert "not started yet" in (await run(teacher, "session pause")).text
        assert "Starts <t:" in (await run(teacher, "session status")).text
        await run(teacher, "session stop")

    await run(teacher, "session start", plan="fast")
    before = ends(await run(teacher, "session status"))
    assert "not paused" in (await run(teacher, "session resume")).text
    assert "at most a day" in (await run(teacher, "session extend", minutes=2000)).text
    assert "instructors only" in (await run(classroom.students[0], "session pause")).text
    assert ends(await run(teacher, "session status")) == before  # the clock was not touched


@BOTH_DATABASES
async def test_a_restart_across_two_whole_phases_announces_once_and_summarises(
    sandbox: Sandbox, tmp_path: Path, db_url: str
) -> None:
    """The bot is killed (SIGKILL) in the first phase and comes back during the third.

    The third phase is long, so the restarted process is back inside it however slowly it starts on a
    busy machine; the instructor then moves on.
    """
    config = write_config(tmp_path, FAST_PHASES + RESTART_PLAN, warning_seconds="warning_seconds = [1]\n# ")
    _guild, channel, teacher, _ = populate(sandbox, students=3)
    settings = settings_for(sandbox, tmp_path, config, db_url)
    proc = BotProcess(sandbox, settings)
    await proc.start()
    await sandbox.wait_for(lambda: any(c["name"] == "session" for c in sandbox.commands()), timeout=30)
    await sandbox.wait_ready(timeout=30)
    await sandbox.run_command(teacher, "session start", channel=channel, options={"plan": "restart"})
    began = datetime.now(UTC)
    bot_id = sandbox.bot_user.id

    def posts() -> list[Message]:
        return [m for m in channel.messages if m.author_id == bot_id]

    await sandbox.wait_for(lambda: any("Introduce" in t for t in titles(posts())), timeout=10)
    await proc.kill()
    # Down while "Do the role!" (2-5 s) comes and goes; back during the long partner phase (from 5 s).
    await asyncio.sleep(max(0.0, 5.3 - (datetime.now(UTC) - began).total_seconds()))
    proc2 = BotProcess(sandbox, settings)
    await proc2.start()
    try:
        await sandbox.wait_for(lambda: any("role-partner" in t for t in titles(posts())), timeout=30)
        await sandbox.run_command(teacher, "session next", channel=channel)
        await sandbox.wait_for(
            lambda: any("end of the session" in (m.content or "") for m in posts()), timeout=30
        )
    finally:
        await proc2.terminate()
    seen = titles(posts())
    partner_posts = [m for m in posts() if m.embeds and "role-partner" in m.embeds[0]["title"]]
    assert len(partner_posts) == 1
    first_version = partner_posts[0].edits[0] if partner_posts[0].edits else partner_posts[0].embeds[0]
    text = str(first_version)
    assert "Already over" in text and "Do the role!" in text  # the phase missed while down, named once
    assert not any("Do the role" in t for t in seen)  # the missed phase is summarised, not replayed
    assert seen.count("Run-of-show: restart") == 1
    assert len([m for m in posts() if "end of the session" in (m.content or "")]) == 1


RESTART_PLAN = """
[[phases]]
key = "long-partners"
name = "Discuss with your role-partner"
seconds = 60
audience = "partners"
text = "Discuss with your role-partner."

[plans.restart]
phases = ["fast-intro", "fast-role", "long-partners"]
"""

PRESENTING = """
[[phases]]
key = "fast-present"
name = "Present slides"
kind = "presentation"
seconds = 960
slot_seconds = 60
text = "Each paper's roles present in turn."

[plans.talks]
phases = ["fast-present"]
"""


@pytest.fixture
def talks_config(tmp_path: Path) -> Path:
    return write_config(tmp_path, FAST_PHASES + PRESENTING)


async def test_the_presentation_conductor_announces_each_talk_and_moves_on(
    sandbox: Sandbox, tmp_path: Path, talks_config: Path
) -> None:
    from bot.config import load_config

    from .conftest import Classroom as Room

    guild, channel, teacher, people = populate(sandbox, students=2)
    room = Room(
        sandbox,
        guild,
        channel,
        teacher,
        people,
        load_config(talks_config),
        settings_for(sandbox, tmp_path, talks_config),
    )
    await room.start_bot()
    try:
        await room.run(teacher, "session start", plan="talks")
        await sandbox.wait_for(
            lambda: any("Now: Diffusion Transformers - Spotlight" in t for t in titles(room.posts()))
        )
        first = next(m for m in room.posts() if m.embeds and "Spotlight" in m.embeds[0]["title"])
        assert (
            "**Now: Diffusion Transformers - Spotlight Presenter** (nobody assigned), slides: no slides submitted"
            in first.content
        )
        assert "next: Diffusion Transformers - Scientific Peer Reviewer" in first.content
        moved = await room.run(teacher, "session next")
        assert "Diffusion Transformers - Scientific Peer Reviewer" in moved.text
        await sandbox.wait_for(
            lambda: any("Reviewer" in t and t.startswith("Now:") for t in titles(room.posts()))
        )
        status = await room.run(teacher, "session status")
        assert "step 2 of 16" in status.text  # 4 papers x 4 presenting roles fill the phase exactly
    finally:
        await room.stop_bot()


async def test_a_reconnect_during_transitions_neither_loses_nor_repeats_a_post(classroom: Classroom) -> None:
    sb = classroom.sandbox
    await classroom.run(classroom.instructor, "session start", plan="fast")
    await sb.wait_for(lambda: any("Do the role" in t for t in titles(classroom.posts())), timeout=10)
    await sb.send_reconnect()
    await sb.wait_for(lambda: any("role-partner" in t for t in titles(classroom.posts())), timeout=10)
    await sb.drop_connection()
    await sb.wait_for(lambda: finished(classroom), timeout=20, what="the session to end")
    seen = titles(classroom.posts())
    assert [t for t in seen if t.startswith("Over:")] == [
        "Over: Introduce and assign roles",
        "Over: Do the role!",
        "Over: Discuss with your role-partner",
    ]
    assert sum("end of the session" in (m.content or "") for m in classroom.posts()) == 1


async def test_a_missing_permission_is_reported_once_and_the_session_keeps_running(
    classroom: Classroom,
) -> None:
    sb = classroom.sandbox
    await classroom.run(classroom.instructor, "session start", plan="fast")
    await sb.wait_for(lambda: any("Introduce" in t for t in titles(classroom.posts())), timeout=10)
    classroom.channel.deny_bot(Perm.SEND_MESSAGES)
    await sb.wait_for(
        lambda: any("grant me **Send Messages**" in m.text for m in sb.dms(classroom.instructor)),
        timeout=15,
        what="the instructor to be told which permission is missing",
    )
    status = await classroom.run(classroom.instructor, "session status")
    assert "Now: **" in status.text or "over" in status.text
    classroom.channel.deny_bot(0)
    await sb.wait_for(
        lambda: any("end of the session" in (m.content or "") for m in classroom.posts()), timeout=15
    )
    assert len([m for m in sb.dms(classroom.instructor) if "grant me" in m.text]) == 1


async def test_sessions_in_two_channels_do_not_interfere(sandbox: Sandbox, tmp_path: Path) -> None:
    # With a class channel every session lives there; without one, each lives where it was started.
    config = write_config(
        tmp_path,
        warning_seconds="warning_seconds = [1]\n# ",
        **{'class_channel = "reading-group"': 'class_channel = "lecture-hall"'},
    )
    classroom = await open_class(sandbox, tmp_path, config)
    try:
        other = classroom.guild.add_text_channel("reading-group-b")
        teacher = classroom.instructor
        await classroom.run(teacher, "session start", plan="fast")
        await classroom.run(teacher, "session start", channel=other, plan="afternoon")
        await classroom.run(teacher, "session pause")
        here = await classroom.run(teacher, "session status")
        there = await classroom.run(teacher, "session status", channel=other)
        assert "**Paused** during **Introduce and assign roles**" in here.text
        assert "Now: **Project proposals**" in there.text
        await classroom.run(teacher, "session stop", channel=other)
        assert "**Paused**" in (await classroom.run(teacher, "session status")).text
    finally:
        await classroom.stop_bot()


async def test_an_unexpected_error_gets_an_apology_with_a_reference_not_silence(
    classroom: Classroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    assert classroom.bot is not None
    monkeypatch.setattr(classroom.bot.sessions, "status", broken)
    answer = await classroom.run(classroom.instructor, "session status")
    assert answer.ephemeral
    assert "Sorry, something went wrong on my side" in answer.text
    assert str(answer.id) in answer.text
    assert "database on fire" not in answer.text and "Traceback" not in answer.text
