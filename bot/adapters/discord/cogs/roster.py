"""`/roster import` and `/roster list`: the class list with student ids, matched to Discord members."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.answers.roster import roster_embed
from bot.adapters.discord.client import ConductorBot
from bot.adapters.discord.permissions import instructor_only
from bot.adapters.discord.tree import reply
from bot.core.errors import ConductorError
from bot.services.roster import Members


def members_of(guild: discord.Guild, student_role: str) -> Members:
    """The guild's members as the roster matches them (bots left out)."""
    people = [m for m in guild.members if not m.bot]
    wanted = student_role.casefold()
    return Members(
        usernames={m.name.casefold(): m.id for m in people},
        ids=frozenset(m.id for m in people),
        students={m.id: m.display_name for m in people if any(r.name.casefold() == wanted for r in m.roles)},
    )


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class RosterGroup(
    app_commands.Group, name="roster", description="The class list: student ids and Discord users"
):
    """Instructor commands on the guild's class list."""

    def __init__(self, bot: ConductorBot) -> None:
        super().__init__()
        self.bot = bot

    @app_commands.command(
        name="import", description="Replace the class list with a CSV: student id, name, Discord"
    )
    @app_commands.describe(file="CSV with columns student id, name, Discord username or id")
    @instructor_only()
    async def import_(self, interaction: discord.Interaction[ConductorBot], file: discord.Attachment) -> None:
        """Read the attachment and store it whole, or nothing."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild is not None
        try:
            data = await file.read()
        except discord.HTTPException as error:
            raise ConductorError("I could not download that file: upload it again.") from error
        members = members_of(interaction.guild, self.bot.course.student_role)
        view = await self.bot.roster.import_csv(interaction.guild.id, file.filename, data, members)
        total = len(view.matched) + len(view.not_in_server)
        await reply(
            interaction,
            f"Imported {total} student(s): {len(view.matched)} matched to a member of this server, "
            f"{len(view.not_in_server)} not (yet) in it.",
            embed=roster_embed(view, "Class list imported"),
        )

    @app_commands.command(name="list", description="Who is known, and who is not matched to Discord")
    @instructor_only()
    async def list_(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Show the class list against the server now."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild is not None
        members = members_of(interaction.guild, self.bot.course.student_role)
        view = await self.bot.roster.listing(interaction.guild.id, members)
        await reply(interaction, "", embed=roster_embed(view))


async def setup(bot: ConductorBot) -> None:
    """Register `/roster`."""
    bot.tree.add_command(RosterGroup(bot))


async def teardown(bot: commands.Bot) -> None:
    """Unregister `/roster`."""
    bot.tree.remove_command("roster")
