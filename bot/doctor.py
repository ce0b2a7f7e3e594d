"""`python -m bot doctor`: the pre-flight a teacher runs before class, with the bot's own token and config.

Each check prints one line, OK or PROBLEM with what to do (SKIPPED when an earlier problem hides it);
the exit status is 0 only when every check passed. It talks to Discord over REST through discord.py's
own HTTP client (`Client.login`, then fetches), never over the gateway, and it changes nothing: the
database is only read, commands are not synced. The one thing it sends is the opt-in test DM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import discord

from bot import logs
from bot.adapters.discord.needs import CHANNEL_NEEDS, missing_permissions
from bot.core.plan import Course
from bot.settings import Settings

log = logging.getLogger(__name__)
DM_TEST_TEXT = (
    "Conductor pre-flight check (`python -m bot doctor --dm-test`): if you can read this, role cards and "
    "notices can reach you by DM. No reply needed."
)


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, OK / PROBLEM / SKIPPED, and what was found or what to do."""

    name: str
    status: str
    detail: str

    def line(self) -> str:
        """The printed line."""
        return f"{self.status:<8} {self.name}: {self.detail}"


@dataclass
class Doctor:
    """Runs the checks in order and keeps their results."""

    settings: Settings
    config_path: Path
    dm_test: str | None = None
    guild_id: int | None = None
    checks: list[Check] = field(default_factory=list)

    def ok(self, name: str, detail: str) -> None:
        """Record a passed check."""
        self.checks.append(Check(name, "OK", detail))

    def problem(self, name: str, detail: str) -> None:
        """Record a failed check with what to do."""
        self.checks.append(Check(name, "PROBLEM", detail))

    def skip(self, names: Iterable[str], why: str) -> None:
        """Record checks that could not run."""
        for name in names:
            self.checks.append(Check(name, "SKIPPED", why))

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return bool(self.checks) and all(c.status == "OK" for c in self.checks)

    # --- the checks ------------------------------------------------------------------------------

    async def run(self) -> list[Check]:
        """Run every check (later ones are skipped when what they need failed)."""
        course = self.check_config()
        await self.check_database()
        discord_checks = [
            "intents",
            "server",
            "class channel",
            "roles",
            "teachers",
            "permissions",
            "commands",
        ]
        if self.dm_test:
            discord_checks.append("test DM")
        token = self.settings.discord_token.get_secret_value().strip() if self.settings.discord_token else ""
        if not token:
            self.problem(
                "token",
                "DISCORD_TOKEN is not set: put the bot token in the environment (or .env); the README says "
                "where to find it",
            )
            self.skip(discord_checks, "needs the token")
            return self.checks
        from bot.adapters.discord.wiring import DISCORD_API_BASE, DISCORD_GATEWAY, endpoints, point_discord_at

        if course is not None:
            point_discord_at(*endpoints(self.settings, course))
        else:
            point_discord_at(
                (self.settings.discord_api_base or DISCORD_API_BASE).rstrip("/"),
                self.settings.discord_gateway_url or DISCORD_GATEWAY,
            )
        client = discord.Client(
            intents=discord.Intents(guilds=True, members=True)
        )  # REST only: never connects
        try:
            if await self.check_token(client, token):
                try:
                    await self.check_discord(client, course, discord_checks)
                except (discord.HTTPException, aiohttp.ClientError, OSError) as error:
                    done = {c.name for c in self.checks}
                    left = [name for name in discord_checks if name not in done]
                    self.problem(left[0], f"Discord answered with an error ({error}): run the doctor again")
                    self.skip(left[1:], "stopped at the error above")
            else:
                self.skip(discord_checks, "needs a token Discord accepts")
        finally:
            await client.close()
        return self.checks

    def check_config(self) -> Course | None:
        """The configuration loads and validates."""
        from bot.config import ConfigError, load_config

        try:
            course = load_config(self.config_path)
        except ConfigError as error:
            self.problem("config", f"{error} (`python -m bot check-config {self.config_path}` shows more)")
            return None
        self.ok(
            "config",
            f"{self.config_path}: {course.name}; {len(course.papers)} papers, {len(course.roles)} roles, "
            f"plans {', '.join(course.plans)}",
        )
        return course

    async def check_database(self) -> None:
        """The database is reachable and at the newest migration (read only: nothing is created)."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory
        from sqlalchemy.engine import make_url
        from sqlalchemy.ext.asyncio import create_async_engine

        from bot.storage.db import alembic_config

        url = self.settings.resolved_database_url()
        parsed = make_url(url)
        shown = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            if not await asyncio.to_thread(Path(parsed.database).exists):
                self.problem(
                    "database",
                    f"{shown}: the file does not exist yet. Start the bot once (`python -m bot run` creates "
                    "and migrates it), or set DATABASE_URL / DATA_DIR to where it lives",
                )
                return
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                current = await conn.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
        except Exception as error:  # any driver's error: say it in one line, without the password
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            self.problem(
                "database", f"cannot reach {shown} ({reason}): check DATABASE_URL and that the server is up"
            )
            return
        finally:
            await engine.dispose()
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        if current == head:
            self.ok("database", f"{shown} reachable, schema at revision {head} (the newest)")
        elif current is None:
            self.problem(
                "database",
                f"{shown} is reachable but not migrated (no schema): start the bot once, it migrates at "
                "start-up",
            )
        else:
            self.problem(
                "database",
                f"{shown} is at revision {current}, this version needs {head}: back it up "
                "(`python -m bot backup PATH` or pg_dump), then start the bot once: it migrates at start-up",
            )

    async def check_token(self, client: discord.Client, token: str) -> bool:
        """Discord accepts the token (GET /users/@me and the application, as the bot's own login does)."""
        try:
            await client.login(token)
        except discord.LoginFailure:
            self.problem(
                "token",
                "Discord refused the token (401 Unauthorized): copy it again from the Developer Portal "
                "(your application > Bot > Reset Token) into DISCORD_TOKEN",
            )
            return False
        except (discord.HTTPException, aiohttp.ClientError, OSError) as error:
            self.problem(
                "token", f"could not reach Discord at {discord.http.Route.BASE} ({error}): check the network"
            )
            return False
        user = client.user
        self.ok("token", f"accepted: logged in as {user} (application {client.application_id})")
        return True

    async def check_discord(self, client: discord.Client, course: Course | None, names: list[str]) -> None:
        """Everything that needs Discord: intents, the server, channel, roles, teachers, permissions, commands."""
        self.check_intents(client)
        if course is None:
            self.skip(names[1:], "needs a valid configuration")
            return
        guild = await self.find_guild(client, course)
        if guild is None:
            self.skip(names[2:], "needs the server")
            return
        channels = await guild.fetch_channels()
        channel = self.check_channel(guild, channels, course)
        self.check_roles(guild, course)
        members = await self.check_teachers(guild, course)
        if channel is None:
            self.skip(["permissions"], "needs the class channel")
        else:
            await self.check_permissions(client, guild, channel)
        await self.check_commands(client, course)
        if self.dm_test:
            await self.check_dm(client, members)

    def check_intents(self, client: discord.Client) -> None:
        """The Server Members privileged intent is enabled for the application (its flags say so)."""
        flags = client.application.flags if client.application is not None else None
        if flags is not None and (flags.gateway_guild_members or flags.gateway_guild_members_limited):
            self.ok("intents", "Server Members intent enabled (Message Content is not needed)")
            return
        self.problem(
            "intents",
            "the Server Members intent is off, and Discord would refuse the bot's connection (4014): in the "
            "Developer Portal, your application > Bot > Privileged Gateway Intents, turn on Server Members "
            "Intent and save",
        )

    async def find_guild(self, client: discord.Client, course: Course) -> discord.Guild | None:
        """The server to check: --guild, else [discord] dev_guild_id, else the one holding the class channel."""
        partial = [g async for g in client.fetch_guilds(limit=200)]
        if not partial:
            self.problem(
                "server",
                "the bot is in no server: invite it with the scopes bot and applications.commands (README, "
                "Creating the Discord application, step 3)",
            )
            return None
        wanted = self.guild_id or course.dev_guild_id
        if wanted is not None:
            chosen = [g for g in partial if g.id == wanted]
            if not chosen:
                names = ", ".join(f"{g.name} ({g.id})" for g in partial)
                self.problem(
                    "server", f"the bot is not in server {wanted}; it is in: {names}. Invite it there"
                )
                return None
        elif len(partial) == 1:
            chosen = partial
        else:
            chosen = []
            for g in partial:
                if any(_same_name(c.name, course.class_channel) for c in await g.fetch_channels()):
                    chosen.append(g)
            if len(chosen) != 1:
                names = ", ".join(f"{g.name} ({g.id})" for g in partial)
                self.problem(
                    "server",
                    f"the bot is in {len(partial)} servers ({names}) and {len(chosen)} have "
                    f"#{course.class_channel}: name the class's with --guild ID",
                )
                return None
        guild = await client.fetch_guild(chosen[0].id)
        self.ok("server", f"{guild.name} ({guild.id})")
        return guild

    def check_channel(
        self, guild: discord.Guild, channels: Sequence[discord.abc.GuildChannel], course: Course
    ) -> discord.TextChannel | None:
        """The class channel exists as a text channel."""
        found = [
            c
            for c in channels
            if isinstance(c, discord.TextChannel) and _same_name(c.name, course.class_channel)
        ]
        if found:
            self.ok("class channel", f"#{found[0].name} ({found[0].id})")
            return found[0]
        texts = ", ".join(f"#{c.name}" for c in channels if isinstance(c, discord.TextChannel)) or "none"
        self.problem(
            "class channel",
            f"no text channel #{course.class_channel} in {guild.name} (text channels: {texts}): create it, "
            "or set [discord] class_channel to the channel's name",
        )
        return None

    def check_roles(self, guild: discord.Guild, course: Course) -> None:
        """The instructor roles and the student role exist."""
        have = {r.name.casefold() for r in guild.roles}
        wanted = [*course.instructor_roles, course.student_role]
        missing = [name for name in wanted if name.casefold() not in have]
        if not missing:
            self.ok("roles", ", ".join(f"@{name}" for name in wanted))
            return
        self.problem(
            "roles",
            f"no role {', '.join('@' + m for m in missing)} in {guild.name}: create it (Server Settings > "
            "Roles), or fix [discord] instructor_roles / student_role in the configuration",
        )

    async def check_teachers(self, guild: discord.Guild, course: Course) -> list[discord.Member]:
        """Every teacher named in the configuration is a member (by Discord username or user id)."""
        try:
            members = [m async for m in guild.fetch_members(limit=None)]
        except discord.Forbidden:
            self.problem(
                "teachers",
                "Discord refused the member list (it needs the Server Members intent): enable it (see intents)",
            )
            return []
        if not course.teachers:
            self.ok("teachers", "none named in the configuration")
            return members
        usernames = {m.name.casefold() for m in members} | {str(m.id) for m in members}
        missing = [t for t in course.teachers if t.discord.casefold() not in usernames]
        if not missing:
            self.ok(
                "teachers",
                f"all {len(course.teachers)} found ({', '.join(t.discord for t in course.teachers)})",
            )
            return members
        names = ", ".join(f"{t.name} ({t.discord})" for t in missing)
        self.problem(
            "teachers",
            f"not members of {guild.name}: {names}. Invite them, or fix their `discord` username in "
            "[[teachers]] (the username, not the display name)",
        )
        return members

    async def check_permissions(
        self, client: discord.Client, guild: discord.Guild, channel: discord.TextChannel
    ) -> None:
        """The bot has every permission it needs in the class channel, threads included."""
        assert client.user is not None
        me = await guild.fetch_member(client.user.id)
        missing = missing_permissions(channel.permissions_for(me))
        if not missing:
            labels = ", ".join(label for _, label, _ in CHANNEL_NEEDS)
            self.ok("permissions", f"in #{channel.name} the bot has all it needs ({labels})")
            return
        grant = "; ".join(f"{label} (to {why})" for label, why in missing)
        self.problem(
            "permissions",
            f"in #{channel.name} grant the bot: {grant}. Channel > Edit Channel > Permissions, or the bot's "
            "role in Server Settings > Roles",
        )

    async def check_commands(self, client: discord.Client, course: Course) -> None:
        """Discord holds the slash commands this version registers (the bot syncs them at start-up)."""
        expected = await expected_commands(self.settings, course)
        app_id = client.application_id
        assert app_id is not None
        where = "globally"
        if course.dev_guild_id:
            remote = await client.http.get_guild_commands(app_id, course.dev_guild_id)
            where = f"in the dev guild {course.dev_guild_id}"
        else:
            remote = await client.http.get_global_commands(app_id)
        have = {_signature(c) for c in remote}
        missing = sorted(name for name, sig in expected.items() if sig not in have)
        if not missing:
            self.ok("commands", f"{len(expected)} slash commands synced {where}")
            return
        self.problem(
            "commands",
            f"not synced {where} (or out of date): {', '.join('/' + m for m in missing)}. Start the bot "
            "(`python -m bot run`): it syncs the commands at start-up",
        )

    async def check_dm(self, client: discord.Client, members: list[discord.Member]) -> None:
        """A test DM reaches the named user (a username or a user id)."""
        target = (self.dm_test or "").strip().removeprefix("@")
        user: discord.abc.User | None = None
        if target.isdigit():
            try:
                user = await client.fetch_user(int(target))
            except discord.NotFound:
                user = None
        else:
            user = next((m for m in members if m.name.casefold() == target.casefold()), None)
        if user is None:
            self.problem("test DM", f"no user {target!r} found in the server: give a username or a user id")
            return
        try:
            await user.send(DM_TEST_TEXT, allowed_mentions=discord.AllowedMentions.none())
        except discord.Forbidden as error:
            self.problem(
                "test DM",
                f"Discord refused a DM to {user.name} ({error.code}: {error.text}): they should allow DMs from "
                "server members (the server's name > Privacy Settings > Direct Messages); otherwise their "
                "role card is shown in their group thread instead",
            )
            return
        self.ok("test DM", f"delivered to {user.name}")


def _same_name(a: str, b: str) -> bool:
    return a.casefold().lstrip("#") == b.casefold().lstrip("#")


def _signature(command: Mapping[str, Any]) -> tuple[str, int, frozenset[str]]:
    """A command's name, type and sub-command names: what must match between this code and Discord."""
    subs = frozenset(o["name"] for o in command.get("options") or [] if o.get("type") in (1, 2))
    return command["name"], int(command.get("type") or 1), subs


async def expected_commands(settings: Settings, course: Course) -> dict[str, tuple[str, int, frozenset[str]]]:
    """The commands this version registers: its cogs loaded into an unconnected bot on a scratch database."""
    from bot.adapters.discord.client import ConductorBot
    from bot.core.clock import SystemClock
    from bot.scheduling import Scheduler
    from bot.storage.db import Database

    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}")
        bot = ConductorBot(
            course=course, settings=settings, db=db, scheduler=Scheduler(), clock=SystemClock()
        )
        try:
            await db.migrate()
            for extension in bot.initial_extensions:
                await bot.load_extension(extension)
            payload = [c.to_dict(bot.tree) for c in bot.tree.get_commands()]
        finally:
            await db.close()
    return {c["name"]: _signature(c) for c in payload}


def main_doctor(args: argparse.Namespace) -> int:
    """Run the checks, print one line each and a verdict; 0 only when all passed."""
    settings = Settings()
    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    logs.setup("WARNING", settings.log_format, secrets=[token, token.strip()])
    for noisy in ("alembic", "discord", "apscheduler", "bot"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    doctor = Doctor(
        settings,
        args.config or settings.conductor_config,
        dm_test=args.dm_test,
        guild_id=args.guild,
    )
    asyncio.run(doctor.run())
    for check in doctor.checks:
        print(check.line())
    failed = [c for c in doctor.checks if c.status != "OK"]
    if not failed:
        print(f"All {len(doctor.checks)} checks passed: ready for class.")
        return 0
    problems = sum(c.status == "PROBLEM" for c in failed)
    print(
        f"{problems} problem(s), {len(failed) - problems} check(s) skipped: fix them and run the doctor again."
    )
    sys.stdout.flush()
    return 1
