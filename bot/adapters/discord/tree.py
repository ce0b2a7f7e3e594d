"""The one error path every slash command, button and modal goes through (`answer_error`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot import logs
from bot.adapters.discord.inert import fit_message, inert_code
from bot.adapters.discord.render import markdown
from bot.core.durations import duration
from bot.core.errors import ConductorError
from bot.core.message import Rich
from bot.services.errors import StorageUnavailable

if TYPE_CHECKING:
    from bot.adapters.discord.client import ConductorBot

log = logging.getLogger(__name__)
_ANSWERING = "conductor.answering"  # the key of the answer lock in `Interaction.extras`


def explain(error: Exception) -> str | None:
    """The message for an error meant for the user, or None for an unexpected one."""
    original = getattr(error, "original", error)
    if isinstance(original, ConductorError):
        return markdown(original.rich) if hasattr(original, "rich") else str(original)
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I am missing a permission here: grant me **{missing}** in this channel, then try again."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server channel, not in DMs."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You cannot run this command here."
    if isinstance(error, app_commands.TransformerError):
        return (
            f"I could not read `{inert_code(str(error.value), 100)}` as {error.type.name.lower()}: "
            "check the option and try again."
        )
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {duration(timedelta(seconds=error.retry_after))}."
    if isinstance(original, discord.Forbidden) and original.code == 50013:
        return "Discord refused: I am missing a permission in this channel. `/conductor status` lists which."
    return None


class ConductorTree(app_commands.CommandTree["ConductorBot"]):
    """Routes every slash-command error to one handler: clear words for users, a log line for the rest."""

    async def on_error(
        self, interaction: discord.Interaction[ConductorBot], error: app_commands.AppCommandError
    ) -> None:
        """Answer the user ephemerally and log what was unexpected, with the interaction id."""
        command = interaction.command.qualified_name if interaction.command else "?"
        await answer_error(interaction, error, f"/{command}")


def apology(interaction: discord.Interaction) -> str:
    """The short answer to an unexpected error: no details, a reference to find it in the log."""
    return (
        "Sorry, something went wrong on my side and nothing was changed. "
        f"Please try again; if it keeps happening, tell the instructor (reference {interaction.id})."
    )


def database_problem(error: Exception) -> str | None:
    """What is wrong with the database when that is why a command failed (locked, gone, unreadable).

    The use cases reach the database only through their unit of work, whose adapter (`bot.storage.uow`)
    raises the application's `StorageUnavailable` for it, with the database's own reason.
    """
    original = getattr(error, "original", error)
    return original.reason if isinstance(original, StorageUnavailable) else None


async def answer_error(interaction: discord.Interaction, error: Exception, where: str) -> None:
    """Tell the user what to do (ConductorError's words), or log the unexpected and apologise with a reference."""
    logs.bind(guild=interaction.guild_id, interaction=interaction.id)
    message = explain(error)
    problem = database_problem(error) if message is None else None
    if problem is not None:
        # The database is locked by another process, deleted or unreadable: say so, here and in the log.
        log.error(
            "database problem in %s (interaction %s, user %s): %s",
            where,
            interaction.id,
            interaction.user.id,
            problem,
            exc_info=error,
        )
        message = (
            f"I cannot reach my database right now ({problem}): nothing was changed. Check the data folder "
            f"and the disk, then try again (reference {interaction.id})."
        )
    elif message is None:
        log.error(
            "unexpected error in %s (interaction %s, user %s)",
            where,
            interaction.id,
            interaction.user.id,
            exc_info=error,
        )
        message = apology(interaction)
    await reply(interaction, message)


def fitted(message: str, kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An answer's text and embeds cut to Discord's limits (`fit_message`), its other arguments kept."""
    embeds: list[discord.Embed] = kwargs.get("embeds") or ([kwargs["embed"]] if kwargs.get("embed") else [])
    body = fit_message({"content": message, "embeds": [e.to_dict() for e in embeds]})
    out = {k: v for k, v in kwargs.items() if k not in {"embed", "embeds"}}
    if embeds:
        out["embeds"] = [discord.Embed.from_dict(e) for e in body["embeds"]]
    return body["content"], out


def answering(interaction: discord.Interaction) -> asyncio.Lock:
    """The interaction's one lock around its first answer, so a late defer and the answer never both go."""
    lock = interaction.extras.get(_ANSWERING)
    if not isinstance(lock, asyncio.Lock):
        lock = interaction.extras[_ANSWERING] = asyncio.Lock()
    return lock


async def acknowledge(interaction: discord.Interaction) -> None:
    """Defer ephemerally ("thinking…") unless the interaction was already answered; the answer follows."""
    async with answering(interaction):
        if interaction.response.is_done():
            return
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException:
            log.warning("could not defer interaction %s", interaction.id, exc_info=True)


async def answer_within(interaction: discord.Interaction, work: Awaitable[None], seconds: float) -> None:
    """Run `work`; if it has not answered within `seconds` (a busy database), defer first, then let it finish.

    Discord's first answer then comes at once however long the work waits; an idle bot still answers
    directly, with no "thinking…" in between.
    """
    task = asyncio.ensure_future(work)
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=seconds)
    except TimeoutError:
        await acknowledge(interaction)
        await task


async def reply(interaction: discord.Interaction, message: str | Rich, **kwargs: Any) -> None:
    """Send an ephemeral answer (Markdown, or rich text rendered for Discord) whether or not the
    interaction was already answered or deferred."""
    allowed = discord.AllowedMentions.none()
    message, kwargs = fitted(message if isinstance(message, str) else markdown(message), kwargs)
    try:
        async with answering(interaction):
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True, allowed_mentions=allowed, **kwargs)
            else:
                await interaction.response.send_message(
                    message, ephemeral=True, allowed_mentions=allowed, **kwargs
                )
    except discord.HTTPException:
        log.exception("could not answer interaction %s", interaction.id)
