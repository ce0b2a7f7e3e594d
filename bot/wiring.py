"""The one place that builds everything (settings, course, database, scheduler, bot) and runs it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord
import discord.gateway
import discord.http
import yarl

from bot.app import EXTENSIONS, ConductorBot, ShardedConductorBot
from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConductorError
from bot.core.plan import Course
from bot.core.shards import shards_from
from bot.scheduling import Scheduler
from bot.settings import Settings
from bot.storage.db import Database

log = logging.getLogger(__name__)
DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"


def endpoints(settings: Settings, course: Course) -> tuple[str, str]:
    """The REST base and gateway URL: environment first, then `[discord]` in the config, then Discord."""
    api = settings.discord_api_base or course.api_base or DISCORD_API_BASE
    gateway = settings.discord_gateway_url or course.gateway_url or DISCORD_GATEWAY
    return api.rstrip("/"), gateway


def point_discord_at(api_base: str, gateway_url: str) -> None:
    """Point discord.py at a Discord endpoint (a REST proxy, or the local sandbox)."""
    # discord.py keeps these as class attributes; REST, interaction callbacks and webhooks all use Route.
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def build_bot(
    settings: Settings,
    course: Course,
    *,
    clock: Clock | None = None,
    extensions: Sequence[str] = EXTENSIONS,
    guild_ready_timeout: float = 2.0,
) -> ConductorBot:
    """Build a ready-to-start bot with its database, scheduler and clock."""
    point_discord_at(*endpoints(settings, course))
    shards = shards_from(settings.shard_count, settings.shard_ids)
    if shards is not None:
        log.info("serving %s", shards.describe())
    return (ShardedConductorBot if shards is not None else ConductorBot)(
        shards=shards,
        course=course,
        settings=settings,
        db=Database(settings.resolved_database_url()),
        scheduler=Scheduler(),
        clock=clock or SystemClock(),
        extensions=extensions,
        guild_ready_timeout=guild_ready_timeout,
    )


def token_from(settings: Settings) -> str:
    """The bot token from the environment, or a clear error saying how to provide it."""
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        raise ConductorError(
            "No bot token: set DISCORD_TOKEN in the environment (or in a .env file beside config.toml). "
            "The README explains how to create the Discord application and get one."
        )
    return settings.discord_token.get_secret_value().strip()


async def run(settings: Settings, course: Course) -> None:
    """Log in and run until stopped."""
    token = token_from(settings)
    bot = build_bot(settings, course)
    async with bot:
        await bot.start(token)
