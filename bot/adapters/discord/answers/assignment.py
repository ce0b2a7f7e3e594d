"""`/roles status`: who acknowledged their role card, whose DM failed, who has not yet."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.adapters.discord.render import stamp
from bot.messages.assignment import StatusLine


def status_embed(lines: Sequence[StatusLine]) -> discord.Embed:
    """Who acknowledged, whose DM failed (and got the thread fallback), and who has not yet."""
    acked = [x for x in lines if x.acknowledged]
    fallback = [x for x in lines if not x.acknowledged and x.delivery in {"fallback", "failed"}]
    waiting = [x for x in lines if not x.acknowledged and x.delivery not in {"fallback", "failed"}]
    title = f"Role cards: {len(acked)} of {len(lines)} acknowledged"
    embed = discord.Embed(title=title, colour=discord.Colour.blurple())

    def listing(items: Sequence[StatusLine], with_time: bool = False) -> str:
        parts = []
        for x in items:
            when = f" {stamp(x.acknowledged, 'R')}" if with_time and x.acknowledged else ""
            extra = " (no DM: thread button)" if x.delivery == "fallback" else ""
            extra = " (could not reach)" if x.delivery == "failed" else extra
            parts.append(f"<@{x.user_id}>{extra}{when}")
        text = ", ".join(parts) or "nobody"
        return text if len(text) <= 1024 else text[:1000].rsplit(",", 1)[0] + f", … ({len(items)} in all)"

    embed.add_field(name=f"DM failed ({len(fallback)})", value=listing(fallback), inline=False)
    embed.add_field(name=f"Not yet acknowledged ({len(waiting)})", value=listing(waiting), inline=False)
    embed.add_field(name=f"Acknowledged ({len(acked)})", value=listing(acked, True), inline=False)
    return embed
