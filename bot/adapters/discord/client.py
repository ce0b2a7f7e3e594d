"""The bot itself: a discord.py client that is handed everything it needs and starts it once."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot import logs, startup
from bot.adapters.discord.pacing import GlobalPacer
from bot.adapters.discord.pacing import install as install_pacer
from bot.adapters.discord.rooms import DiscordRooms, class_targets, instructor_ids, student_ids
from bot.adapters.discord.sender import DiscordSender
from bot.adapters.discord.threads import DiscordThreads
from bot.adapters.discord.tree import ConductorTree
from bot.compose import FrontEnd, build_application
from bot.core.clock import Clock
from bot.core.plan import Course
from bot.core.shards import Shards
from bot.delivery import Deliverer
from bot.lifecycle import Shutdown
from bot.scheduling import Scheduler
from bot.settings import Settings
from bot.storage.db import Database

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)
# After the grace, posts stop being started; what is being sent (and interaction answers) gets this long.
CUTOFF_SECONDS = 3.0
RESTARTING = (
    "I am restarting right now, so I did not do that and nothing was changed. Please try again in a minute."
)

EXTENSIONS: tuple[str, ...] = (
    "bot.adapters.discord.cogs.admin",
    "bot.adapters.discord.cogs.session",
    "bot.adapters.discord.cogs.assign",
    "bot.adapters.discord.cogs.roster",
    "bot.adapters.discord.cogs.submit",
    "bot.adapters.discord.cogs.deliverables",
    "bot.adapters.discord.cogs.projects",
    "bot.adapters.discord.cogs.calendar",
)


def intents() -> discord.Intents:
    """The gateway intents Conductor needs: guilds and members (to know the class), nothing else.

    Conductor talks through commands and buttons (interactions come without any intent) and never reads
    messages: without the message intents Discord does not echo each of its own posts and edits back
    over the gateway (with 500 sessions changing phase, a thousand events a transition to parse).
    """
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.members = True
    return chosen


def describe_interaction(data: dict[str, Any]) -> str:
    """What an interaction is, for the log: the command path or the component's custom id, and who.

    Never the options' values or a form's fields: those are what users typed.
    """
    inner = data.get("data") or {}
    user = (data.get("member") or {}).get("user") or data.get("user") or {}
    kind = data.get("type")
    if kind in (2, 4):
        path, options = [str(inner.get("name"))], inner.get("options") or []
        while options and options[0].get("type") in (1, 2):  # sub-command groups and sub-commands
            path.append(str(options[0].get("name")))
            options = options[0].get("options") or []
        what = ("autocomplete " if kind == 4 else "") + "/" + " ".join(path)
    elif kind in (3, 5):
        what = ("button/select " if kind == 3 else "form ") + str(inner.get("custom_id"))
    else:
        what = f"type {kind}"
    return f"{what} by user {user.get('id')}"


class ConductorBot(commands.Bot):
    """Conductor's Discord client. Built by `bot.adapters.discord.wiring`; all start-up work happens in `setup_hook`."""

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
            max_messages=None,  # no message cache: nothing reads it, and no message events arrive
        )
        # Discord's global limit belongs to the token: a process serving some of the shards takes their share.
        share = len(shards.ids) / shards.count if shards else 1.0
        self.pacer = GlobalPacer(max(1, int(settings.discord_global_per_second * share)))
        install_pacer(self.http, self.pacer)
        self.course = course
        self.settings = settings
        self.db = db
        self.scheduler = scheduler
        self.clock = clock
        self.initial_extensions = tuple(extensions)
        self.synced_scopes: list[str] = []
        self.sender = DiscordSender(self)
        self.deliverer = Deliverer(self.sender, db, clock, scheduler)
        self.shard_set = shards
        owns = shards.owns if shards is not None else None  # sharded: only this process's guilds
        self.deliverer.owns = owns
        threads = DiscordThreads(self)  # the session rooms' adapter, shared with the project rooms
        app = build_application(
            course,
            db,
            scheduler,
            clock,
            FrontEnd(
                outbox=self.deliverer,
                flush=self.deliverer.flush,
                threads=threads,
                rooms=DiscordRooms(self, threads),
                instructors=lambda guild_id: instructor_ids(self, guild_id),
                students=lambda guild_id: student_ids(self, guild_id),
                class_targets=lambda: class_targets(self),
                owns=owns,
            ),
        )
        self.app = app
        # The use cases, as the cogs reach them.
        self.changes = app.changes
        self.sessions = app.sessions
        self.assignments = app.assignments
        self.roster = app.roster
        self.submissions = app.submissions
        self.projector = app.projector
        self.web = app.web
        self.projects = app.projects
        self.calendar = app.calendar
        self.names = app.names
        self.stopping = False
        self.stop_reason: str | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()  # interaction handlers (and refusals) running
        self._setup_started = False
        self._setup_done = asyncio.Event()
        self._stop_task: asyncio.Task[None] | None = None
        self.shutdown = self._shutdown_sequence()
        self._watch_interactions()

    def _shutdown_sequence(self) -> Shutdown:
        """The closers, in order. A Slack socket or a web server joins with `shutdown.add(..., before="gateway")`."""
        grace = self.settings.stop_grace_seconds
        sequence = Shutdown()
        sequence.add("new work", self._stop_new_work, 1.0)
        sequence.add("work in flight", self._finish_work, grace + CUTOFF_SECONDS + 2.0)
        if self.web is not None:
            sequence.add("web", self.web.close, 3.0)  # open pages reconnect to the next process
        sequence.add("gateway", self._close_gateway, 5.0)
        sequence.add("timers", self._stop_timers, 1.0)
        sequence.add("database", self.db.close, 3.0)
        sequence.add("logs", self._last_words, 1.0)
        return sequence

    async def login(self, token: str) -> None:
        """Log in and run `setup_hook`; a stop that comes meanwhile waits for both (within its grace)."""
        self._setup_started = True
        try:
            await super().login(token)
        finally:
            self._setup_done.set()

    async def setup_hook(self) -> None:
        """Run once per process: migrate, load the cogs, catch up (outbox, timers), sync commands."""
        try:
            if self.stopping:
                return
            log.info("start-up: logged in as %s", self.user)
            await self.db.migrate()
            if self.web is not None:
                await self.web.start()
            # The cogs register the buttons (views) that posts name, so they load before the catch-up:
            # a role card re-sent after a crash must carry its Got it button.
            for extension in self.initial_extensions:
                await self.load_extension(extension)
            log.info("start-up: %d extensions loaded", len(self.initial_extensions))
            if self.stopping:
                return
            self.scheduler.start()
            await self.deliverer.flush_all()  # posts decided before a crash go out first, once
            await self.sessions.rebuild()
            log.info("start-up: caught up (outbox sent, live sessions' timers set)")
            if self.stopping:
                return
            await self.sync_commands()
        finally:
            startup.resume()  # paused since the first import (bot.startup)
            if self.stopping:
                log.info("stopping during start-up: the rest of start-up is left to the next start")

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
        if await self.db.state(scope) == digest:
            log.info("slash commands unchanged (%s): not syncing", scope)
            return
        await self.tree.sync(guild=guild)
        await self.db.set_state(scope, digest)
        self.synced_scopes.append(scope)
        log.info("synced %d slash commands (%s)", len(payload), scope)

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

    # --- interactions -----------------------------------------------------------------------------

    def _watch_interactions(self) -> None:
        """Track every interaction's handler tasks, tag their log lines, and refuse new ones while stopping."""
        parsers = self._connection.parsers
        original = parsers["INTERACTION_CREATE"]

        def parse(data: Any) -> None:
            guild, iid = data.get("guild_id"), data.get("id")
            with logs.bound(guild=int(guild) if guild else None, interaction=int(iid) if iid else None):
                level = (
                    logging.DEBUG if data.get("type") == 4 else logging.INFO
                )  # autocomplete: per keystroke
                log.log(level, "interaction: %s", describe_interaction(data))
                before = asyncio.all_tasks()
                if self.stopping:
                    self._refuse(data)
                else:
                    original(data)
                for task in asyncio.all_tasks() - before:  # what this interaction started
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)

        parsers["INTERACTION_CREATE"] = parse

    def _refuse(self, data: Any) -> None:
        """While stopping: answer a new command, click or form at once, instead of leaving it unanswered."""
        if data.get("type") not in (2, 3, 5):
            return  # pings and autocomplete get nothing
        interaction: discord.Interaction = discord.Interaction(data=data, state=self._connection)
        log.info("stopping: refused a new interaction (asked the user to try again in a minute)")
        asyncio.create_task(self._answer_restarting(interaction))  # noqa: RUF006 (tracked by parse)

    @staticmethod
    async def _answer_restarting(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message(RESTARTING, ephemeral=True)
        except discord.HTTPException as error:
            log.warning("stopping: could not answer interaction %s: %s", interaction.id, error)

    # --- stopping ---------------------------------------------------------------------------------

    def request_stop(self, reason: str) -> None:
        """Begin the graceful stop (a signal handler's entry point); returns at once."""
        if self.stop_reason is None:
            self.stop_reason = reason
        self._stop_task = asyncio.get_running_loop().create_task(self.close(), name="conductor-stop")

    async def close(self) -> None:
        """Stop gracefully and boundedly (idempotent): see `_shutdown_sequence` for the steps."""
        await self.shutdown.run()

    async def _stop_new_work(self) -> None:
        """No new timers fire and new interactions are answered "restarting"; work already begun goes on."""
        self.stopping = True
        self.scheduler.pause()
        self._stop_started = asyncio.get_running_loop().time()
        log.info(
            "stopping (%s): taking no new work; letting work in flight finish (up to %.0f s)",
            self.stop_reason or "close",
            self.settings.stop_grace_seconds,
        )

    def _busy(self) -> set[asyncio.Task[Any]]:
        tasks = set(self._in_flight) | self.scheduler.running | self.deliverer.tasks
        return {t for t in tasks if not t.done() and t is not asyncio.current_task()}

    async def _quiet_by(self, deadline: float) -> bool:
        """Wait until no interaction, timer, start-up or outbox round is running, or until `deadline`."""
        loop = asyncio.get_running_loop()
        while True:
            remaining = deadline - loop.time()
            busy = self._busy()
            if busy:
                if remaining <= 0:
                    return False
                await asyncio.wait(busy, timeout=remaining)
                continue
            if self._setup_started and not self._setup_done.is_set():
                if remaining <= 0:
                    return False
                try:
                    await asyncio.wait_for(self._setup_done.wait(), remaining)
                except TimeoutError:
                    return False
                continue
            if not self.deliverer.idle:
                if remaining <= 0 or not await self.deliverer.settle(remaining):
                    return False
                continue
            return True

    async def _finish_work(self) -> None:
        """Answer interactions already received and finish sending, within the grace; then cut cleanly."""
        loop = asyncio.get_running_loop()
        grace = self.settings.stop_grace_seconds
        if await self._quiet_by(loop.time() + grace):
            return
        log.warning(
            "stopping: work still running after %.1f s; posts not yet started stay in the outbox for the "
            "next start",
            grace,
        )
        self.deliverer.stop()  # rounds end after the post being sent; handlers then answer and return
        if await self._quiet_by(loop.time() + CUTOFF_SECONDS):
            return
        busy = self._busy()
        log.warning("stopping: cancelling %d task(s) still running", len(busy))
        self.shutdown.outcomes.append(("work in flight", f"{len(busy)} task(s) cancelled"))
        for task in busy:
            task.cancel()
        if busy:
            await asyncio.wait(busy, timeout=1.0)

    async def _close_gateway(self) -> None:
        """Close the gateway cleanly (close code 1000) and the HTTP session."""
        # discord.py asks for 1000, but its reader wakes first and closes with 4000 (resumable: Discord
        # keeps the session and shows the bot online for minutes; Rapptz/discord.py#6134). Every close of
        # this socket from now on says 1000: the session ends and the bot appears offline at once.
        socket = getattr(self.ws, "socket", None)
        if socket is not None and not socket.closed:
            close: Callable[..., Awaitable[bool]] = socket.close  # aiohttp's ClientWebSocketResponse.close

            async def close_for_good(*, code: int = 1000, message: bytes = b"") -> bool:
                return await close(code=1000, message=message)

            socket.close = close_for_good
        await super().close()

    async def _stop_timers(self) -> None:
        self.scheduler.shutdown()

    async def _last_words(self) -> None:
        started = getattr(self, "_stop_started", None)
        took = asyncio.get_running_loop().time() - started if started is not None else 0.0
        problems = [f"{name} {outcome}" for name, outcome in self.shutdown.outcomes if outcome != "done"]
        if problems:
            log.warning("stopped in %.1f s, with problems: %s", took, "; ".join(problems))
        else:
            log.info("stopped cleanly in %.1f s", took)
        logs.flush()


class ShardedConductorBot(ConductorBot, commands.AutoShardedBot):
    """Conductor on some of Discord's shards (`SHARD_IDS` of `SHARD_COUNT`), beside other processes."""
