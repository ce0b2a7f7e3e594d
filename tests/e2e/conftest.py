"""A class on the local Discord: the sandbox, a guild with an instructor and students, and the real bot."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord.client import ConductorBot
from bot.adapters.discord.wiring import build_bot
from bot.config import load_config
from bot.core.plan import Course
from bot.settings import Settings
from discord_sandbox import Channel, Guild, InteractionResult, Member, Message, Sandbox, SandboxLimits
from discord_sandbox.contract import assert_requests_match_contract

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config.toml"

# A compressed plan for timing tests: the shipped course, plus phases measured in seconds.
FAST_PHASES = """
[[phases]]
key = "fast-intro"
name = "Introduce and assign roles"
seconds = 2
audience = "class"
text = "Check your DMs for your role card."

[[phases]]
key = "fast-role"
name = "Do the role!"
seconds = 3
audience = "class"
text = "Work alone on your role."

[[phases]]
key = "fast-partners"
name = "Discuss with your role-partner"
seconds = 3
audience = "partners"
text = "Discuss with your role-partner."

[plans.fast]
phases = ["fast-intro", "fast-role", "fast-partners"]
"""


def write_config(tmp_path: Path, extra: str = FAST_PHASES, **replace: str) -> Path:
    """The shipped config with extra TOML appended and some lines replaced, written to tmp_path."""
    text = SHIPPED.read_text()
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "config.toml"
    path.write_text(text + "\n" + extra)
    return path


@dataclass
class Classroom:
    """One class on the sandbox: who is there, where they talk, and the running bot."""

    sandbox: Sandbox
    guild: Guild
    channel: Channel
    instructor: Member
    students: list[Member]
    course: Course
    settings: Settings
    bot: ConductorBot | None = None
    runs: list[asyncio.Task[None]] = field(default_factory=list)

    async def start_bot(self) -> ConductorBot:
        """Start the real bot (same code path as `python -m bot run`) and wait until it is connected."""
        bot = build_bot(self.settings, self.course, guild_ready_timeout=0.05)
        self.bot = bot
        run = asyncio.create_task(bot.start(self.sandbox.token))
        self.runs.append(run)
        ready = asyncio.create_task(bot.wait_until_ready())
        await asyncio.wait([run, ready], timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if run.done():
            ready.cancel()
            raise AssertionError(f"the bot stopped while starting: {run.exception()!r}")
        if not ready.done():
            ready.cancel()
            raise AssertionError("the bot did not become ready within 15 s")
        return bot

    async def stop_bot(self) -> None:
        """Shut the bot down cleanly (the database stays)."""
        if self.bot is not None:
            await self.bot.close()
            self.bot = None
        for run in self.runs:
            with contextlib.suppress(Exception):
                await run
        self.runs.clear()

    async def run(
        self, who: Member, command: str, channel: Channel | None = None, **options: Any
    ) -> InteractionResult:
        """`who` types a slash command in the class channel (or another one)."""
        it = await self.sandbox.run_command(who, command, channel=channel or self.channel, options=options)
        if it.deferred:
            await it.wait_followup(timeout=10)
        return it

    def posts(self, channel: Channel | None = None) -> list[Message]:
        """What the bot posted in the class channel (or another), in order, interaction replies left out."""
        bot_id = self.sandbox.bot_user.id
        return [m for m in (channel or self.channel).messages if m.author_id == bot_id and not m.deleted]


def settings_for(sandbox: Sandbox, tmp_path: Path, config: Path, database_url: str | None = None) -> Settings:
    """Settings pointing at the sandbox and a database (default a fresh SQLite file), ignoring .env."""
    return Settings(
        _env_file=None,
        discord_token=sandbox.token,
        database_url=database_url or f"sqlite+aiosqlite:///{tmp_path / 'conductor.db'}",
        discord_api_base=sandbox.api_base,
        discord_gateway_url=sandbox.gateway_url,
        conductor_config=config,
    )


@pytest.fixture
def limits() -> SandboxLimits:
    """Discord's limits, with short rate-limit windows so tests stay quick."""
    return SandboxLimits()


@pytest.fixture
async def sandbox(limits: SandboxLimits) -> AsyncIterator[Sandbox]:
    sb = Sandbox(limits=limits)
    await sb.start()
    try:
        yield sb
    finally:
        await sb.close()
    # Every request the bot made in the test must match Discord's OpenAPI description.
    assert_requests_match_contract(sb)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path, warning_seconds="warning_seconds = [1]\n# ")


def populate(sandbox: Sandbox, students: int = 8) -> tuple[Guild, Channel, Member, list[Member]]:
    """A guild like the course's: roles, the class channel, one instructor and `students` students."""
    guild = sandbox.add_guild("DTU 02501 ADLCV")
    instructor_role = guild.add_role("Instructor")
    student_role = guild.add_role("Student")
    channel = guild.add_text_channel("reading-group")
    teacher = guild.add_member("Teacher Dimitrios", username="teacher-dimitrios", roles=[instructor_role])
    people = [
        guild.add_member(f"Student {i:02d}", username=f"student{i:02d}", roles=[student_role])
        for i in range(1, students + 1)
    ]
    return guild, channel, teacher, people


async def open_class(
    sandbox: Sandbox,
    tmp_path: Path,
    config: Path,
    students: int = 8,
    closed: tuple[str, ...] = (),
    database_url: str | None = None,
) -> Classroom:
    """A class of `students` on the sandbox (DMs closed for the names in `closed`), the real bot started."""
    guild, channel, teacher, people = populate(sandbox, students=students)
    for member in people:
        member.dms_open = member.name not in closed
    settings = settings_for(sandbox, tmp_path, config, database_url)
    room = Classroom(sandbox, guild, channel, teacher, people, load_config(config), settings)
    await room.start_bot()
    return room


@pytest.fixture
async def classroom(
    sandbox: Sandbox, tmp_path: Path, config_path: Path, db_url: str
) -> AsyncIterator[Classroom]:
    room = await open_class(sandbox, tmp_path, config_path, database_url=db_url)
    try:
        yield room
    finally:
        await room.stop_bot()


class BotProcess:
    """`python -m bot run` in its own process, pointed at the sandbox; can be killed with SIGKILL."""

    ARGS: tuple[str, ...] = ()  # after `run` (the Slack app adds `--platform slack`)

    def __init__(self, sandbox: Sandbox, settings: Settings) -> None:
        self.sandbox = sandbox
        self.settings = settings
        self.proc: asyncio.subprocess.Process | None = None
        self.log = b""

    def env(self) -> dict[str, str]:
        return self.sandbox.bot_env(str(self.settings.database_url), self.settings.conductor_config)

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            *self.ARGS,
            env=self.env(),
            cwd=str(ROOT),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )

    async def kill(self) -> bytes:
        assert self.proc is not None
        self.proc.kill()
        out, _ = await self.proc.communicate()
        self.log += out or b""
        return self.log

    async def terminate(self) -> bytes:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.terminate()
        out, _ = await self.proc.communicate()
        self.log += out or b""
        return self.log


async def press(sandbox: Sandbox, who: Member, message: Message, custom_id: str) -> InteractionResult:
    """Someone presses a button; a busy bot may defer first, so wait for the answer that follows."""
    it = await sandbox.click(who, message, custom_id)
    if it.deferred:
        await it.wait_followup(timeout=15)
    return it
