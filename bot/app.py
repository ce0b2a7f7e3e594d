"""The bot itself: a discord.py client that is handed everything it needs and starts it once."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence

import discord
from discord.ext import commands

from bot.core.clock import Clock
from bot.core.plan import Course
from bot.core.shards import Shards
from bot.delivery import Deliverer
from bot.scheduling import Scheduler
from bot.services.assignments import AssignmentService, DiscordThreads
from bot.services.roster import RosterService
from bot.services.sessions import SessionService
from bot.services.submissions import SubmissionService
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import BotState
from bot.tree import ConductorTree

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "cogs.admin",
    "cogs.session",
    "cogs.assign",
    "cogs.roster",
    "cogs.submit",
    "cogs.deliverables",
)


def intents() -> discord.Intents:
    """The gateway intents Conductor needs: guilds and members (to know the class), no message content."""
    chosen = discord.Intents.default()
    chosen.members = True
    chosen.message_content = False
    return chosen


class ConductorBot(commands.Bot):
    """Conductor's Discord client. Built by `bot.wiring`; all start-up work happens in `setup_hook`."""

    def __init__(
        self,
        *,
        course: Course,
        settings: Settings,
        db: Database,
        scheduler: Scheduler,
        clock: Clock,
        extensions: Sequence[str] = EXTENSIONS,
        guild_ready_timeout: float = 2.0,
        shards: Shards | None = None,
    ) -> None:
        sharding = {"shard_ids": list(shards.ids), "shard_count": shards.count} if shards else {}
        super().__init__(
            **sharding,  # type: ignore[arg-type]
            command_prefix=commands.when_mentioned,
            intents=intents(),
            tree_cls=ConductorTree,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            guild_ready_timeout=guild_ready_timeout,
            chunk_guilds_at_startup=False,
        )
        self.course = course
        self.settings = settings
        self.db = db
        self.scheduler = scheduler
        self.clock = clock
        self.initial_extensions = tuple(extensions)
        self.synced_scopes: list[str] = []
        self.deliverer = Deliverer(self)
        self.sessions = SessionService(course, db, scheduler, clock, self.deliverer)
        self.assignments = AssignmentService(
            course, db, clock, scheduler, self.deliverer.flush, DiscordThreads(self)
        )
        self.roster = RosterService(db)
        self.submissions = SubmissionService(course, db, clock, self.deliverer.flush)
        self.sessions.on_collect = self.submissions.enqueue_slide_reminders
        self.sessions.on_ended = self.assignments.archive_threads
        # Sharded across processes: this one times and delivers only its own guilds' work.
        self.shard_set = shards
        owns = shards.owns if shards is not None else None
        self.sessions.owns = self.assignments.owns = self.deliverer.owns = owns

    async def setup_hook(self) -> None:
        """Run once per process: migrate, load the cogs, start timers from the database, sync commands."""
        await self.db.migrate()
        for extension in self.initial_extensions:
            await self.load_extension(extension)
        self.scheduler.start()
        await self.deliverer.flush_all()  # posts decided before a crash go out first, once
        await self.sessions.rebuild()
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Sync slash commands to the dev guild (instantly) or globally, only when the command set changed."""
        if self.shard_set is not None and not self.shard_set.syncs_commands:
            log.info("%s: commands are synced by the process owning shard 0", self.shard_set.describe())
            return
        guild = discord.Object(self.course.dev_guild_id) if self.course.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        scope = f"commands:{guild.id if guild else 'global'}"
        async with self.db.session() as session, session.begin():
            row = await session.get(BotState, scope)
            if row is not None and row.value == digest:
                log.info("slash commands unchanged (%s): not syncing", scope)
                return
        await self.tree.sync(guild=guild)
        async with self.db.session() as session, session.begin():
            await session.merge(BotState(key=scope, value=digest))
        self.synced_scopes.append(scope)
        log.info("synced %d slash commands (%s)", len(payload), scope)

    async def on_ready(self) -> None:
        """Only logs: this fires again on every reconnect, so no start-up work lives here."""
        log.info("connected as %s to %d guild(s)", self.user, len(self.guilds))

    async def close(self) -> None:
        """Stop timers (letting running ones finish), close the gateway, release the database."""
        await self.scheduler.drain()
        await self.deliverer.settle()  # posts being sent finish; what is left stays in the outbox
        self.scheduler.shutdown()
        await super().close()
        await self.db.close()


class ShardedConductorBot(ConductorBot, commands.AutoShardedBot):
    """Conductor on some of Discord's shards (`SHARD_IDS` of `SHARD_COUNT`), beside other processes."""
