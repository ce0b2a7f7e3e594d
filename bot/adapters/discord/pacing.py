"""The bot token's global rate limit, kept on our side: REST requests wait their turn instead of colliding.

discord.py learns of Discord's global limit (50 requests a second per bot token) only from the 429s it
gets back, and every request already under way retries on its own after the wait: when 500 sessions
change phase at once, 450 requests are refused, retry together a second later, 400 are refused... and
each gives up after five tries. That spreads the posts over three times the time the limit needs,
in no fair order, and the thousands of 429s risk Discord's ban for invalid requests (10,000 in 10
minutes). `GlobalPacer` lets at most `limit` requests start in any `window` (plus a margin for the
network), first come first served, so the 50 requests of each second go out at once and the rest wait
in the order they came, without a 429.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from enum import IntEnum
from typing import Any

import discord

from bot.delivery import waiting_turn

# Discord's global limit per bot token; the interaction callbacks (answers to commands and buttons) do
# not count, and neither do interaction webhooks (follow-ups), which discord.py sends on another path.
GLOBAL_PER_SECOND = 50
# The window is counted from when Discord receives a request: the margin keeps a request sent just after
# our window ends from landing in Discord's window when the first request of that window travelled slowly.
MARGIN = 0.05


class Lane(IntEnum):
    """Which requests go first when several wait: new messages before touch-ups of old ones."""

    FIRST = 0
    LATER = 1  # message edits (a phase marked over, a card updated): cosmetic, they wait for new posts


class GlobalPacer:
    """At most `limit` starts in any `window + margin` seconds, granted in the order they were asked for.

    Requests in `Lane.LATER` go only when no `Lane.FIRST` request waits and new posts are not streaming
    (fewer than half the limit of them started in the last window): while many sessions change phase,
    new posts keep coming a little behind one another as they are decided, and an edit slipped into each
    gap would push the last new post past the floor the limit sets. The edits go once the burst is over.
    """

    def __init__(
        self,
        limit: int = GLOBAL_PER_SECOND,
        window: float = 1.0,
        margin: float = MARGIN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError("the limit must allow at least one request")
        self.limit = limit
        self.span = window + margin
        self.clock = clock
        self._granted: deque[float] = deque()  # start times of the last `limit` requests
        self._firsts: deque[float] = deque()  # start times of the `Lane.FIRST` requests in the last window
        self._stream = (max(limit, 2) + 1) // 2  # this many new posts in a window: edits wait
        self._waiting: tuple[deque[asyncio.Future[None]], ...] = tuple(deque() for _ in Lane)
        self._wakeup: asyncio.TimerHandle | None = None
        self.waited = 0  # requests that had to wait for their turn (for logs and benchmarks)

    async def turn(self, lane: Lane = Lane.FIRST) -> None:
        """Wait until one more request may start now without passing the limit."""
        if (
            not any(self._waiting[: lane + 1])
            and self._free()
            and (lane == Lane.FIRST or not self._streaming())
        ):
            self._grant(lane)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[lane].append(future)
        self.waited += 1
        self._pump()
        await future  # cancelled while waiting: the future is skipped when its turn comes

    def _free(self) -> bool:
        now = self.clock()
        while self._granted and now - self._granted[0] >= self.span:
            self._granted.popleft()
        return len(self._granted) < self.limit

    def _streaming(self) -> bool:
        """Whether new posts are going out at more than half the limit (edits then wait)."""
        now = self.clock()
        while self._firsts and now - self._firsts[0] >= self.span:
            self._firsts.popleft()
        return len(self._firsts) >= self._stream

    def _grant(self, lane: Lane) -> None:
        now = self.clock()
        self._granted.append(now)
        if lane == Lane.FIRST:
            self._firsts.append(now)

    def _next(self) -> tuple[Lane, asyncio.Future[None]] | None:
        """The first waiter still waiting, from the first lane that has one and may go."""
        for which, queue in zip(Lane, self._waiting, strict=True):
            if which == Lane.LATER and self._streaming():
                return None
            while queue:
                future = queue.popleft()
                if not future.done():
                    return which, future
        return None

    def _pump(self) -> None:
        """Let the waiters go that fit now; come back when a start leaves the window and someone waits."""
        while self._free():
            found = self._next()
            if found is None:
                break
            which, future = found
            self._grant(which)
            future.set_result(None)
        if self._wakeup is None and any(self._waiting):
            # Wake when a turn frees up, or (edits waiting on a stream of posts) when the stream thins.
            if not self._free():
                since = self._granted[0]
            elif self._streaming():
                since = self._firsts[len(self._firsts) - self._stream]
            else:
                since = self.clock() - self.span
            delay = since + self.span - self.clock()
            self._wakeup = asyncio.get_running_loop().call_later(max(delay, 0.0), self._woken)

    def _woken(self) -> None:
        self._wakeup = None
        self._pump()


def counts(route: discord.http.Route) -> bool:
    """Whether a request counts against the bot token's global limit (interaction callbacks do not)."""
    return not route.path.startswith("/interactions/")


def lane(route: discord.http.Route) -> Lane:
    """Message edits wait for new messages; everything else in the order it came."""
    edit = route.method == "PATCH" and route.path == "/channels/{channel_id}/messages/{message_id}"
    return Lane.LATER if edit else Lane.FIRST


def install(http: discord.http.HTTPClient, pacer: GlobalPacer) -> None:
    """Make every REST request of this client wait for its turn in `pacer` before discord.py sends it."""
    send: Callable[..., Awaitable[Any]] = http.request

    async def paced(route: discord.http.Route, **kwargs: Any) -> Any:
        if counts(route):
            with waiting_turn():  # an outbox post waiting here is not slow: its patience starts after
                await pacer.turn(lane(route))
        return await send(route, **kwargs)

    http.request = paced  # type: ignore[method-assign]
