"""The course calendar as pure logic: entries, what comes next, and which reminders are due at `now`.

A reminder has a stable key (entry and lead time). After downtime only the most recent reminder of an
entry that has not started yet is due (the older ones are folded into it), and nothing is due for an
entry already under way, so a restart neither misses nor doubles a reminder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a calendar entry is."""

    LECTURE = "lecture"
    DEADLINE = "deadline"
    SESSION = "session"
    EXAM = "exam"
    HOLIDAY = "holiday"


@dataclass(frozen=True)
class Entry:
    """One dated item of the course: `at` is aware UTC; `all_day` entries have no clock time."""

    at: dt.datetime
    title: str
    kind: Kind
    who: str = ""
    all_day: bool = False
    minutes: int = 0  # how long it lasts (0: a moment, e.g. a deadline)

    @property
    def key(self) -> str:
        """A stable short key: the same entry keeps it across restarts and config reloads."""
        digest = hashlib.sha256(f"{self.at.isoformat()}|{self.title}".encode()).hexdigest()
        return digest[:12]


@dataclass(frozen=True)
class Reminder:
    """A reminder that is due: the entry, the lead time it honours, and its stable key."""

    entry: Entry
    lead: dt.timedelta
    key: str


def reminder_key(entry: Entry, lead: dt.timedelta) -> str:
    """The outbox key of an entry's reminder at one lead time."""
    return f"remind:{entry.key}:{int(lead.total_seconds())}"


def upcoming(entries: Iterable[Entry], now: dt.datetime, limit: int = 5) -> list[Entry]:
    """The next entries that have not started yet (an all-day entry counts for its whole day)."""

    def still_on(e: Entry) -> bool:
        return e.at + (dt.timedelta(days=1) if e.all_day else dt.timedelta()) > now

    return sorted((e for e in entries if still_on(e)), key=lambda e: e.at)[:limit]


def due(
    entries: Iterable[Entry],
    leads: Mapping[Kind, Sequence[dt.timedelta]],
    now: dt.datetime,
    done: frozenset[str],
) -> list[Reminder]:
    """The reminders to post at `now`: per entry, the most recent lead already reached, if not done."""
    out = []
    for entry in entries:
        if entry.at <= now:
            continue  # under way or over: a reminder now would be news from the past
        reached = [lead for lead in leads.get(entry.kind, ()) if entry.at - lead <= now]
        if not reached:
            continue
        lead = min(reached)  # the latest moment passed; older leads fold into it
        key = reminder_key(entry, lead)
        if key not in done:
            out.append(Reminder(entry, lead, key))
    return out


def next_wake(
    entries: Iterable[Entry], leads: Mapping[Kind, Sequence[dt.timedelta]], now: dt.datetime
) -> dt.datetime | None:
    """When the next reminder falls due after `now`, or None when none is left."""
    times = [
        entry.at - lead for entry in entries for lead in leads.get(entry.kind, ()) if entry.at - lead > now
    ]
    return min(times, default=None)
