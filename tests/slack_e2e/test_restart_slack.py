"""kill -9 on Slack: the app process dies mid-session and a new one carries on, nothing lost or doubled."""

from __future__ import annotations

from pathlib import Path

import pytest

from slack_sandbox import SlackSandbox
from tests.e2e.conftest import FAST_PHASES, write_config
from tests.e2e.test_session import RESTART_PLAN

from .conftest import SLACK, SlackAppProcess, populate, slack_settings

pytestmark = pytest.mark.e2e


async def test_a_killed_app_comes_back_and_each_phase_is_posted_once(tmp_path: Path) -> None:
    async with SlackSandbox() as sb:
        channel, teacher, _ = populate(sb, students=3)
        config = write_config(tmp_path, FAST_PHASES + RESTART_PLAN + SLACK)
        settings = slack_settings(sb, tmp_path, config)
        first = SlackAppProcess(sb, settings)
        await first.start()
        await sb.wait_for(lambda: sb.socket.live is not None, timeout=30, what="the app to connect")

        def posts() -> list[str]:
            return [p.text for p in teacher.read(channel) if p.message.user == sb.bot.id and not p.ephemeral]

        def phase_posts(name: str) -> list[str]:
            """The posts announcing a phase (their headline, kept when the post is marked over)."""
            return [
                t
                for t in posts()
                if any(line in (f"Now: {name}", f"Over: {name}") for line in t.splitlines())
            ]

        started = await teacher.command("/session", "start restart", channel, timeout=15)
        assert "Started *restart*" in started.text
        await sb.wait_for(
            lambda: any("Introduce and assign roles" in t for t in posts()), timeout=15, what="phase 1"
        )
        await first.kill()
        second = SlackAppProcess(sb, settings)
        await second.start()
        try:
            await sb.wait_for(
                lambda: phase_posts("Discuss with your role-partner"), timeout=30, what="phase 3"
            )
            await teacher.command("/session", "next", channel, timeout=15)
            await sb.wait_for(
                lambda: any("end of the session" in t for t in posts()), timeout=30, what="the end"
            )
        finally:
            await second.terminate()
        seen = posts()
        assert sum("Run-of-show: restart" in t for t in seen) == 1
        for phase in ("Introduce and assign roles", "Do the role!"):
            assert len(phase_posts(phase)) <= 1, seen  # posted once, or summarised if missed while down
        assert len(phase_posts("Discuss with your role-partner")) == 1, seen
        assert sum("end of the session" in t for t in seen) == 1
        sb.assert_clean()
