"""The `/conductor status` card: configuration, database, timers and permissions at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import discord

from bot.rendering.time import stamp


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
