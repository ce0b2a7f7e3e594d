"""The one place that builds everything (settings, course, database, scheduler, bot) and runs it."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import discord
import discord.gateway
import discord.http
import yarl
from sqlalchemy.engine import make_url

from bot.adapters.discord.client import EXTENSIONS, ConductorBot, ShardedConductorBot
from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConductorError
from bot.core.plan import Course
from bot.core.shards import shards_from
from bot.lifecycle import install_signal_handlers, remove_signal_handlers
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


def startup_line(
    settings: Settings, course: Course, config_path: Path, shard_count: int | None = None
) -> str:
    """One line saying what this process runs with (the database password hidden, never the token)."""
    api, gateway = endpoints(settings, course)
    database = make_url(settings.resolved_database_url()).render_as_string(hide_password=True)
    shards = "1 (unsharded)" if shard_count is None else str(shard_count)
    return (
        f"Conductor starting: config {config_path} ({course.name}); database {database}; "
        f"platform discord (REST {api}, gateway {gateway}); shards {shards}; "
        f"logs {settings.log_format} at {settings.log_level.upper()}; stop grace "
        f"{settings.stop_grace_seconds:g} s; discord.py {discord.__version__}; pid {os.getpid()}"
    )


async def run(settings: Settings, course: Course, config_path: Path | None = None) -> None:
    """Log in and run until SIGTERM or SIGINT, then stop gracefully (a second signal exits at once)."""
    token = token_from(settings)
    bot = build_bot(settings, course)
    log.info("%s", startup_line(settings, course, config_path or settings.conductor_config, bot.shard_count))
    loop = asyncio.get_running_loop()
    install_signal_handlers(loop, bot.request_stop)
    try:
        async with bot:
            await bot.start(token)
    except (discord.LoginFailure, discord.PrivilegedIntentsRequired):
        raise
    except Exception as error:
        if not bot.stopping:
            raise
        log.warning("start-up was interrupted by the stop: %r", error)
    finally:
        await bot.close()  # a no-op after a graceful stop; bounded in any case
        remove_signal_handlers(loop)
