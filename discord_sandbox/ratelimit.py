"""Fixed-window rate-limit buckets that answer like Discord (429 + X-RateLimit-* headers)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import SandboxLimits


# Interaction callbacks and the interaction webhooks (follow-ups, the original answer's edits: sent with
# the interaction's token, not the bot's) are not bound by the bot token's global limit.
INTERACTION_ROUTES = ("/interactions/", "/webhooks/")


@dataclass
class Bucket:
    """One fixed-window bucket: `limit` requests per `window` seconds."""

    name: str
    limit: int
    window: float
    count: int = 0
    reset_at: float = 0.0

    def take(self, now: float) -> float | None:
        """Take a slot; return None on success or the seconds to wait (retry_after)."""
        if now >= self.reset_at:
            self.count = 0
            self.reset_at = now + self.window
        if self.count >= self.limit:
            return max(self.reset_at - now, 0.001)
        self.count += 1
        return None

    def headers(self, now: float) -> dict[str, str]:
        """The X-RateLimit-* headers describing this bucket."""
        reset_after = max(self.reset_at - now, 0.0)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.limit - self.count, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": hashlib.sha1(self.name.encode()).hexdigest()[:16],
        }


@dataclass
class RateLimited:
    """A decision to answer 429."""

    retry_after: float
    is_global: bool
    scope: str
    headers: dict[str, str] = field(default_factory=dict)


class RateLimiter:
    """The global bucket plus per-route and per-channel-message buckets."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        self.global_bucket = Bucket("global", limits.global_per_second, 1.0)
        self.buckets: dict[tuple[str, str], Bucket] = {}

    def _bucket(self, key: str, major: str, limit: int, window: float) -> Bucket:
        b = self.buckets.get((key, major))
        if b is None:
            b = self.buckets[(key, major)] = Bucket(key, limit, window)
        return b

    def check(self, method: str, route: str, major: str) -> tuple[RateLimited | None, dict[str, str]]:
        """Account one request; return (429 decision or None, headers to send)."""
        lim = self.limits
        now = time.monotonic()
        if not route.startswith(INTERACTION_ROUTES):
            wait = self.global_bucket.take(now)
            if wait is not None:
                return RateLimited(wait, True, "global"), {}
        hidden: Bucket | None = None
        if method == "POST" and route == "/channels/{channel_id}/messages":
            # Discord's per-channel message limit is not announced in the headers (a "shared" sub-limit).
            hidden = self._bucket("channel-messages", major, lim.channel_messages, lim.channel_window)
        if method == "POST" and route == "/users/@me/channels":
            bucket = self._bucket("dm-open", "", lim.dm_open_limit, lim.dm_open_window)
        elif route.startswith("/interactions/"):
            return None, {}
        else:
            bucket = self._bucket(f"{method} {route}", major, lim.route_limit, lim.route_window)
        if hidden is not None:
            wait = hidden.take(now)
            if wait is not None:
                headers = bucket.headers(now)
                return RateLimited(wait, False, "shared", headers), headers
        wait = bucket.take(now)
        headers = bucket.headers(now)
        if wait is not None:
            return RateLimited(wait, False, "user", headers), headers
        return None, headers
