"""The bot itself: a discord.py client that is handed everything it needs and starts it once."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Sequence

import discord
from aiohttp import web
from discord.ext import commands

from bot.core.clock import Clock
from bot.core.plan import Course
from bot.delivery import Deliverer
from bot.scheduling import Scheduler
from bot.services.assignments import AssignmentService, DiscordThreads
from bot.services.calendar import CalendarService
from bot.services.changes import Changes
from bot.services.names import DisplayNames
from bot.services.projector import ProjectorService
from bot.services.projects import ProjectService
from bot.services.rooms import DiscordRooms, class_targets, instructor_ids, student_ids
from bot.services.roster import RosterService
from bot.services.sessions import SessionService
from bot.services.submissions import SubmissionService
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import BotState
from bot.tree import ConductorTree
from bot.web.server import ProjectorServer

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = (
    "cogs.admin",
    "cogs.session",
    "cogs.assign",
    "cogs.roster",
    "cogs.submit",
    "cogs.deliverables",
    "cogs.projects",
    "cogs.calendar",
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
    ) -> None:
        super().__init__(
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
        self.changes = Changes()
        self.sessions = SessionService(course, db, scheduler, clock, self.deliverer, changes=self.changes)
        self.assignments = AssignmentService(
            course, db, clock, scheduler, self.deliverer.flush, DiscordThreads(self)
        )
        self.roster = RosterService(db)
        self.submissions = SubmissionService(course, db, clock, self.deliverer.flush, changes=self.changes)
        self.projector = ProjectorService(course, db, clock)
        self.web: ProjectorServer | None = None
        if course.web is not None:
            self.web = ProjectorServer(
                self.projector,
                course.tz,
                host=course.web.host,
                port=course.web.port,
                public_url=course.web.public_url,
            )
            self.changes.listen(self.web.notify)
        self.sessions.on_collect = self.submissions.enqueue_slide_reminders
        self.projects = ProjectService(
            course,
            db,
            clock,
            self.deliverer.flush,
            DiscordRooms(self),
            lambda guild_id: instructor_ids(self, guild_id),
        )
        self.sessions.on_announce = self.projects.on_announce
        self.calendar = CalendarService(
            course,
            db,
            clock,
            scheduler,
            self.deliverer.flush,
            self.projects,
            lambda: class_targets(self),
            lambda guild_id: student_ids(self, guild_id),
        )
        if self.web is not None:
            self.web.routes.append(("/calendar/{token}.ics", self.calendar_feed))
        self.sessions.on_ended = self.assignments.archive_threads
        self.names = DisplayNames(db, clock)

    async def setup_hook(self) -> None:
        """Run once per process: migrate, load the cogs, start timers from the database, sync commands."""
        await self.db.migrate()
        if self.web is not None:
            await self.web.start()
        for extension in self.initial_extensions:
            await self.load_extension(extension)
        self.scheduler.start()
        await self.deliverer.flush_all()  # posts decided before a crash go out first, once
        await self.sessions.rebuild()
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Sync slash commands to the dev guild (instantly) or globally, only when the command set changed."""
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

    async def calendar_feed(self, request: web.Request) -> web.Response:
        """The course calendar as an iCalendar feed, at a secret address (`/calendar` shows it)."""
        token = await self.calendar.feed_token()
        if not hmac.compare_digest(request.match_info["token"].encode(), token.encode()):
            raise web.HTTPNotFound(text="Not found.")
        return web.Response(
            body=self.calendar.ics(),
            content_type="text/calendar",
            charset="utf-8",
            headers={"Content-Disposition": 'inline; filename="course.ics"'},
        )

    async def on_ready(self) -> None:
        """Only logs: this fires again on every reconnect, so no start-up work lives here."""
        log.info("connected as %s to %d guild(s)", self.user, len(self.guilds))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Whoever interacts in a server is seen: a seated student's stored display name follows theirs."""
        user = interaction.user
        if interaction.guild_id is not None and isinstance(user, discord.Member):
            await self.names.seen(interaction.guild_id, user.id, user.display_name)

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """A member's display name changed: a seated student's stored display name follows."""
        if before.display_name != after.display_name:
            await self.names.seen(after.guild.id, after.id, after.display_name)

    async def close(self) -> None:
        """Stop timers (letting running ones finish), close the gateway, release the database."""
        await self.scheduler.drain()
        await self.deliverer.settle()  # posts being sent finish; what is left stays in the outbox
        self.scheduler.shutdown()
        if self.web is not None:
            await self.web.close()
        await super().close()
        await self.db.close()
