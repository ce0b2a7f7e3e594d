"""Fixtures: a started Sandbox, discord.py pointed at it (restored afterwards), and a bare test bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from discord_sandbox import Sandbox, SandboxLimits


class ProbeBot(commands.Bot):
    """A bare discord.py bot that records what happened to it."""

    def __init__(self, guild_id: int | None, intents: discord.Intents | None = None) -> None:
        if intents is None:
            intents = discord.Intents.default()
            intents.members = True
        super().__init__(
            command_prefix="!",
            intents=intents,
            guild_ready_timeout=0.05,
            chunk_guilds_at_startup=False,
        )
        self.guild_id = guild_id
        self.errors: list[BaseException] = []
        self.interactions: list[discord.Interaction] = []
        self.resumed = 0
        self.tree.on_error = self._tree_error  # type: ignore[method-assign]

    async def _tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        self.errors.append(getattr(error, "original", error))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        self.interactions.append(interaction)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every non-initial IDENTIFY; skip that locally."""

    async def on_resumed(self) -> None:
        self.resumed += 1

    async def setup_hook(self) -> None:
        if self.guild_id is not None:
            guild = discord.Object(self.guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)


@pytest.fixture
def limits() -> SandboxLimits:
    """Default limits for a test (rate limits on, with short windows)."""
    return SandboxLimits(channel_window=0.5, route_window=0.5)


@pytest.fixture
async def sb(limits: SandboxLimits) -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(limits=limits)
    await sandbox.start()
    discord.http.Route.BASE = sandbox.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sandbox.gateway_url)
    try:
        yield sandbox
    finally:
        await sandbox.close()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def discord_log() -> AsyncIterator[list[logging.LogRecord]]:
    """Warnings and errors discord.py logged during the test."""
    handler = _Collect()
    logger = logging.getLogger("discord")
    logger.addHandler(handler)
    yield handler.records  # type: ignore[misc]
    logger.removeHandler(handler)


@pytest.fixture
async def run_bot(
    sb: Sandbox, discord_log: list[logging.LogRecord]
) -> AsyncIterator[Callable[[ProbeBot], asyncio.Future]]:
    """Start a bot against the sandbox and wait for on_ready; closes it at teardown."""
    started: list[tuple[ProbeBot, asyncio.Task]] = []

    async def start(bot: ProbeBot) -> ProbeBot:
        task = asyncio.create_task(bot.start(sb.token))
        started.append((bot, task))
        await sb.wait_ready(timeout=5)
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        return bot

    yield start  # type: ignore[misc]
    for bot, task in started:
        await bot.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
    unexpected = [
        f"{r.name}: {r.getMessage()}"
        for r in discord_log
        if not any(
            s in r.getMessage()
            for s in ("rate limit", "Attempting a reconnect", "PyNaCl", "davey", "message content intent")
        )
    ]
    assert unexpected == [], "discord.py logged problems"


@pytest.fixture
def make_bot() -> Callable[..., ProbeBot]:
    """Factory for a bare ProbeBot syncing its tree to one guild."""
    return ProbeBot
