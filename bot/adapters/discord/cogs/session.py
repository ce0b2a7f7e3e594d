"""`/session`: start the afternoon, see where it is, and steer it (pause, resume, extend, next, back, stop)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.adapters.discord.class_channel import Venue, venue
from bot.adapters.discord.client import ConductorBot
from bot.adapters.discord.needs import confirm_plan, grant
from bot.adapters.discord.permissions import instructor_only
from bot.adapters.discord.render import as_answer
from bot.adapters.discord.tree import acknowledge, reply
from bot.core.clocktime import parse_start
from bot.core.statuses import SessionAction
from bot.messages.session import status


def session_venue(interaction: discord.Interaction[ConductorBot]) -> Venue:
    """Where this guild's session lives: the configured class channel if it exists, else this channel."""
    course = interaction.client.course
    return venue(interaction, course.class_channel)


def session_channel(interaction: discord.Interaction[ConductorBot]) -> int:
    """The channel a session lives in: the class channel if the guild has it, else this one (or a thread's parent).

    So an instructor can start and steer the session from a staff channel (or from their phone in any
    channel): the class sees the posts in the class channel all the same.
    """
    return session_venue(interaction).channel_id


def posting_to(where: Venue) -> str:
    """The start answer's words on where the class-wide posts go, and from where to steer."""
    steer = "`/session pause`, `/session extend`, `/session next`"
    if where.is_class_channel:
        return (
            f"Posting to {where.mention}: the run-of-show, class-wide phases and the group threads go "
            f"there. Steer it from any channel with {steer}."
        )
    name = where.configured.strip().removeprefix("#")
    return (
        f"Posting to {where.mention}: this server has no **#{name}** channel (`[discord] class_channel`), "
        "so the run-of-show, class-wide phases and the group threads go there. Create the channel, or "
        f"correct the name in the configuration, to post there next time. Steer it from {where.mention} "
        f"with {steer}."
    )


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
        """Start a session in the class channel (or, without one, in this channel)."""
        bot = self.bot
        when = parse_start(at, bot.clock.now(), bot.course.tz) if at else None
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild_id is not None
        where = session_venue(interaction)
        row = await bot.sessions.start(
            guild_id=interaction.guild_id,
            channel_id=where.channel_id,
            plan_name=plan,
            at=when,
            actor_id=interaction.user.id,
        )
        needs = None
        channel = interaction.guild.get_channel(where.channel_id) if interaction.guild is not None else None
        if isinstance(channel, discord.abc.GuildChannel) and interaction.guild is not None:
            needs = confirm_plan(channel.permissions_for(interaction.guild.me))
        if needs is not None and not needs.table:  # say what happened, not what was meant to
            await interaction.followup.send(
                f"Started **{row.plan_name}**, but I cannot post in {where.mention}: the run-of-show is "
                f"**not** posted. Grant {grant(needs.table_grant)} there; the phases after that are posted. "
                "Steer the session with `/session pause`, `/session extend`, `/session next`.",
                ephemeral=True,
            )
            return
        await interaction.followup.send(f"Started **{row.plan_name}**. {posting_to(where)}", ephemeral=True)

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
        await acknowledge(interaction)  # at once: asked mid-transition, its read waits behind the writes
        info = await self.bot.sessions.status(interaction.guild_id, session_channel(interaction))
        _, embeds = as_answer(status(info.plan_name, info.timeline, info.position))
        await reply(interaction, "", embeds=embeds)

    async def _control(
        self,
        interaction: discord.Interaction[ConductorBot],
        action: SessionAction,
        minutes: float | None = None,
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
        await self._control(interaction, SessionAction.PAUSE)

    @app_commands.command(name="resume", description="Restart the clock after a pause")
    @instructor_only()
    async def resume(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Resume the session."""
        await self._control(interaction, SessionAction.RESUME)

    @app_commands.command(
        name="extend", description="Give the current phase more minutes (negative shortens)"
    )
    @app_commands.describe(minutes="Minutes to add, e.g. 5 or -2")
    @instructor_only()
    async def extend(self, interaction: discord.Interaction[ConductorBot], minutes: float) -> None:
        """Extend or shorten the current phase."""
        await self._control(interaction, SessionAction.EXTEND, minutes)

    @app_commands.command(name="next", description="End the current phase now and start the next")
    @instructor_only()
    async def next(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Skip to the next phase."""
        await self._control(interaction, SessionAction.NEXT)

    @app_commands.command(
        name="back", description="Go back to the previous phase, restarted with its full length"
    )
    @instructor_only()
    async def back(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Go back one phase."""
        await self._control(interaction, SessionAction.BACK)

    @app_commands.command(
        name="projector", description="The link to this session's page for the room's projector"
    )
    @instructor_only()
    async def projector(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Answer with the projector page's link (only to the instructor)."""
        assert interaction.guild_id is not None
        web = self.bot.web
        if web is None:
            await interaction.response.send_message(
                "The projector page is off. Add a `[web]` section to config.toml (host, port, public_url; "
                'see the README\'s "Projector page") and restart the bot.',
                ephemeral=True,
            )
            return
        _, token = await self.bot.projector.token(interaction.guild_id, session_channel(interaction))
        await interaction.response.send_message(
            f"Projector page for this session (read-only; it stops working when the session ends; "
            f"anyone with the link can watch, so show it on the projector, not in the chat):\n{web.url(token)}",
            ephemeral=True,
            suppress_embeds=True,
        )

    @app_commands.command(name="stop", description="End the session now")
    @instructor_only()
    async def stop(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Stop the session."""
        await self._control(interaction, SessionAction.STOP)


async def setup(bot: ConductorBot) -> None:
    """Register the `/session` group."""
    bot.tree.add_command(SessionGroup(bot))
