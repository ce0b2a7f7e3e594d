"""The course calendar in messages: each entry's time in the reader's own zone, and its reminder."""

from __future__ import annotations

from typing import Any

from bot.core.calendar import Entry, Kind
from bot.core.message import Message, Rich, Time, TimeStyle, bold, rich
from bot.messages.outbox import stored

ICON = {
    Kind.LECTURE: "Lecture",
    Kind.DEADLINE: "Deadline",
    Kind.SESSION: "Session",
    Kind.EXAM: "Exam",
    Kind.HOLIDAY: "Holiday",
}


def when(entry: Entry) -> Rich:
    """An entry's time (each reader sees their own zone); the date alone if all day."""
    if entry.all_day:
        return rich(Time(entry.at, TimeStyle.LONG_DATE), " (all day)")
    return rich(Time(entry.at, TimeStyle.LONG_DATETIME), " (", Time(entry.at, TimeStyle.RELATIVE), ")")


def line(entry: Entry) -> Rich:
    """One entry in a list."""
    who = f" - {entry.who}" if entry.who else ""
    return rich(bold(ICON[entry.kind]), f": {entry.title}{who}\n", when(entry))


def reminder(entry: Entry) -> dict[str, Any]:
    """The class-channel reminder before an entry."""
    who = f" ({entry.who})" if entry.who else ""
    text = rich(f"Reminder - {ICON[entry.kind].lower()}: ", bold(entry.title), f"{who}, ", when(entry), ".")
    return stored(Message(text))
