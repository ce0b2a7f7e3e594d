"""The clock the core is given: aware UTC datetimes, injectable in tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told, for tests of the core."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The current (fake) time."""
        return self._now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by a timedelta given as keywords (seconds=..., minutes=...)."""
        from datetime import timedelta

        self._now += timedelta(**delta)
        return self._now
