"""The outbox's posts to Discord over REST: each stored message rendered for Discord when it is sent.

A post stored by an older version, already in Discord's words, is sent as it was stored. A channel post
pings the people its message names (and its class role, by name); an edit never pings. Each post carries
its outbox nonce, so Discord keeps one copy of a post sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import discord

from bot.adapters.discord.inert import fit_message
from bot.adapters.discord.needs import missing_permissions
from bot.adapters.discord.render import allowed_mentions, stored_payload
from bot.delivery import DMS, EDITS, Failure
from bot.storage.models import PostRow

if TYPE_CHECKING:
    from bot.adapters.discord.client import ConductorBot

log = logging.getLogger(__name__)
ViewFactory = Callable[[dict[str, Any]], discord.ui.View]
# The channels a post can go to: they take messages and hand out partial messages to edit.
PostChannel = (
    discord.TextChannel | discord.VoiceChannel | discord.StageChannel | discord.Thread | discord.DMChannel
)


class DiscordSender:
    """Sends the outbox's posts with discord.py, with the persistent views (buttons) they name."""

    platform = "Discord"

    def __init__(self, bot: ConductorBot) -> None:
        self.bot = bot
        self.views: dict[str, ViewFactory] = {}

    def register_view(self, name: str, factory: ViewFactory) -> None:
        """Let posts name a persistent view (buttons) that this factory builds."""
        self.views[name] = factory

    async def _messageable(self, row: PostRow) -> PostChannel:
        if row.kind in DMS:
            user = self.bot.get_user(row.channel_id) or await self.bot.fetch_user(row.channel_id)
            return await user.create_dm()
        channel = self.bot.get_channel(row.channel_id)
        if channel is None:
            channel = await self.bot.fetch_channel(row.channel_id)
        if not isinstance(channel, PostChannel):  # a category or forum: retried, then given up on
            raise TypeError(f"channel {row.channel_id} ({type(channel).__name__}) takes no posts")
        return channel

    def _view(self, row: PostRow, spec: Mapping[str, Any] | None) -> discord.ui.View | None:
        if not spec:
            return None
        factory = self.views.get(spec["name"])
        if factory is None:  # a post must never be lost for want of its buttons
            log.error(
                "no view named %r is registered: posting %s/%s without it", spec["name"], row.scope, row.key
            )
            return None
        return factory(spec.get("args", {}))

    async def send(self, row: PostRow, payload: Mapping[str, Any], target_id: int | None) -> int | None:
        """Send (or edit) one post; the message's id."""
        body = fit_message(stored_payload(payload))  # rendered now; Discord's limits in one place
        channel = await self._messageable(row)
        embeds = [discord.Embed.from_dict(e) for e in body.get("embeds", [])]
        view = self._view(row, body.get("view"))
        if row.kind in EDITS:
            if target_id is None:
                return None
            message = channel.get_partial_message(target_id)
            await message.edit(
                content=body.get("content"),
                embeds=embeds,
                view=view,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return target_id
        content, mentions = body.get("content"), allowed_mentions(body.get("mentions", []))
        role = self._role(channel, body.get("ping_role"))
        if role is not None:
            content = fit_message({"content": f"{role.mention} {content or ''}".strip()})["content"]
            mentions.roles = [role]
        sent = await channel.send(
            content=content,
            embeds=embeds,
            view=view,  # type: ignore[arg-type]  # discord.py's overloads omit the None its send() accepts
            allowed_mentions=mentions,
            nonce=row.nonce,
        )
        return sent.id

    @staticmethod
    def _role(channel: object, name: str | None) -> discord.Role | None:
        """The guild role of that name in the channel's guild (for class-wide pings), if any."""
        guild: discord.Guild | None = getattr(channel, "guild", None)
        if not name or guild is None:
            return None
        return discord.utils.find(lambda r: r.name.casefold() == name.casefold(), guild.roles)

    def failure(self, error: BaseException) -> Failure | None:
        """403: refused; 404: gone; other HTTP and network errors: retry; anything else: a bug."""
        if isinstance(error, discord.Forbidden):
            return Failure.REFUSED
        if isinstance(error, discord.NotFound):
            return Failure.GONE
        if isinstance(error, discord.HTTPException | OSError):
            return Failure.RETRY
        return None

    def describe(self, error: BaseException) -> str:
        """Discord's code and text for an HTTP error, else the error's repr."""
        if isinstance(error, discord.HTTPException):
            return f"{error.code}: {error.text}"
        return repr(error)

    def where(self, channel_id: int) -> str:
        """A channel as a mention."""
        return getattr(self.bot.get_channel(channel_id), "mention", f"channel {channel_id}")

    async def refused_text(self, row: PostRow, error: BaseException) -> str:
        """Which permissions the bot lacks in the channel, and that the session goes on."""
        channel = self.bot.get_channel(row.channel_id)
        missing: list[str] = []
        if isinstance(channel, discord.abc.GuildChannel | discord.Thread):
            missing = [label for label, _ in missing_permissions(channel.permissions_for(channel.guild.me))]
        needed = ", ".join(f"**{m}**" for m in missing) or "the permission to post there"
        return (
            f"I could not post the session's messages in {self.where(row.channel_id)}: grant me {needed} there. "
            "The session keeps running; its next posts go through once the permission is granted."
        )
