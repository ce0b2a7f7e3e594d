"""The global-limit pacer: never more than the limit in a window, first come first served, edits last."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.discord.pacing import GlobalPacer, Lane, counts, lane

# A request starts when its coroutine resumes, a loop turn after its grant: two starts a window apart can
# be measured a few microseconds short of it (what the margin on Discord's window absorbs).
JITTER = 0.001


async def take_turns(pacer: GlobalPacer, requests: list[tuple[str, Lane]]) -> list[tuple[str, float]]:
    """Ask for a turn for each request in that order, all at once; who went, and when (pacer's clock)."""
    went: list[tuple[str, float]] = []

    async def one(name: str, which: Lane) -> None:
        await pacer.turn(which)
        went.append((name, pacer.clock()))

    await asyncio.gather(*(one(name, which) for name, which in requests))
    return went


async def test_requests_beyond_the_limit_wait_for_the_window_and_go_in_the_order_they_came() -> None:
    pacer = GlobalPacer(limit=5, window=0.1, margin=0.02)
    went = await take_turns(pacer, [(f"post {i}", Lane.FIRST) for i in range(17)])
    assert [name for name, _ in went] == [f"post {i}" for i in range(17)]
    times = [at for _, at in went]
    assert times[4] - times[0] < 0.1  # the first five at once
    for first, sixth in zip(times, times[5:], strict=False):
        assert sixth - first >= 0.12 - JITTER  # never six within one window (and its margin)
    assert pacer.waited == 12


async def test_edits_wait_while_new_posts_wait() -> None:
    pacer = GlobalPacer(limit=2, window=0.05, margin=0.0)
    requests = [("edit 1", Lane.LATER), ("edit 2", Lane.LATER), ("edit 3", Lane.LATER)]
    requests += [("post 1", Lane.FIRST), ("post 2", Lane.FIRST), ("post 3", Lane.FIRST)]
    went = await take_turns(pacer, requests)
    # The first two edits found the window empty; after that every new post goes before any edit.
    assert [name for name, _ in went] == ["edit 1", "edit 2", "post 1", "post 2", "post 3", "edit 3"]


async def test_edits_wait_while_new_posts_stream_in_and_go_once_they_stop() -> None:
    # Sessions decided one after another: new posts come a little behind one another, never quite
    # queueing, at 3 a window of a limit of 4. An edit slipped into each window's free turn would push
    # the later posts back; the edits go once the posts stop, and then without delay.
    pacer = GlobalPacer(limit=4, window=0.06, margin=0.0)
    went: list[tuple[str, float]] = []

    async def ask(name: str, which: Lane, delay: float) -> None:
        await asyncio.sleep(delay)
        await pacer.turn(which)
        went.append((name, pacer.clock()))

    posts = [ask(f"post {i}", Lane.FIRST, i * 0.02) for i in range(15)]
    edits = [ask(f"edit {i}", Lane.LATER, 0.03) for i in range(3)]  # once posts are streaming
    await asyncio.gather(*posts, *edits)
    order = [name for name, _ in went]
    assert order[:15] == [f"post {i}" for i in range(15)] and sorted(order[15:]) == [
        "edit 0",
        "edit 1",
        "edit 2",
    ]
    last_post, last_edit = went[14][1], went[-1][1]
    assert last_edit - last_post < 0.2  # not starved: they follow within a few windows


async def test_a_request_given_up_while_waiting_does_not_use_a_turn() -> None:
    pacer = GlobalPacer(limit=1, window=0.05, margin=0.0)
    await pacer.turn()
    gone = asyncio.create_task(pacer.turn())
    after = asyncio.create_task(pacer.turn())
    await asyncio.sleep(0)
    gone.cancel()
    began = time.monotonic()
    await after
    assert time.monotonic() - began < 0.09  # the next window's one turn went to the request still waiting


@settings(max_examples=25, deadline=None)
@given(
    limit=st.integers(1, 6),
    arrivals=st.lists(st.tuples(st.floats(0, 0.03), st.sampled_from(Lane)), min_size=1, max_size=25),
)
async def test_no_window_ever_holds_more_than_the_limit(
    limit: int, arrivals: list[tuple[float, Lane]]
) -> None:
    pacer = GlobalPacer(limit=limit, window=0.02, margin=0.0)
    granted: list[float] = []

    async def one(delay: float, which: Lane) -> None:
        await asyncio.sleep(delay)
        await pacer.turn(which)
        granted.append(pacer.clock())

    await asyncio.gather(*(one(delay, which) for delay, which in arrivals))
    assert len(granted) == len(arrivals)
    granted.sort()
    for first, later in zip(granted, granted[limit:], strict=False):
        assert later - first >= 0.02 - JITTER


def test_interaction_answers_do_not_count_and_message_edits_go_last() -> None:
    Route = discord.http.Route
    answer = Route(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        interaction_id=1,
        interaction_token="t",
    )
    post = Route("POST", "/channels/{channel_id}/messages", channel_id=1)
    edit = Route("PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=1, message_id=2)
    assert not counts(answer) and counts(post) and counts(edit)
    assert lane(post) == Lane.FIRST and lane(edit) == Lane.LATER


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        GlobalPacer(limit=0)
