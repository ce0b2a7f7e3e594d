"""The sandbox's own rules, alone, with an injected clock: pages, rate-limit buckets, timestamps."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from slack_sandbox.clock import Ids, SandboxClock
from slack_sandbox.ratelimits import Rate, RateLimiter, RateLimits, Tier
from slack_sandbox.spec import TokenKind
from slack_sandbox.webapi.call import Call, page


def call(**params: Any) -> Call:
    return Call(None, "users.list", params, TokenKind.BOT, frozenset())  # type: ignore[arg-type]


@given(st.integers(0, 40), st.integers(1, 45))
def test_following_cursors_yields_every_item_once_in_order(n: int, limit: int) -> None:
    items = list(range(n))
    seen: list[int] = []
    cursor = ""
    for _ in range(n + 2):
        chunk, cursor = page(items, call(limit=str(limit), cursor=cursor))
        seen.extend(chunk)
        if not cursor:
            break
    assert seen == items


@given(
    st.lists(st.floats(0, 120, allow_nan=False), min_size=1, max_size=60),
    st.sampled_from([Tier.TIER_2, Tier.TIER_3, Tier.POST]),
    st.booleans(),
)
def test_no_window_lets_through_more_than_the_burst_and_the_rate(
    times: list[float], tier: Tier, strict: bool
) -> None:
    limits = RateLimits.strict() if strict else RateLimits()
    rate: Rate = limits.tiers[tier]
    limiter = RateLimiter(limits)
    allowed: list[float] = []
    for now in sorted(times):
        retry_after = limiter.check("m", tier, "C1", now)
        if retry_after is None:
            allowed.append(now)
        else:
            assert retry_after >= 1
    for i, start in enumerate(allowed):
        for end in allowed[i:]:
            count = sum(1 for t in allowed if start <= t <= end)
            assert count <= rate.burst + rate.per_minute / 60 * (end - start) + 1e-9


@given(st.lists(st.floats(-5, 5, allow_nan=False), max_size=30))
def test_timestamps_increase_even_when_the_clock_steps_back(steps: list[float]) -> None:
    clock = SandboxClock()
    ids = Ids(clock)
    stamps = []
    for step in steps:
        clock.offset += step
        stamps.append(ids.ts())
    as_numbers = [(int(s.split(".")[0]), int(s.split(".")[1])) for s in stamps]
    assert as_numbers == sorted(set(as_numbers))
    assert all(len(s.split(".")[1]) == 6 for s in stamps)
