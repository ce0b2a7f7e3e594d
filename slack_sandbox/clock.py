"""The sandbox's clock and its identifiers: Slack-shaped ids, message timestamps, trigger ids."""

from __future__ import annotations

import itertools
import secrets
import time
import uuid


class SandboxClock:
    """The machine's clock plus an offset a test can move forward (to expire triggers and response URLs)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        """Seconds on a monotonic clock (deadlines, rate limits)."""
        return time.monotonic() + self.offset

    def wall(self) -> float:
        """Unix seconds (message timestamps, `created` fields)."""
        return time.time() + self.offset

    def skip(self, seconds: float) -> None:
        """Move the sandbox's time forward without waiting."""
        self.offset += seconds


_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _base36(n: int, width: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = _ALPHABET[r] + out
    return out.rjust(width, "0")


class Ids:
    """Issues Slack-shaped identifiers: `U0SB00001`, `C0SB00002`, `D...`, `V...`, message `ts` values."""

    def __init__(self, clock: SandboxClock) -> None:
        self.clock = clock
        self._counter = itertools.count(1)
        self._last_us = 0

    def next(self, prefix: str) -> str:
        """A new id with Slack's one-letter kind prefix (U user, C channel, D DM, G group DM, V view...)."""
        return f"{prefix}0SB{_base36(next(self._counter), 6)}"

    def ts(self) -> str:
        """A message timestamp, `"1710249000.000100"`: unique and increasing across the workspace."""
        us = max(int(self.clock.wall() * 1_000_000), self._last_us + 1)
        self._last_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def trigger_id(self) -> str:
        """A trigger id as Slack writes them: `"<digits>.<digits>.<hex>"`."""
        return f"{int(self.clock.wall() * 1000)}.{secrets.randbelow(10**10):010d}.{secrets.token_hex(16)}"

    @staticmethod
    def envelope_id() -> str:
        """A Socket Mode envelope id (a UUID, as Slack sends)."""
        return str(uuid.uuid4())

    @staticmethod
    def secret(n: int = 24) -> str:
        """Random letters and digits for tokens and URL secrets."""
        return "".join(secrets.choice(_ALPHABET.lower() + _ALPHABET) for _ in range(n))
