"""The one way a length of time is written for people: "45 s", "3 min 20 s", "12 min", "2 h 5 min".

Every duration a person reads (posts, answers, the check-config report, the export) goes through
`duration`, so nothing ever shows "3.33333 min" or a `timedelta`'s "3:10:00".
"""

from __future__ import annotations

from datetime import timedelta

# Below this, seconds still matter to a reader ("3 min 20 s"); above it they are noise ("12 min").
SECONDS_MATTER_BELOW = timedelta(minutes=10)


def _units(seconds: int, hours: bool) -> list[str]:
    """Whole seconds as "2 h", "5 min", "30 s" parts, zero parts left out."""
    minutes, sec = divmod(seconds, 60)
    hrs, minutes = divmod(minutes, 60) if hours else (0, minutes)
    parts = [f"{hrs} h"] if hrs else []
    if minutes:
        parts.append(f"{minutes} min")
    if sec or not parts:
        parts.append(f"{sec} s")
    return parts


def duration(delta: timedelta, *, exact: bool = False, hours: bool = True) -> str:
    """A length as people say it: "45 s", "3 min 20 s", "12 min", "2 h 5 min" (never a float).

    By default seconds are shown only under ten minutes and longer lengths are rounded to the
    minute; `exact` keeps every second ("12 min 30 s", for lengths someone typed, such as a
    configuration or an extension). `hours=False` counts in minutes only ("190 min"), as plans are
    written. A negative length reads "0 s" (callers say "earlier" or "later" in words).
    """
    total = delta.total_seconds()
    if 0 < total < 1:
        return "under a second"  # compressed rehearsals
    seconds = max(0, round(total))
    if not exact and seconds >= SECONDS_MATTER_BELOW.total_seconds():
        seconds = (seconds + 30) // 60 * 60  # to the nearest minute, halves up
    return " ".join(_units(seconds, hours))
