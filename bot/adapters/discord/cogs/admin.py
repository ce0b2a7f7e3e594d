"""`/conductor status`: what configuration, database, timers and permissions the bot runs with."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.answers.status import StatusFacts, status_embed
from bot.adapters.discord.class_channel import find_class_channel
from bot.adapters.discord.client import ConductorBot
from bot.adapters.discord.needs import missing_permissions
from bot.adapters.discord.permissions import instructor_only


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class ConductorGroup(app_commands.Group, name="conductor", description="Conductor itself"):
    """Instructor commands about the bot itself."""

    def __init__(self, bot: ConductorBot) -> None:
        super().__init__()
        self.bot = bot

    @app_commands.command(
        name="status", description="Configuration, database, timers and my permissions here"
    )
    @instructor_only()
    async def status(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Show the status card ephemerally; first finish what a confirm here could not do (now it may)."""
        bot = self.bot
        channel = interaction.channel
        assert interaction.guild is not None and channel is not None
        # Imported here: cogs.assign loads after this cog and imports the session cog.
        from bot.adapters.discord.cogs.assign import class_list
        from bot.adapters.discord.cogs.session import session_channel

        report = None
        here = session_channel(interaction)
        if await bot.assignments.unfinished(interaction.guild.id, here):
            await interaction.response.defer(ephemeral=True, thinking=True)
            report = await bot.assignments.finish(
                interaction.guild.id, here, class_list(interaction.guild, bot.course)
            )
        permissions = channel.permissions_for(interaction.guild.me)
        course = bot.course
        found = find_class_channel(interaction.guild, course.class_channel)
        class_missing = (
            tuple(missing_permissions(found.permissions_for(interaction.guild.me)))
            if found is not None and found.id != getattr(channel, "id", None)
            else ()
        )
        facts = StatusFacts(
            course_name=course.name,
            config_path=str(bot.settings.conductor_config),
            timezone=course.timezone,
            plans=tuple(course.plans),
            papers=len(course.papers),
            roles=len(course.roles),
            database=bot.db.safe_url,
            upcoming=tuple(bot.scheduler.upcoming()),
            channel_mention=getattr(channel, "mention", "this channel"),
            missing=tuple(missing_permissions(permissions)),
            latency_ms=bot.latency * 1000 if bot.latency == bot.latency else None,
            class_channel=course.class_channel,
            class_mention=found.mention if found is not None else None,
            class_missing=class_missing,
        )
        if not interaction.response.is_done():
            await interaction.response.send_message(embed=status_embed(facts), ephemeral=True)
            return
        done = f"Finishing the assignment: {report.instructor_text()}" if report else None
        await interaction.followup.send(
            done,  # type: ignore[arg-type]  # discord.py's stubs say str; send() takes None (no text) too
            embed=status_embed(facts),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


async def setup(bot: ConductorBot) -> None:
    """Register the `/conductor` group."""
    bot.tree.add_command(ConductorGroup(bot))


async def teardown(bot: commands.Bot) -> None:
    """Unregister the `/conductor` group."""
    bot.tree.remove_command("conductor")
