"""REST faults: bursts of 429 (on every route, and on one route) and 500/502 answers.

Everything is delivered once the limits allow; retries are bounded (`bot.delivery.MAX_ATTEMPTS`); and
when a post is finally given up on, the instructor who started the session is told by DM.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot import delivery
from discord_sandbox import Sandbox
from tests.e2e.conftest import Classroom, open_class, write_config

from .conftest import (
    assert_each_phase_said_once,
    bot_posts,
    first_title,
    outbox_statuses,
)

pytestmark = pytest.mark.e2e

PHASES = ["Now: Introduce and assign roles", "Now: Do the role!", "Now: Discuss with your role-partner"]


@pytest.fixture
async def room(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[Classroom]:
    config = write_config(tmp_path, warning_seconds="warning_seconds = [1]\n# ")
    classroom = await open_class(sandbox, tmp_path, config, students=3)
    try:
        yield classroom
    finally:
        await classroom.stop_bot()


def ended(room: Classroom) -> bool:
    """The end was announced and every phase post was marked over."""
    posts = bot_posts(room.sandbox, room.channel)
    done = any("end of the session" in (m.content or "") for m in posts)
    return done and not any((m.embeds or [{}])[0].get("title", "").startswith("Now:") for m in posts)


def check_once(room: Classroom, db: Path) -> None:
    """Every phase announced once, the end once, nothing twice, nothing left or failed in the outbox."""
    posts = bot_posts(room.sandbox, room.channel)
    # A phase whose post is held up past its end (discord.py sleeps 1 s, 3 s... on a 5xx while the
    # session's timer waits for that delivery) is summarised instead; either way it is said once.
    assert_each_phase_said_once(posts, PHASES, db)


async def test_bursts_of_429_and_500_502_answers_delay_but_lose_and_repeat_nothing(
    room: Classroom, tmp_path: Path
) -> None:
    sb = room.sandbox
    messages = rf"^/channels/{room.channel.id}/messages$"

    def seen(title: str) -> bool:
        return any(title in first_title(m) for m in bot_posts(sb, room.channel))

    # Each burst stays under discord.py's five tries per request; a longer one surfaces to the outbox,
    # which backs off (2 s, 4 s, ...) and may fold a short compressed phase into an "Already over" line.
    await room.run(room.instructor, "session start", plan="fast")
    sb.fail_requests(None, ".*", status=429, count=4, retry_after=0.05)  # every route: a global burst
    await sb.wait_for(lambda: seen("Introduce"))
    sb.fail_requests("POST", messages, status=429, count=3, retry_after=0.2)  # one route
    sb.fail_requests(
        "PATCH", rf"^/channels/{room.channel.id}/messages/\d+$", status=429, count=3, retry_after=0.1
    )
    await sb.wait_for(lambda: seen("Do the role"), timeout=10)
    sb.fail_requests("POST", messages, status=500, count=1)  # discord.py retries a 5xx itself (1 s later)
    sb.fail_requests("POST", messages, status=502, count=1)
    await sb.wait_for(lambda: ended(room), timeout=25, what="the end")
    db = tmp_path / "conductor.db"
    await sb.wait_for(lambda: outbox_statuses(db)["pending"] == 0, timeout=10)
    assert sb.stats.rate_limited >= 4 + 3 + 3  # every burst was served, and waited out
    answered = Counter(
        r.status for r in sb.requests if r.method == "POST" and r.route == "/channels/{channel_id}/messages"
    )
    assert answered[500] == 1 and answered[502] == 1
    check_once(room, db)


async def test_a_post_that_keeps_failing_is_retried_a_bounded_number_of_times_and_the_instructor_is_told(
    room: Classroom, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = room.sandbox
    assert room.bot is not None
    deliverer = room.bot.deliverer
    # The same retries, compressed in time.
    monkeypatch.setattr(deliverer, "backoff", lambda attempts: timedelta(seconds=0.05 * attempts))
    # Discord keeps answering 400 to posts in the class channel (discord.py does not retry a 400).
    sb.fail_requests("POST", rf"^/channels/{room.channel.id}/messages$", status=400, count=10_000)
    await room.run(room.instructor, "session start", plan="fast")
    told = await sb.wait_for(
        lambda: [m for m in sb.dms(room.instructor) if "could not" in m.text.lower()],
        timeout=15,
        what="the instructor to be told",
    )
    assert len(told) == 1 and "Run-of-show: fast" in told[0].text and "gave up after" in told[0].text
    posts = [
        r for r in sb.requests if r.method == "POST" and r.path == f"/channels/{room.channel.id}/messages"
    ]
    tries = Counter(r.json["nonce"] for r in posts)
    assert tries[posts[0].json["nonce"]] == delivery.MAX_ATTEMPTS  # the same nonce each time
    assert max(tries.values()) <= delivery.MAX_ATTEMPTS, tries  # bounded for every post
    sb._faults.clear()  # Discord recovers: the session goes on, and can be stopped
    await room.run(room.instructor, "session stop")
    await sb.wait_for(
        lambda: any("session was stopped" in (m.content or "") for m in bot_posts(sb, room.channel)),
        timeout=15,
    )
    assert len([m for m in sb.dms(room.instructor) if "could not" in m.text.lower()]) == 1  # told once
    tries = Counter(r.json["nonce"] for r in sb.requests if r.method == "POST" and r.path == posts[0].path)
    assert max(tries.values()) <= delivery.MAX_ATTEMPTS, tries


async def test_posts_read_ahead_before_retries_do_not_reset_the_retry_count(
    room: Classroom, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transition reads its posts ahead, then sends them: a stale copy must not restart the count."""
    from sqlalchemy import select

    from bot.storage import outbox
    from bot.storage.models import PostRow

    sb, bot = room.sandbox, room.bot
    assert bot is not None
    deliverer = bot.deliverer
    monkeypatch.setattr(deliverer, "_retry_later", lambda scope, attempts: None)  # retries driven by hand
    async with bot.db.session() as s, s.begin():
        await outbox.enqueue(
            s,
            scope="test:1",
            key="hello",
            channel_id=room.channel.id,
            payload={"content": "hello", "embeds": [], "mentions": [], "notify": room.instructor.id},
            now=bot.clock.now(),
        )
    stale = await deliverer.pending("test:1")  # read ahead, attempts 0
    sb.fail_requests("POST", rf"^/channels/{room.channel.id}/messages$", status=400, count=100)
    for _ in range(3):
        await deliverer.flush("test:1")
    for _ in range(delivery.MAX_ATTEMPTS):  # the stale rows come back, as a timer that read ahead would
        await deliverer.flush("test:1", stale)
    async with bot.db.session() as s:
        row = await s.scalar(select(PostRow).where(PostRow.key == "hello"))
    assert row is not None and row.status == "failed" and row.attempts == delivery.MAX_ATTEMPTS
    tries = [
        r for r in sb.requests if r.method == "POST" and r.path == f"/channels/{room.channel.id}/messages"
    ]
    assert len(tries) == delivery.MAX_ATTEMPTS
    told = await sb.wait_for(lambda: [m for m in sb.dms(room.instructor) if "gave up" in m.text])
    assert len(told) == 1 and '"hello"' in told[0].text
