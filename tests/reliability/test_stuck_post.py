"""One post that Discord keeps answering with 5xx: the session goes on without it, on time.

The post is retried in the background a bounded number of times, and the instructor is told once when
it is given up. (The retries are compressed in time: one request per attempt instead of discord.py's
five over 25 s, and tenths of a second between attempts instead of 2 s, 4 s, ...)
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot import delivery
from discord_sandbox import Message, Sandbox
from tests.e2e.conftest import open_class, write_config

from .conftest import bot_posts, first_title, outbox_statuses

pytestmark = pytest.mark.e2e


def sent_at(m: Message) -> float:
    """When the sandbox received a post (Unix seconds)."""
    return datetime.fromisoformat(m.timestamp).timestamp()


async def test_a_post_discord_keeps_failing_does_not_hold_up_the_next_phase(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path, warning_seconds="warning_seconds = [1]\n# ")
    room = await open_class(sandbox, tmp_path, config, students=3)
    sb = room.sandbox
    try:
        assert room.bot is not None
        deliverer = room.bot.deliverer
        deliverer.attempt_timeout = 0.8  # discord.py would sleep 1 s, 3 s, 5 s... between its own tries
        deliverer.backoff = lambda attempts: timedelta(seconds=0.2 * attempts)
        messages = rf"^/channels/{room.channel.id}/messages$"
        # Discord answers 502 to the "Do the role!" announcement, every time; every other post works.
        sb.fail_requests(
            "POST", messages, status=502, count=10_000, body_regex=r'"title": "Now: Do the role!"'
        )

        await room.run(room.instructor, "session start", plan="fast")

        def posts() -> list[Message]:
            return bot_posts(sb, room.channel)

        def titled(title: str) -> list[Message]:
            return [m for m in posts() if first_title(m) == title]

        partners = await sb.wait_for(
            lambda: titled("Now: Discuss with your role-partner"), timeout=15, what="phase 3"
        )
        run_of_show = titled("Run-of-show: fast")[0]
        # Phase 3 starts 5 s after the start (2 s + 3 s): it goes out then, not after the failing post.
        late = sent_at(partners[0]) - (sent_at(run_of_show) + 5)
        assert late < 1.5, f"phase 3 was {late:.2f} s late"
        assert any("left** of Do the role!" in (m.content or "") for m in posts())  # its warning went out
        assert "Time's up for **Do the role!**" in (partners[0].content or "")

        told = await sb.wait_for(
            lambda: [m for m in sb.dms(room.instructor) if "gave up" in m.text],
            timeout=20,
            what="the instructor to be told the post was given up",
        )
        assert len(told) == 1 and '"Now: Do the role!"' in told[0].text
        await sb.wait_for(lambda: any("end of the session" in (m.content or "") for m in posts()), timeout=15)
        db = tmp_path / "conductor.db"
        await sb.wait_for(lambda: outbox_statuses(db)["pending"] == 0, timeout=10)
    finally:
        await room.stop_bot()

    # Bounded: the failing post was tried MAX_ATTEMPTS times, always with the same nonce.
    tries = Counter(
        r.json["nonce"]
        for r in sb.requests
        if r.method == "POST"
        and r.path == f"/channels/{room.channel.id}/messages"
        and "Now: Do the role!" in str(r.json.get("embeds"))
    )
    assert list(tries.values()) == [delivery.MAX_ATTEMPTS], tries
    # Everything else was said once; the instructor was told once; nothing edited that never went out.
    seen = [first_title(m) for m in posts()]
    assert seen.count("Now: Introduce and assign roles") == 1
    assert seen.count("Now: Discuss with your role-partner") == 1
    assert "Now: Do the role!" not in seen
    assert sum("end of the session" in (m.content or "") for m in posts()) == 1
    assert len([m for m in sb.dms(room.instructor) if "could not" in m.text.lower()]) == 1
    assert not [r for r in sb.requests if r.method == "PATCH" and r.status == 404]
    statuses = outbox_statuses(db)
    assert statuses["failed"] == 1 and statuses["pending"] == 0, statuses
