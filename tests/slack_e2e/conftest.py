"""A class in a Slack workspace (the local Slack sandbox) with the real Conductor Slack app running."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.adapters.slack.frontend import SlackConductor
from bot.config import load_config
from bot.core.plan import Course
from bot.rehearse_slack import sandbox_env, sandbox_settings
from bot.settings import Settings
from slack_sandbox import SlackSandbox
from slack_sandbox.reader import Shown
from slack_sandbox.scripted import Outcome, ScriptedUser
from slack_sandbox.workspace import Channel
from tests.e2e.conftest import FAST_PHASES, BotProcess, write_config

SLACK = """
[platform]
name = "slack"

[slack]
class_channel = "reading-group"
"""


@dataclass
class SlackClass:
    """A class on the Slack sandbox: the teacher, the students, the class channel, the running app."""

    sandbox: SlackSandbox
    channel: Channel
    teacher: ScriptedUser
    students: list[ScriptedUser]
    settings: Settings
    config: Path
    app: SlackConductor | None = None
    adjust: Callable[[Course], Course] | None = None  # e.g. a refresh period shorter than config allows

    async def start(self) -> SlackConductor:
        """Start the Slack app (same code path as `python -m bot run --platform slack`)."""
        course = load_config(self.config)
        self.app = SlackConductor(self.settings, self.adjust(course) if self.adjust else course)
        await self.app.start()
        return self.app

    async def stop(self) -> None:
        """Stop the app as SIGTERM would."""
        if self.app is not None:
            await self.app.close()
            self.app = None

    async def run(self, who: ScriptedUser, command: str, text: str = "", timeout: float = 10.0) -> Outcome:  # noqa: ASYNC109
        """`who` types a slash command in the class channel; what they then saw."""
        return await who.command(command, text, self.channel, timeout=timeout)

    def posts(self, who: ScriptedUser | None = None) -> list[Shown]:
        """The app's posts in the class channel as a member sees them."""
        reader = who or self.teacher
        return [
            p for p in reader.read(self.channel) if p.message.user == self.sandbox.bot.id and not p.ephemeral
        ]


def slack_settings(sb: SlackSandbox, tmp_path: Path, config: Path) -> Settings:
    """Settings pointing at the sandbox and a fresh SQLite file, ignoring .env."""
    return sandbox_settings(sb, f"sqlite+aiosqlite:///{tmp_path / 'conductor.db'}", config)


def populate(sb: SlackSandbox, students: int) -> tuple[Channel, ScriptedUser, list[ScriptedUser]]:
    """A workspace with a teacher (an admin) and students in #reading-group."""
    teacher = sb.add_user("Dimitrios P", display_name="Dimitrios", email="teacher@example.edu", is_admin=True)
    people = [sb.add_user(f"Student {i:02d}", display_name=f"student{i:02d}") for i in range(1, students + 1)]
    return sb.add_channel("reading-group", [teacher, *people]), teacher, people


async def open_slack_class(
    sb: SlackSandbox,
    tmp_path: Path,
    students: int = 8,
    extra: str = "",
    adjust: Callable[[Course], Course] | None = None,
) -> SlackClass:
    """A workspace with a teacher (an admin), students in #reading-group, and the app started."""
    channel, teacher, people = populate(sb, students)
    config = write_config(tmp_path, FAST_PHASES + SLACK + extra)
    settings = slack_settings(sb, tmp_path, config)
    room = SlackClass(sb, channel, teacher, people, settings, config, adjust=adjust)
    await room.start()
    return room


@pytest.fixture
async def slack_class(tmp_path: Path) -> AsyncIterator[SlackClass]:
    async with SlackSandbox() as sb:
        room = await open_slack_class(sb, tmp_path)
        try:
            yield room
        finally:
            await room.stop()
        sb.assert_clean()


class SlackAppProcess(BotProcess):
    """`python -m bot run --platform slack` in its own process, pointed at the sandbox; SIGKILL-able."""

    ARGS = ("--platform", "slack")

    def __init__(self, sb: SlackSandbox, settings: Settings) -> None:
        self.sb = sb
        self.settings = settings
        self.proc: asyncio.subprocess.Process | None = None
        self.log = b""

    def env(self) -> dict[str, str]:
        """The process's environment: the sandbox's tokens and address, the database, the config."""
        return sandbox_env(self.sb, self.settings)
