"""The course calendar on the sandbox: reminders once across a restart (folded after downtime), the weekly
supervisor-chat reminder in a group's room, `/calendar`, the .ics file and the subscribable feed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import icalendar
import pytest

from discord_sandbox import Sandbox

from .conftest import Classroom, open_class, write_config

pytestmark = pytest.mark.e2e
TZ = ZoneInfo("Europe/Copenhagen")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def entry(at: dt.datetime, title: str, kind: str) -> str:
    return f'\n[[calendar]]\ndate = "{at:%Y-%m-%d}"\ntime = "{at:%H:%M:%S}"\ntitle = "{title}"\nkind = "{kind}"\n'


def calendar_config(tmp_path: Path, t0: dt.datetime, lock: str = "2099-01-01 00:00") -> Path:
    """The shipped course plus a deadline and a session seconds away, and a supervisor chat today."""
    chat = t0 + dt.timedelta(seconds=14)
    extra = (
        "\n[web]\nport = 0\n"
        + entry(t0 + dt.timedelta(seconds=5), "Plan due", "deadline")
        + entry(t0 + dt.timedelta(seconds=16), "Poster session", "session")
    )
    return write_config(
        tmp_path,
        extra,
        **{
            'deadline = ["2d", "2h"]': 'deadline = ["2s"]',
            'session = ["1d"]': 'session = ["10s", "7s"]',
            'lock = "2024-03-19 13:00"': f'lock = "{lock}"',
            'chat_day = "tuesday"': f'chat_day = "{WEEKDAYS[chat.weekday()]}"',
            'chat_time = "15:00"': f'chat_time = "{chat:%H:%M:%S}"',
            'chat_lead = "1h"': 'chat_lead = "8s"',
            'chat_until = "2024-04-30"': 'chat_until = "2099-01-01"',
        },
    )


def reminders(room: Classroom, title: str) -> int:
    return sum(1 for m in room.posts() if m.content.startswith("Reminder") and title in m.content)


async def settle(room: Classroom) -> None:
    """Let the bot work out and deliver everything due now (what a timer would do)."""
    assert room.bot is not None
    await room.bot.calendar.tick()
    await room.bot.deliverer.settle()


async def until(sandbox: Sandbox, when: dt.datetime) -> None:
    await sandbox.wait_for(lambda: dt.datetime.now(dt.UTC) >= when, timeout=30, what=f"the clock at {when}")


async def test_reminders_are_posted_once_across_a_restart(sandbox: Sandbox, tmp_path: Path) -> None:
    t0 = dt.datetime.now(TZ).replace(microsecond=0)
    room = await open_class(sandbox, tmp_path, calendar_config(tmp_path, t0), students=3)
    try:
        a = room.students[0]
        code = await room.run(a, "project create", name="Chatters")
        assert "Created" in code.text
        assert "has chosen" in (await room.run(a, "project choose", proposal="diffsam")).text
        chat_room = next(t for t in room.guild.threads if t.name == "Project - Chatters")

        await sandbox.wait_for(lambda: reminders(room, "Plan due") == 1, what="the deadline's reminder")
        post = next(m for m in room.posts() if "Plan due" in m.content)
        assert "Reminder - deadline: **Plan due**" in post.content and "<t:" in post.content
        await room.stop_bot()

        # Down while both of the session's reminders and the chat's fall due: one of each afterwards.
        await until(sandbox, t0 + dt.timedelta(seconds=9.2))
        await room.start_bot()
        await sandbox.wait_for(lambda: reminders(room, "Poster session") == 1, what="the folded reminder")
        await sandbox.wait_for(lambda: len(room.posts(chat_room)) == 2, what="the chat reminder")
        assert "Weekly chat with your supervisor" in room.posts(chat_room)[1].text
        await settle(room)
        await room.stop_bot()
        await room.start_bot()
        await settle(room)
        assert reminders(room, "Plan due") == 1 and reminders(room, "Poster session") == 1
        assert len(room.posts(chat_room)) == 2
    finally:
        await room.stop_bot()


async def test_calendar_command_file_feed_and_nudges(sandbox: Sandbox, tmp_path: Path) -> None:
    t0 = dt.datetime.now(TZ).replace(microsecond=0) + dt.timedelta(hours=1)
    lock = dt.datetime.now(TZ) + dt.timedelta(hours=23, minutes=59)  # the 1-day nudge is due now
    config = calendar_config(tmp_path, t0, lock=f"{lock:%Y-%m-%d %H:%M:%S}")
    room = await open_class(sandbox, tmp_path, config, students=2)
    try:

        def nudges() -> list[int]:
            return [
                sum("not in a project group yet" in m.text for m in sandbox.dms(s)) for s in room.students
            ]

        await sandbox.wait_for(lambda: nudges() == [1, 1], what="one nudge to each student without a group")
        await room.stop_bot()
        await room.start_bot()
        await settle(room)
        assert nudges() == [1, 1]

        shown = await room.run(room.students[0], "calendar")
        assert shown.ephemeral
        text = shown.text
        assert text.index("Plan due") < text.index("Poster session") and "<t:" in text
        assert "Intro to Course" not in text  # the past is not "what comes next"
        feed = text.split("Subscribe in your calendar app: ")[1].split()[0]
        assert feed.startswith("http://127.0.0.1:") and feed.endswith(".ics")

        attached = await room.run(room.students[0], "calendar", ics=True)
        data = attached.messages[0].attachments[0]
        assert data.filename == "course-calendar.ics"
        events = icalendar.Calendar.from_ical(data.data).walk("VEVENT")
        assert len(events) == 18 and any(
            str(e["summary"]) == "Oral exam (individual: project work, lectures and exercises)"
            for e in events
        )
        exam = next(e for e in events if str(e["summary"]).startswith("Oral exam"))
        assert exam.decoded("dtstart") == dt.date(2024, 5, 22)  # all day

        async with aiohttp.ClientSession() as http:
            async with http.get(feed) as response:
                assert response.status == 200 and response.content_type == "text/calendar"
                served = icalendar.Calendar.from_ical(await response.read())
                uids = {str(e["uid"]) for e in served.walk("VEVENT")}
                assert uids == {str(e["uid"]) for e in events}
            async with http.get(feed.rsplit("/", 1)[0] + "/wrong-token-guess.ics") as response:
                assert response.status == 404
    finally:
        await room.stop_bot()
