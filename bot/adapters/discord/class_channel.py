"""The configured class channel (`[discord] class_channel`), found by name in each guild at run time.

Class-wide posts (the run-of-show, phases whose audience is the class) and the group and partner
threads go to the class channel when the guild has it, whichever channel the instructor typed in; only
when it does not exist do they go to the channel where the session was started.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord


def _normal(name: str) -> str:
    return name.strip().removeprefix("#").strip().casefold()


def find_class_channel(guild: discord.Guild | None, configured: str) -> discord.TextChannel | None:
    """The guild's text channel named `configured` (any case, with or without `#`; or its id), else None."""
    if guild is None:
        return None
    wanted = _normal(configured)
    if wanted.isdigit():
        by_id = guild.get_channel(int(wanted))
        if isinstance(by_id, discord.TextChannel):
            return by_id
    # The first in the sidebar when two channels share the name (in different categories).
    return next((c for c in guild.text_channels if _normal(c.name) == wanted), None)


@dataclass(frozen=True)
class Venue:
    """Where a command's session lives: its channel id, and whether that is the configured class channel."""

    channel_id: int
    is_class_channel: bool
    configured: str

    @property
    def mention(self) -> str:
        """The channel as a mention (Discord shows it as #name)."""
        return f"<#{self.channel_id}>"


def venue(interaction: discord.Interaction, configured: str) -> Venue:
    """The class channel if the guild has it, else the channel typed in (a thread's parent channel)."""
    found = find_class_channel(interaction.guild, configured)
    if found is not None:
        return Venue(found.id, True, configured)
    channel = interaction.channel
    if isinstance(channel, discord.Thread) and channel.parent_id:
        return Venue(channel.parent_id, False, configured)
    assert interaction.channel_id is not None
    return Venue(interaction.channel_id, False, configured)
