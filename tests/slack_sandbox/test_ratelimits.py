"""Rate limits: HTTP 429 with Retry-After, as Slack answers, and slack_sdk's retry handler honouring it."""

from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

from slack_sandbox import Rate, RateLimits, SlackSandbox, Tier

from .conftest import Klass, web_client


async def test_a_burst_of_posts_to_one_channel_is_slowed_and_all_arrive_with_the_retry_handler(
    sb: SlackSandbox, klass: Klass
) -> None:
    web = web_client(sb, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)])
    started = time.monotonic()
    for i in range(5):
        await web.chat_postMessage(channel=klass.room.id, text=f"Phase {i}")
    elapsed = time.monotonic() - started

    assert [m.text for m in sb.posts(klass.room)] == [f"Phase {i}" for i in range(5)]
    assert sb.rate_limited == ["chat.postMessage"]
    assert elapsed >= 1.0  # it waited out the Retry-After of 1 s
    assert [r.status for r in sb.requests if r.method == "chat.postMessage"] == [200] * 4 + [429, 200]


async def test_without_a_retry_handler_the_429_reaches_the_caller_with_retry_after(
    sb: SlackSandbox, klass: Klass
) -> None:
    web = web_client(sb)
    for i in range(4):
        await web.chat_postMessage(channel=klass.room.id, text=f"Phase {i}")
    with pytest.raises(SlackApiError) as e:
        await web.chat_postMessage(channel=klass.room.id, text="one too many")
    assert e.value.response.status_code == 429
    assert e.value.response["error"] == "ratelimited"
    assert e.value.response.headers["Retry-After"] == "1"
    other = sb.add_channel("group-1", [klass.alice])
    await web.chat_postMessage(channel=other.id, text="another channel has its own allowance")


async def test_each_method_has_its_tiers_allowance(sb: SlackSandbox, klass: Klass) -> None:
    sb.ratelimiter.limits = RateLimits(tiers={**RateLimits().tiers, Tier.TIER_2: Rate(2, 20)})
    web = web_client(sb)
    await web.conversations_create(name="group-1", is_private=True)
    await web.conversations_create(name="group-2", is_private=True)
    with pytest.raises(SlackApiError) as e:
        await web.conversations_create(name="group-3", is_private=True)
    assert e.value.response.headers["Retry-After"] == "3"  # Tier 2: 20 a minute
    assert (await web.users_info(user=klass.alice.id))["ok"]  # Tier 4 is counted apart


@pytest.mark.parametrize("rate_limits", [RateLimits.off()], ids=["off"])
async def test_limits_can_be_switched_off_for_a_test(sb: SlackSandbox, klass: Klass) -> None:
    web = web_client(sb)
    for i in range(30):
        await web.chat_postMessage(channel=klass.room.id, text=f"{i}")
    assert sb.rate_limited == []


@pytest.mark.parametrize("rate_limits", [RateLimits.strict()], ids=["strict"])
async def test_strict_limits_allow_no_burst(sb: SlackSandbox, klass: Klass) -> None:
    web = web_client(sb)
    await web.conversations_members(channel=klass.room.id)
    with pytest.raises(SlackApiError):
        await web.conversations_members(channel=klass.room.id)


async def test_a_forced_429_is_waited_out_by_the_retry_handler(sb: SlackSandbox, klass: Klass) -> None:
    sb.fail("users.info", status=429, retry_after=1)
    web = web_client(sb, retry_handlers=[AsyncRateLimitErrorRetryHandler()])
    assert (await web.users_info(user=klass.bob.id))["user"]["name"] == "bob"
    assert [r.status for r in sb.requests if r.method == "users.info"] == [429, 200]
