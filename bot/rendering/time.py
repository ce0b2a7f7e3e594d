"""Discord timestamps: each reader sees times in their own zone, and `R` counts down live."""

from __future__ import annotations

from datetime import datetime, timedelta


def stamp(when: datetime, style: str = "t") -> str:
    """A Discord timestamp tag (`<t:UNIX:STYLE>`) for an aware datetime."""
    if when.tzinfo is None:
        raise ValueError("timestamps need aware datetimes")
    return f"<t:{int(when.timestamp())}:{style}>"


def duration(delta: timedelta) -> str:
    """A short human length: "45 s", "12 min", "1 h 5 min"."""
    if 0 < delta.total_seconds() < 1:
        return "under a second"  # compressed rehearsals
    seconds = max(0, round(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min" if sec == 0 or minutes >= 10 else f"{minutes} min {sec} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
