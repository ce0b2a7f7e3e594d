"""The discord.py side of the assignment service's rooms and DMs: `DiscordThreads`, the `ThreadPort` adapter.

discord.py's errors stay here: a refusal (403) leaves as `PlatformRefused`, any other HTTP error as
`PlatformFailed`, each carrying the discord.py error as its cause and its repr as the detail.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING

import discord

from bot.adapters.discord.needs import ConfirmPlan, confirm_plan
from bot.core.errors import ConductorError
from bot.services.assignments.ports import PlatformFailed, PlatformRefused

if TYPE_CHECKING:
    from bot.adapters.discord.client import ConductorBot

log = logging.getLogger(__name__)


@contextmanager
def translated() -> Iterator[None]:
    """discord.py's HTTP errors as the port's: refused (403) or failed, the original kept as the cause."""
    try:
        yield
    except discord.Forbidden as error:
        raise PlatformRefused(repr(error)) from error
    except discord.HTTPException as error:
        raise PlatformFailed(repr(error)) from error


class Pace:
    """Spaces bulk requests at most `per_second` apart on average, under Discord's global 50/s limit.

    discord.py paces each route from the headers Discord sends, but learns of the global limit only from
    a 429; adding dozens of members to dozens of threads at once would hit it, so those calls take a turn.
    """

    def __init__(self, per_second: float = 40.0) -> None:
        self.gap = 1.0 / per_second
        self.next_at = 0.0
        self._lock = asyncio.Lock()

    async def turn(self) -> None:
        """Wait for this request's slot."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            at = max(now, self.next_at)
            self.next_at = at + self.gap
        if at > now:
            await asyncio.sleep(at - now)


class DiscordThreads:
    """`ThreadPort` over discord.py: private threads when allowed, public ones otherwise."""

    def __init__(self, bot: ConductorBot) -> None:
        self.bot = bot
        self.pace = Pace()

    async def _paced(self, call: Callable[[], Awaitable[None]]) -> None:
        await self.pace.turn()
        await call()

    def _channel(self, channel_id: int) -> discord.TextChannel:
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise ConductorError(
                "Threads need a text channel: run `/session start` in a normal text channel."
            )
        return channel

    async def create(self, channel_id: int, name: str, private: bool) -> tuple[int, bool]:
        """Create a thread (private falls back to public when Discord refuses)."""
        channel = self._channel(channel_id)
        with translated():
            return await self._create(channel, name, private)

    async def _create(self, channel: discord.TextChannel, name: str, private: bool) -> tuple[int, bool]:
        if private:
            try:
                thread = await channel.create_thread(
                    name=name,
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=1440,
                )
                return thread.id, True
            except discord.Forbidden:
                log.warning("could not create private thread in %s: falling back to public", channel.id)
        thread = await channel.create_thread(
            name=name, type=discord.ChannelType.public_thread, auto_archive_duration=1440
        )
        return thread.id, False

    async def add(self, thread_id: int, user_ids: list[int]) -> None:
        """Add members, side by side."""
        with translated():
            thread = self.bot.get_channel(thread_id) or await self.bot.fetch_channel(thread_id)
            assert isinstance(thread, discord.Thread)
            await asyncio.gather(
                *(self._paced(partial(thread.add_user, discord.Object(u))) for u in user_ids)
            )

    async def remove(self, thread_id: int, user_ids: list[int]) -> None:
        """Remove members, side by side."""
        with translated():
            thread = self.bot.get_channel(thread_id) or await self.bot.fetch_channel(thread_id)
            assert isinstance(thread, discord.Thread)
            await asyncio.gather(
                *(self._paced(partial(thread.remove_user, discord.Object(u))) for u in user_ids)
            )

    def plan(self, channel_id: int) -> ConfirmPlan:
        """What Confirm can do in the channel with the bot's permissions there (nothing, when it is unknown)."""
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return confirm_plan(discord.Permissions.none())
        return confirm_plan(channel.permissions_for(channel.guild.me))

    def where(self, channel_id: int) -> str:
        """The channel's mention."""
        return f"<#{channel_id}>"

    async def open_dm(self, user_id: int) -> None:
        """Open the DM channel (discord.py caches it for the card that follows)."""
        if self.bot.deliverer.stopped:
            return  # stopping: the card stays in the outbox, and the next start opens the DM
        with translated():
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.create_dm()

    async def archive(self, thread_id: int) -> None:
        """Archive a thread (already archived: nothing to do)."""
        with translated():
            thread = self.bot.get_channel(thread_id) or await self.bot.fetch_channel(thread_id)
            assert isinstance(thread, discord.Thread)
            if not thread.archived:
                await self.pace.turn()
                await thread.edit(archived=True)
