"""The projects service's `Rooms` port on Discord: a private thread per group in the class channel.

Also the guild look-ups the composition root hands the services (class channel, students, instructors).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.adapters.discord.class_channel import find_class_channel
from bot.services.assignments.ports import RoomPort

if TYPE_CHECKING:
    from bot.adapters.discord.client import ConductorBot

log = logging.getLogger(__name__)


def class_channel(bot: ConductorBot, guild_id: int) -> discord.TextChannel | None:
    """The guild's text channel named `[discord] class_channel` (the one rule in `bot.adapters.discord.class_channel`)."""
    return find_class_channel(bot.get_guild(guild_id), bot.course.class_channel)


class DiscordRooms:
    """`Rooms` over discord.py, on the session threads' `RoomPort` (its pacing; private, public fallback)."""

    def __init__(self, bot: ConductorBot, threads: RoomPort) -> None:
        self.bot = bot
        self.threads = threads

    def _supervisor_ids(self, guild: discord.Guild, names: Sequence[str]) -> list[int]:
        out = []
        by_username = {m.name.casefold(): m.id for m in guild.members if not m.bot}
        for name in names:
            teacher = self.bot.course.teacher(name)
            uid = by_username.get((teacher.discord if teacher else name).casefold())
            if uid is not None:
                out.append(uid)
        return out

    async def open(
        self, guild_id: int, name: str, members: Sequence[int], supervisors: Sequence[str]
    ) -> int | None:
        """Create the group's private thread in the class channel and add members and supervisors."""
        channel = class_channel(self.bot, guild_id)
        if channel is None:
            log.warning("guild %s has no #%s: no project room", guild_id, self.bot.course.class_channel)
            return None
        thread_id, _private = await self.threads.create(channel.id, name, private=True)
        await self.threads.add(thread_id, [*members, *self._supervisor_ids(channel.guild, supervisors)])
        return thread_id

    async def add(self, room_id: int, members: Sequence[int]) -> None:
        """Add members to the room."""
        await self.threads.add(room_id, list(members))

    async def remove(self, room_id: int, members: Sequence[int]) -> None:
        """Remove members from the room."""
        await self.threads.remove(room_id, list(members))

    async def add_supervisors(self, guild_id: int, room_id: int, supervisors: Sequence[str]) -> None:
        """Add supervisors (matched to `[[teachers]]` by name) to the room."""
        guild = self.bot.get_guild(guild_id)
        if guild is not None and (ids := self._supervisor_ids(guild, supervisors)):
            await self.threads.add(room_id, ids)

    async def archive(self, room_id: int) -> None:
        """Archive the room."""
        await self.threads.archive(room_id)


def class_targets(bot: ConductorBot) -> list[tuple[int, int]]:
    """Every guild the bot is in that has the class channel, with that channel: where reminders go."""
    out = []
    for guild in bot.guilds:
        channel = class_channel(bot, guild.id)
        if channel is not None:
            out.append((guild.id, channel.id))
    return out


def student_ids(bot: ConductorBot, guild_id: int) -> list[int]:
    """The members holding the student role (no bots)."""
    guild = bot.get_guild(guild_id)
    if guild is None:
        return []
    wanted = bot.course.student_role.casefold()
    return sorted(
        m.id for m in guild.members if not m.bot and any(r.name.casefold() == wanted for r in m.roles)
    )


def instructor_ids(bot: ConductorBot, guild_id: int) -> list[int]:
    """The members holding one of the instructor roles (no bots): told when a group files its own project."""
    guild = bot.get_guild(guild_id)
    if guild is None:
        return []
    wanted = {r.casefold() for r in bot.course.instructor_roles}
    return sorted(
        m.id for m in guild.members if not m.bot and any(r.name.casefold() in wanted for r in m.roles)
    )
