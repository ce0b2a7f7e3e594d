"""Reading the clock times instructors type (`13:50`, `1:50pm`, `2024-03-12 13:50`) in the course's zone."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.errors import ConductorError, quoted

_CLOCK = re.compile(r"^(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$", re.IGNORECASE)


def _clock(text: str) -> time | None:
    match = _CLOCK.match(text.strip())
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"].lower() == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def local_datetime(day: date, at: time, tz: ZoneInfo) -> datetime:
    """A wall-clock time on a local day as an aware UTC datetime (a time skipped by DST moves forward)."""
    naive = datetime.combine(day, at)
    local = naive.replace(tzinfo=tz)
    # Round-trip through UTC: a wall time that does not exist (spring forward) comes back shifted.
    return local.astimezone(ZoneInfo("UTC"))


def parse_start(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """When to start: a clock time today (`13:50`, `1:50pm`) or a date and time, in the course's zone.

    Raises ConductorError with what to type instead when the text is unreadable or in the past.
    """
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    cleaned = text.strip().lower().removesuffix("today").strip()
    today = now.astimezone(tz).date()
    at = _clock(cleaned)
    when: datetime | None = None
    if at is not None:
        when = local_datetime(today, at, tz)
    else:
        for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"):
            try:
                parsed = datetime.strptime(cleaned, fmt)  # noqa: DTZ007 (made aware just below)
            except ValueError:
                continue
            when = local_datetime(parsed.date(), parsed.time(), tz)
            break
    if when is None:
        raise ConductorError(
            f"I could not read `{quoted(text)}` as a time. Type a clock time like `13:50` or `1:50pm` (today, "
            f"{tz.key} time), or a date and time like `2024-03-12 13:50`."
        )
    if when < now - timedelta(seconds=30):
        local = when.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        raise ConductorError(
            f"{local} ({tz.key}) is in the past. Leave `at` out to start now, or give a later time."
        )
    return max(when, now)
