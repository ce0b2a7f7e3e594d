"""The command tree with the one error path every slash command goes through."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.core.errors import ConductorError

if TYPE_CHECKING:
    from bot.app import ConductorBot

log = logging.getLogger(__name__)


def explain(error: app_commands.AppCommandError) -> str | None:
    """The message for an error meant for the user, or None for an unexpected one."""
    original = getattr(error, "original", None)
    if isinstance(original, ConductorError):
        return str(original)
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I am missing a permission here: grant me **{missing}** in this channel, then try again."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server channel, not in DMs."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You cannot run this command here."
    if isinstance(error, app_commands.TransformerError):
        return (
            f"I could not read `{error.value}` as {error.type.name.lower()}: check the option and try again."
        )
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} seconds."
    if isinstance(original, discord.Forbidden) and original.code == 50013:
        return "Discord refused: I am missing a permission in this channel. `/conductor status` lists which."
    return None


class ConductorTree(app_commands.CommandTree["ConductorBot"]):
    """Routes every slash-command error to one handler: clear words for users, a log line for the rest."""

    async def on_error(
        self, interaction: discord.Interaction[ConductorBot], error: app_commands.AppCommandError
    ) -> None:
        """Answer the user ephemerally and log what was unexpected, with the interaction id."""
        message = explain(error)
        if message is None:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error(
                "unexpected error in /%s (interaction %s, user %s)",
                command,
                interaction.id,
                interaction.user.id,
                exc_info=error,
            )
            message = (
                "Sorry, something went wrong on my side and nothing was changed. "
                f"Please try again; if it keeps happening, tell the instructor (reference {interaction.id})."
            )
        await reply(interaction, message)


async def reply(interaction: discord.Interaction, message: str, **kwargs: object) -> None:
    """Send an ephemeral answer whether or not the interaction was already answered or deferred."""
    allowed = discord.AllowedMentions.none()
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True, allowed_mentions=allowed, **kwargs)
        else:
            await interaction.response.send_message(
                message, ephemeral=True, allowed_mentions=allowed, **kwargs
            )
    except discord.HTTPException:
        log.exception("could not answer interaction %s", interaction.id)
