"""The `/conductor status` card: configuration, database, timers and permissions at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import discord

from bot.adapters.discord.render import stamp


@dataclass(frozen=True)
class StatusFacts:
    """Everything the status card shows, gathered by the cog."""

    course_name: str
    config_path: str
    timezone: str
    plans: tuple[str, ...]
    papers: int
    roles: int
    database: str
    upcoming: tuple[tuple[str, datetime], ...]
    channel_mention: str
    missing: tuple[tuple[str, str], ...]
    latency_ms: float | None
    class_channel: str = ""  # the configured name (`[discord] class_channel`)
    class_mention: str | None = None  # the channel found in this server, or None when it does not exist
    class_missing: tuple[tuple[str, str], ...] = ()  # permissions lacking there (when it is not this channel)


def status_embed(facts: StatusFacts) -> discord.Embed:
    """Render the status card."""
    embed = discord.Embed(title="Conductor status", colour=discord.Colour.blurple())
    embed.add_field(
        name="Configuration",
        value=(
            f"**{facts.course_name}** from `{facts.config_path}`\n"
            f"Time zone {facts.timezone}; plans: {', '.join(facts.plans)}; "
            f"{facts.papers} papers, {facts.roles} roles"
        ),
        inline=False,
    )
    embed.add_field(name="Database", value=f"`{facts.database}`", inline=False)
    if facts.upcoming:
        timers = "\n".join(f"`{job}` {stamp(when, 'T')} ({stamp(when, 'R')})" for job, when in facts.upcoming)
    else:
        timers = "No timers pending."
    embed.add_field(name="Next timers", value=timers, inline=False)
    name = facts.class_channel.strip().removeprefix("#")
    if facts.class_mention is None:
        embed.add_field(
            name="Class channel missing",
            value=(
                f"This server has no **#{name}** channel (`[discord] class_channel`): `/session start` "
                "posts in the channel it is run from instead. Create the channel, or correct the name "
                "in the configuration."
            ),
            inline=False,
        )
        embed.colour = discord.Colour.orange()
    else:
        lines = [f"{facts.class_mention}: the run-of-show, class-wide phases and the group threads go there."]
        lines += [f"I cannot {why} there: grant **{label}**" for label, why in facts.class_missing]
        if facts.class_missing:
            embed.colour = discord.Colour.orange()
        embed.add_field(name="Class channel", value="\n".join(lines), inline=False)
    if facts.missing:
        lines = [
            f"I cannot {why} in {facts.channel_mention}: grant **{label}**" for label, why in facts.missing
        ]
        embed.add_field(name="Missing permissions", value="\n".join(lines), inline=False)
        embed.colour = discord.Colour.orange()
    else:
        embed.add_field(
            name="Permissions",
            value=f"Everything I need in {facts.channel_mention} is granted.",
            inline=False,
        )
    if facts.latency_ms is not None:
        embed.set_footer(text=f"Gateway latency {facts.latency_ms:.0f} ms")
    return embed
