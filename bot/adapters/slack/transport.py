"""Posting to Slack: the Web API client as the app builds it, message timestamps as stored ids, pacing.

A Slack message is identified by its channel and `ts` ("1700000000.000100"); the outbox stores a message
id as an integer, so `ts` is kept as its digits (`ts_to_int`, `int_to_ts`: always six after the point).
`chat.postMessage` allows about one message per second per channel with short bursts: `ChannelPace`
spaces posts per channel so the outbox does not run into 429s; any 429 that still comes is waited out
by slack_sdk's retry handler (`Retry-After` honoured). A member's DM with the app is known from the
first message posted to them (`DirectMessages`): `conversations.open` is Tier 3 (about 50 a minute), so
it is called only for a DM nothing was posted to yet in this process (an edit after a restart).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.delivery import waiting_turn

SLACK_API = "https://slack.com/api/"


def web_client(token: str, base_url: str | None = None) -> AsyncWebClient:
    """The Web API client: 429s waited out (`Retry-After`), dropped connections retried."""
    return AsyncWebClient(
        token=token,
        base_url=base_url or SLACK_API,
        timeout=30,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def ts_to_int(ts: str) -> int:
    """A message's `ts` as the integer the outbox stores."""
    seconds, _, micros = ts.partition(".")
    return int(seconds) * 1_000_000 + int((micros or "0").ljust(6, "0")[:6])


def int_to_ts(number: int) -> str:
    """The `ts` a stored message id stands for."""
    seconds, micros = divmod(number, 1_000_000)
    return f"{seconds}.{micros:06d}"


class ChannelPace:
    """At most `burst` posts at once in a channel, then one per `gap` seconds (Slack: about 1/s)."""

    def __init__(self, gap: float = 1.0, burst: int = 3) -> None:
        self.gap = gap
        self.burst = burst
        self._tokens: dict[str, float] = defaultdict(lambda: float(burst))
        self._stamp: dict[str, float] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def turn(self, channel: str) -> None:
        """Wait for this channel's next slot."""
        loop = asyncio.get_running_loop()
        with waiting_turn():  # an outbox post waiting here is not slow: its patience starts after
            async with self._locks[channel]:
                now = loop.time()
                last = self._stamp.get(channel, now)
                tokens = min(float(self.burst), self._tokens[channel] + (now - last) / self.gap)
                if tokens < 1.0:
                    await asyncio.sleep((1.0 - tokens) * self.gap)
                    now = loop.time()
                    tokens = 1.0
                self._tokens[channel] = tokens - 1.0
                self._stamp[channel] = now


class MethodPace:
    """Turns for the Web API methods a fan-out calls many times, within their tier (per workspace).

    Opening a big class's rooms is a burst of `conversations.create` (Tier 2: 20, then 20 a minute) and
    `conversations.invite` (Tier 3: 50, then 50 a minute); run side by side, they ran into 429s that
    slack_sdk gave up on after 5 tries, and 79 of a 300-student class's 138 rooms were never opened.
    Waiting here for a turn (in order) sends each call when Slack will take it.
    """

    TIER_2 = (20, 20.0)  # burst, then calls a minute
    TIER_3 = (50, 50.0)
    METHODS = {
        "conversations.create": TIER_2,
        "conversations.archive": TIER_2,
        "conversations.invite": TIER_3,
        "conversations.kick": TIER_3,
    }

    def __init__(self) -> None:
        # A fiftieth more than the tier's spacing: a call never reaches Slack a hair early by its clock
        # (exactly at the tier, 4 of a class's 24 archives were answered 429 and waited a second more).
        tiers = set(self.METHODS.values())
        self._paces = {tier: ChannelPace(gap=1.02 * 60.0 / tier[1], burst=tier[0]) for tier in tiers}

    async def turn(self, method: str) -> None:
        """Wait for a call of `method` to be within its tier (methods not listed go at once)."""
        tier = self.METHODS.get(method)
        if tier is not None:
            await self._paces[tier].turn(method)


class DirectMessages:
    """Each member's DM with the app: a card is posted to the member's id, and the DM's id kept from the answer.

    `chat.postMessage` to a user id posts in the app's DM with them (Slack opens it), and is limited per
    conversation like any post; `conversations.open` (Tier 3: about 50 a minute for the workspace) would
    make 300 role cards wait five minutes, so it is used only to find a DM nothing was posted to yet.
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._channels: dict[str, str] = {}

    def known(self, user: str) -> str | None:
        """The DM's channel id, if a post or `open` has given it."""
        return self._channels.get(user)

    async def post(self, user: str, **args: Any) -> AsyncSlackResponse:
        """Post in a member's DM (by their id); the DM's channel id is remembered from the answer."""
        answer = await self.client.chat_postMessage(channel=user, **args)
        self._channels[user] = str(answer["channel"])
        return answer

    async def open(self, user: str) -> str:
        """The DM's channel id, opened with `conversations.open` only when not known yet."""
        known = self._channels.get(user)
        if known is None:
            answer = await self.client.conversations_open(users=user)
            known = self._channels[user] = str(answer["channel"]["id"])
        return known
