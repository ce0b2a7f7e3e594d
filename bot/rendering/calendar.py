"""The course calendar as Discord messages and as an iCalendar feed (RFC 5545, the `icalendar` library)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import discord

from bot.core.calendar import Entry, Kind
from bot.rendering.time import stamp

ICON = {
    Kind.LECTURE: "Lecture",
    Kind.DEADLINE: "Deadline",
    Kind.SESSION: "Session",
    Kind.EXAM: "Exam",
    Kind.HOLIDAY: "Holiday",
}


def when(entry: Entry) -> str:
    """An entry's time as Discord stamps (each reader sees their own zone); the date alone if all day."""
    if entry.all_day:
        return f"{stamp(entry.at, 'D')} (all day)"
    return f"{stamp(entry.at, 'F')} ({stamp(entry.at, 'R')})"


def line(entry: Entry) -> str:
    """One entry in a list."""
    who = f" - {entry.who}" if entry.who else ""
    return f"**{ICON[entry.kind]}**: {entry.title}{who}\n{when(entry)}"


def upcoming_embed(course_name: str, entries: Sequence[Entry], feed: str | None) -> discord.Embed:
    """`/calendar`: what comes next, and how to subscribe."""
    body = "\n\n".join(line(e) for e in entries) or "Nothing left on the calendar."
    embed = discord.Embed(
        title=f"What comes next - {course_name}"[:256], description=body[:4000], color=0x2F855A
    )
    how = f"Subscribe in your calendar app: {feed}" if feed else "Get the file with `/calendar ics:True`."
    embed.add_field(name="Your calendar", value=how[:1024], inline=False)
    return embed


def reminder(entry: Entry) -> dict[str, object]:
    """The class-channel reminder before an entry (an outbox payload)."""
    who = f" ({entry.who})" if entry.who else ""
    return {
        "content": f"Reminder - {ICON[entry.kind].lower()}: **{entry.title}**{who}, {when(entry)}.",
        "embeds": [],
        "mentions": [],
        "view": None,
    }


def ics(course_name: str, entries: Sequence[Entry], tz: ZoneInfo, now: dt.datetime) -> bytes:
    """The whole calendar as an .ics file: stable UIDs, so re-importing updates instead of duplicating."""
    from icalendar import Calendar, Event  # only for the feed: not imported at start-up

    cal = Calendar()
    cal.add("prodid", "-//Conductor//course calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", course_name)
    cal.add("x-wr-timezone", tz.key)
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.key}@conductor")
        event.add("dtstamp", now)
        event.add("summary", entry.title)
        if entry.all_day:
            day = entry.at.astimezone(tz).date()
            event.add("dtstart", day)
            event.add("dtend", day + dt.timedelta(days=1))
        else:
            event.add("dtstart", entry.at)
            length = entry.minutes or (0 if entry.kind == Kind.DEADLINE else 60)
            if length:  # a deadline is a moment: no DTEND (RFC 5545: it ends when it starts)
                event.add("dtend", entry.at + dt.timedelta(minutes=length))
        event.add("categories", [entry.kind.value])
        if entry.who:
            event.add("description", f"{ICON[entry.kind]} - {entry.who}")
        cal.add_component(event)
    return bytes(cal.to_ical())
