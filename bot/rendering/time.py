"""Discord timestamps: each reader sees times in their own zone, and `R` counts down live."""

from __future__ import annotations

from datetime import datetime

from bot.core.durations import duration

__all__ = ["duration", "stamp"]


def stamp(when: datetime, style: str = "t") -> str:
    """A Discord timestamp tag (`<t:UNIX:STYLE>`) for an aware datetime."""
    if when.tzinfo is None:
        raise ValueError("timestamps need aware datetimes")
    return f"<t:{int(when.timestamp())}:{style}>"
