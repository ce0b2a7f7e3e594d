"""`/calendar`: what comes next, and how to subscribe."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.adapters.discord.render import markdown
from bot.core.calendar import Entry
from bot.messages.calendar import line

COLOUR = 0x2F855A


def upcoming_embed(course_name: str, entries: Sequence[Entry], feed: str | None) -> discord.Embed:
    """The next entries, each in the reader's own time zone, and the feed to subscribe to."""
    body = "\n\n".join(markdown(line(e)) for e in entries) or "Nothing left on the calendar."
    embed = discord.Embed(
        title=f"What comes next - {course_name}"[:256], description=body[:4000], color=COLOUR
    )
    how = f"Subscribe in your calendar app: {feed}" if feed else "Get the file with `/calendar ics:True`."
    embed.add_field(name="Your calendar", value=how[:1024], inline=False)
    return embed
