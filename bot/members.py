"""Display names of members as Discord shows them, for the projector page (cache first, then REST)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import discord


class DiscordNames:
    """Looks up display names in a client's member cache, fetching the few it has not seen."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def __call__(self, guild_id: int, user_ids: Collection[int]) -> Mapping[int, str]:
        """The display names of those users who are still members of the guild."""
        guild = self.client.get_guild(guild_id)
        if guild is None:
            return {}
        out: dict[int, str] = {}
        for uid in user_ids:
            member = guild.get_member(uid)
            if member is None:
                try:
                    member = await guild.fetch_member(uid)
                except discord.HTTPException:
                    continue
            out[uid] = member.display_name
        return out
