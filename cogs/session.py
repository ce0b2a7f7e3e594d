"""`/session`: start the afternoon, see where it is, and steer it (pause, resume, extend, next, back, stop)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.app import ConductorBot
from bot.core.clocktime import parse_start
from bot.needs import confirm_plan, grant
from bot.permissions import instructor_only
from bot.rendering.session import status_embed


def session_channel(interaction: discord.Interaction) -> int:
    """The channel a session lives in: the channel itself, or the parent of a thread."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread) and channel.parent_id:
        return channel.parent_id
    assert interaction.channel_id is not None
    return interaction.channel_id


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class SessionGroup(app_commands.Group, name="session", description="Run the afternoon's session"):
    """Instructor commands that run and steer a session in this channel."""

    def __init__(self, bot: ConductorBot) -> None:
        super().__init__()
        self.bot = bot

    @app_commands.command(name="start", description="Start the plan now, or at a clock time today")
    @app_commands.describe(
        plan="Which plan of the configuration", at="Clock time, e.g. 13:50 (course time zone)"
    )
    @instructor_only()
    async def start(
        self, interaction: discord.Interaction[ConductorBot], plan: str | None = None, at: str | None = None
    ) -> None:
        """Start a session in this channel."""
        bot = self.bot
        when = parse_start(at, bot.clock.now(), bot.course.tz) if at else None
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        row = await bot.sessions.start(
            guild_id=interaction.guild_id,
            channel_id=session_channel(interaction),
            plan_name=plan,
            at=when,
            actor_id=interaction.user.id,
        )
        plan = None
        if isinstance(interaction.channel, discord.abc.GuildChannel) and interaction.guild is not None:
            plan = confirm_plan(interaction.channel.permissions_for(interaction.guild.me))
        if plan is not None and not plan.table:  # say what happened, not what was meant to
            where = getattr(interaction.channel, "mention", "this channel")
            await interaction.followup.send(
                f"Started **{row.plan_name}**, but I cannot post in {where}: the run-of-show is **not** "
                f"posted. Grant {grant(plan.table_grant)} there; the phases after that are posted. Steer "
                "the session with `/session pause`, `/session extend`, `/session next`.",
                ephemeral=True,
            )
            return
        await interaction.followup.send(
            f"Started **{row.plan_name}**: the run-of-show is posted here. Steer it with `/session pause`, "
            "`/session extend`, `/session next`.",
            ephemeral=True,
        )

    @start.autocomplete("plan")
    async def plan_names(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the configured plans."""
        return [
            app_commands.Choice(name=name, value=name)
            for name in self.bot.course.plans
            if current.lower() in name.lower()
        ][:25]

    @app_commands.command(name="status", description="The current phase, time left, and what is next")
    @instructor_only()
    async def status(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Show where the session is."""
        assert interaction.guild_id is not None
        info = await self.bot.sessions.status(interaction.guild_id, session_channel(interaction))
        await interaction.response.send_message(
            embed=status_embed(info.plan_name, info.timeline, info.position), ephemeral=True
        )

    async def _control(
        self, interaction: discord.Interaction[ConductorBot], action: str, minutes: float | None = None
    ) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        answer = await self.bot.sessions.control(
            guild_id=interaction.guild_id,
            channel_id=session_channel(interaction),
            action=action,
            actor_id=interaction.user.id,
            minutes=minutes,
        )
        await interaction.followup.send(answer, ephemeral=True)

    @app_commands.command(name="pause", description="Stop the clock; every later phase waits")
    @instructor_only()
    async def pause(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Pause the session."""
        await self._control(interaction, "pause")

    @app_commands.command(name="resume", description="Restart the clock after a pause")
    @instructor_only()
    async def resume(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Resume the session."""
        await self._control(interaction, "resume")

    @app_commands.command(
        name="extend", description="Give the current phase more minutes (negative shortens)"
    )
    @app_commands.describe(minutes="Minutes to add, e.g. 5 or -2")
    @instructor_only()
    async def extend(self, interaction: discord.Interaction[ConductorBot], minutes: float) -> None:
        """Extend or shorten the current phase."""
        await self._control(interaction, "extend", minutes)

    @app_commands.command(name="next", description="End the current phase now and start the next")
    @instructor_only()
    async def next(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Skip to the next phase."""
        await self._control(interaction, "next")

    @app_commands.command(
        name="back", description="Go back to the previous phase, restarted with its full length"
    )
    @instructor_only()
    async def back(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Go back one phase."""
        await self._control(interaction, "back")

    @app_commands.command(name="stop", description="End the session now")
    @instructor_only()
    async def stop(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Stop the session."""
        await self._control(interaction, "stop")


async def setup(bot: ConductorBot) -> None:
    """Register the `/session` group."""
    bot.tree.add_command(SessionGroup(bot))
