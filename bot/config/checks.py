"""Checks of single values: URLs, clock times, time zones, durations, duplicates."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from bot.config.messages import describe, suggest
from bot.config.schema import CLOCK_RE
from bot.core.durations import duration as format_duration


def check_http_url(value: str) -> str | None:
    """Return a problem with an http(s) URL, or None if it is fine."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return f"must be an http:// or https:// URL (got {value!r})"
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in value):
        return f"must be an http:// or https:// URL with a host (got {value!r})"
    return None


def check_ws_url(value: str) -> str | None:
    """Return a problem with a ws(s) URL, or None if it is fine."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("ws", "wss") or not host:
        return f"must be a ws:// or wss:// URL with a host (got {value!r})"
    return None


def parse_clock(value: Any) -> dt.time | str:
    """Parse a plan start/end: "HH:MM" or a TOML local time; return the time or a problem message."""
    if isinstance(value, dt.time):
        return value.replace(microsecond=0)
    if isinstance(value, str):
        m = CLOCK_RE.match(value.strip())
        if m:
            return dt.time(int(m.group(1)), int(m.group(2)))
    return f'must be a clock time "HH:MM" such as "13:00" (got {describe(value)})'


def tz_problem(name: str) -> str | None:
    """Return a problem with an IANA time zone key, or None if zoneinfo knows it."""
    try:
        zoneinfo.ZoneInfo(name)
        return None
    except Exception:
        try:
            known = zoneinfo.available_timezones()
        except Exception:
            known = set()
        return f"unknown time zone {name!r}{suggest(name, known)}; use an IANA name like 'Europe/Copenhagen'"


def duration(minutes: int | None, seconds: int | None) -> dt.timedelta:
    """A phase length from its minutes or seconds key."""
    return dt.timedelta(minutes=minutes) if minutes is not None else dt.timedelta(seconds=seconds or 0)


def fmt_td(td: dt.timedelta) -> str:
    """Format a duration as "50 min", "1 min 30 s" or "45 s" (minutes, as plans are written)."""
    return format_duration(td, exact=True, hours=False)


def fmt_clock(t: dt.time) -> str:
    """A clock time as `13:50` (seconds only when set)."""
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")


def duplicates(items: Sequence[Any], attr: str) -> dict[int, int]:
    """Map the index of each repeated `attr` value to the index of its first occurrence."""
    first: dict[Any, int] = {}
    dups: dict[int, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value in first:
            dups[i] = first[value]
        else:
            first[value] = i
    return dups
