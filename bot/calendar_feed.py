"""The course calendar as an iCalendar feed (RFC 5545, the `icalendar` library): `/calendar ics` and the feed URL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.core.calendar import Entry, Kind
from bot.messages.calendar import ICON


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
