"""`/calendar`: what comes next, the feed to subscribe to, the .ics file; reminders start when connected."""

from __future__ import annotations

import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.answers import calendar as render
from bot.adapters.discord.client import ConductorBot
from bot.adapters.discord.tree import reply

log = logging.getLogger(__name__)


class CalendarCog(commands.Cog):
    """The course calendar."""

    def __init__(self, bot: ConductorBot) -> None:
        self.bot = bot

    async def feed_url(self) -> str | None:
        """The feed's address, when the web server is on."""
        if self.bot.web is None:
            return None
        return f"{self.bot.web.base_url}/calendar/{await self.bot.calendar.feed_token()}.ics"

    @app_commands.command(
        name="calendar", description="What comes next in the course, and the calendar to subscribe to"
    )
    @app_commands.describe(ics="Attach the whole calendar as an .ics file for your calendar app")
    async def calendar(self, interaction: discord.Interaction[ConductorBot], ics: bool = False) -> None:
        """Show the next entries (and attach the .ics file when asked)."""
        service = self.bot.calendar
        embed = render.upcoming_embed(self.bot.course.name, service.upcoming(), await self.feed_url())
        if ics:
            data = io.BytesIO(service.ics())
            await reply(interaction, "", embed=embed, file=discord.File(data, filename="course-calendar.ics"))
            return
        await reply(interaction, "", embed=embed)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Work out the reminders once connected (guilds known); also after a reconnect, harmlessly."""
        await self.bot.calendar.tick()


async def setup(bot: ConductorBot) -> None:
    """Register `/calendar`."""
    await bot.add_cog(CalendarCog(bot))
