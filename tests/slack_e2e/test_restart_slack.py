"""kill -9 on Slack: the app process dies mid-session and a new one carries on, nothing lost or doubled."""

from __future__ import annotations

from pathlib import Path

import pytest

from slack_sandbox import SlackSandbox
from slack_sandbox.scripted import ScriptedUser
from slack_sandbox.workspace import Channel
from tests.e2e.conftest import FAST_PHASES, write_config
from tests.e2e.test_session import RESTART_PLAN

from .conftest import SLACK, SlackAppProcess, populate, slack_settings

pytestmark = pytest.mark.e2e


def posts(sb: SlackSandbox, teacher: ScriptedUser, channel: Channel) -> list[str]:
    """The app's posts in the class channel, as the teacher sees them."""
    return [p.text for p in teacher.read(channel) if p.message.user == sb.bot.id and not p.ephemeral]


def phase_posts(seen: list[str], name: str) -> list[str]:
    """The posts announcing a phase (their headline, kept when the post is marked over)."""
    return [t for t in seen if any(line in (f"Now: {name}", f"Over: {name}") for line in t.splitlines())]


async def test_a_killed_app_comes_back_and_each_phase_is_posted_once(tmp_path: Path) -> None:
    async with SlackSandbox() as sb:
        channel, teacher, _ = populate(sb, students=3)
        config = write_config(tmp_path, FAST_PHASES + RESTART_PLAN + SLACK)
        settings = slack_settings(sb, tmp_path, config)
        first, second = SlackAppProcess(sb, settings), SlackAppProcess(sb, settings)
        await first.start()
        try:
            await sb.wait_for(lambda: sb.socket.live is not None, timeout=30, what="the app to connect")
            # This test is about the outbox across a kill. On a loaded 2-core machine a process that has just
            # started can take over Slack's 3 s to acknowledge its first command (Slack would show an error,
            # and the command still runs), so a late acknowledgement is allowed here and nowhere else.
            started = await teacher.command("/session", "start restart", channel, timeout=15, allow_late=True)
            assert "Started *restart*" in started.text
            await sb.wait_for(
                lambda: phase_posts(posts(sb, teacher, channel), "Introduce and assign roles"),
                timeout=15,
                what="phase 1",
            )
            await first.kill()
            await second.start()
            await sb.wait_for(
                lambda: phase_posts(posts(sb, teacher, channel), "Discuss with your role-partner"),
                timeout=30,
                what="phase 3",
            )
            await teacher.command("/session", "next", channel, timeout=15, allow_late=True)
            await sb.wait_for(
                lambda: any("end of the session" in t for t in posts(sb, teacher, channel)),
                timeout=30,
                what="the end",
            )
        finally:
            for process in (first, second):  # no process outlives the test, whatever happened
                if process.proc is not None:
                    await process.terminate()
        seen = posts(sb, teacher, channel)
        assert sum("Run-of-show: restart" in t for t in seen) == 1
        for phase in ("Introduce and assign roles", "Do the role!"):
            assert len(phase_posts(seen, phase)) <= 1, seen  # posted once, or summarised if missed while down
        assert len(phase_posts(seen, "Discuss with your role-partner")) == 1, seen
        assert sum("end of the session" in t for t in seen) == 1
        sb.assert_clean()
