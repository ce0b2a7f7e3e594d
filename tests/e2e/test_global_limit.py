"""Many classes at once against Discord's global rate limit: every post goes out, none is refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from discord_sandbox import SandboxLimits

from .conftest import Classroom, write_config

pytestmark = pytest.mark.e2e

PER_SECOND = 20  # the sandbox's global limit here (Discord's is 50): the same rule, a shorter test
CLASSES = 30
LONG_PHASE = """
[[phases]]
key = "long-intro"
name = "Welcome"
seconds = 600
audience = "class"
text = "Settle in."

[plans.long]
phases = ["long-intro"]
"""


@pytest.fixture
def limits() -> SandboxLimits:
    return SandboxLimits(global_per_second=PER_SECOND)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    # No class channel: each class's posts go to the channel its session was started in.
    return write_config(
        tmp_path, extra=LONG_PHASE, **{'class_channel = "reading-group"': 'class_channel = "lobby"'}
    )


async def test_thirty_classes_starting_together_are_all_posted_without_one_refusal(
    classroom: Classroom, caplog: pytest.LogCaptureFixture
) -> None:
    sb, bot = classroom.sandbox, classroom.bot
    assert bot is not None
    bot.pacer.limit = PER_SECOND  # this bot token's limit on this Discord
    rooms = [classroom.guild.add_text_channel(f"class-{i:02d}") for i in range(CLASSES)]
    refused_before = sb.stats.rate_limited
    answers = await asyncio.gather(
        *(classroom.run(classroom.instructor, "session start", channel=room, plan="long") for room in rooms)
    )
    assert all("Started **long**" in answer.text for answer in answers)

    def posted(room: object) -> list[str]:
        return [(m.embeds[0].get("title", "") if m.embeds else m.content) for m in classroom.posts(room)]  # type: ignore[arg-type]

    # Each class gets its run-of-show and its first phase: 60 posts, three seconds' worth of the limit.
    await sb.wait_for(
        lambda: all(any(t == "Now: Welcome" for t in posted(room)) for room in rooms),
        timeout=30,
        what="every class's first phase",
    )
    assert sb.stats.rate_limited == refused_before, sb.stats.rate_limited_by_route
    assert bot.pacer.waited > 0  # the posts did queue for their turn
    for room in rooms:
        assert posted(room)[:2] == ["Run-of-show: long", "Now: Welcome"]
    # Waiting seconds for its turn under the limit is not being slow: no post was handed to the
    # background path (the log's "slow to go out", meant for a Discord that keeps a request hanging).
    assert not [r.getMessage() for r in caplog.records if "slow to go out" in r.getMessage()]
