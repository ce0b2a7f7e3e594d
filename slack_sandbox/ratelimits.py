"""Slack's rate limits: per method and workspace by tier, and chat.postMessage per channel.

Each limit is a token bucket: it holds `burst` calls and refills at `per_minute / 60` a second, so a
method may be called in a short burst and then at its tier's rate. A call over the limit is answered
HTTP 429 with `Retry-After` (whole seconds) and `{"ok": false, "error": "ratelimited"}`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum


class Tier(IntEnum):
    """Slack's rate-limit tiers (calls per minute: 1+, 20+, 50+, 100+), and chat.postMessage's own."""

    TIER_1 = 1
    TIER_2 = 2
    TIER_3 = 3
    TIER_4 = 4
    POST = 9  # about one message a second per channel, with short bursts


@dataclass(frozen=True)
class Rate:
    """A bucket's size and refill: `burst` calls at once, then `per_minute`."""

    burst: float
    per_minute: float


SLACK_TIERS = {
    Tier.TIER_1: Rate(1, 1),
    Tier.TIER_2: Rate(20, 20),
    Tier.TIER_3: Rate(50, 50),
    Tier.TIER_4: Rate(100, 100),
    Tier.POST: Rate(4, 60),
}


@dataclass
class RateLimits:
    """Which limits the sandbox enforces; `RateLimits.off()` and `RateLimits.strict()` for tests.

    `methods` overrides one method's rate (e.g. `{"chat.update": Rate(2, 60)}`); `workspace_posts`
    adds a workspace-wide limit on chat.postMessage (Slack has one; it does not publish the number).
    """

    enabled: bool = True
    tiers: dict[Tier, Rate] = field(default_factory=lambda: dict(SLACK_TIERS))
    methods: dict[str, Rate] = field(default_factory=dict)
    workspace_posts: Rate | None = None

    @classmethod
    def off(cls) -> RateLimits:
        """No limits at all."""
        return cls(enabled=False)

    @classmethod
    def strict(cls) -> RateLimits:
        """Slack's rates with no bursts: the second call in a row to a method is already too many."""
        return cls(tiers={tier: Rate(1, rate.per_minute) for tier, rate in SLACK_TIERS.items()})


@dataclass
class _Bucket:
    rate: Rate
    tokens: float
    at: float

    def take(self, now: float) -> float | None:
        """Take one call; None when allowed, else the seconds until one is free."""
        per_second = self.rate.per_minute / 60
        self.tokens = min(self.rate.burst, self.tokens + (now - self.at) * per_second)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / per_second if per_second > 0 else math.inf


class RateLimiter:
    """The sandbox's buckets, keyed by method (and channel for chat.postMessage)."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def _take(self, key: tuple[str, str], rate: Rate, now: float) -> float | None:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate:
            bucket = self._buckets[key] = _Bucket(rate, rate.burst, now)
        return bucket.take(now)

    def check(self, method: str, tier: Tier, channel: str | None, now: float) -> int | None:
        """Account one call; None when allowed, else the `Retry-After` seconds to answer."""
        if not self.limits.enabled:
            return None
        rate = self.limits.methods.get(method) or self.limits.tiers[tier]
        waits: list[float] = []
        if tier is Tier.POST:
            if self.limits.workspace_posts is not None:
                wait = self._take((method, "*"), self.limits.workspace_posts, now)
                if wait is not None:
                    waits.append(wait)
            wait = self._take((method, channel or ""), rate, now)
        else:
            wait = self._take((method, ""), rate, now)
        if wait is not None:
            waits.append(wait)
        return max(1, math.ceil(max(waits))) if waits else None
