"""`/submit slides`, the "Submit slides" button and modal, and the instructor's `/links`."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.adapters.discord.answers import submissions as render
from bot.adapters.discord.client import ConductorBot
from bot.adapters.discord.cogs.session import session_channel
from bot.adapters.discord.components import ConductorModal, ConductorView, SessionButton
from bot.adapters.discord.permissions import instructor_only
from bot.adapters.discord.tree import acknowledge, reply
from bot.core.submissions import URL_MAX_LENGTH

SLIDES_PREFIX = "conductor:slides:"


def _channel(interaction: discord.Interaction[ConductorBot]) -> int | None:
    return session_channel(interaction) if interaction.guild_id else None


async def submit(interaction: discord.Interaction[ConductorBot], url: str, session_id: int | None) -> None:
    """Hand the link to the service and answer the student only (errors take the single error path)."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    answer = await interaction.client.submissions.submit_slides(
        user_id=interaction.user.id,
        url=url,
        guild_id=interaction.guild_id,
        channel_id=_channel(interaction),
        session_id=session_id,
    )
    await reply(interaction, answer)


class SlidesModal(ConductorModal):
    """One text input: the link to the group's slides."""

    def __init__(self, session_id: int) -> None:
        super().__init__(title="Submit your group's slides", custom_id=f"conductor:slides-form:{session_id}")
        self.session_id = session_id
        self.url: discord.ui.TextInput[SlidesModal] = discord.ui.TextInput(
            label="Link to the slides",
            placeholder="https://docs.google.com/presentation/...",
            max_length=URL_MAX_LENGTH,
            custom_id="url",
        )
        self.add_item(self.url)

    # discord.py types on_submit for any client; this bot's modals only get ConductorBot interactions.
    async def on_submit(self, interaction: discord.Interaction[ConductorBot]) -> None:  # type: ignore[override]
        """Store the link like `/submit slides` does."""
        await submit(interaction, self.url.value, self.session_id)


class SlidesButton(SessionButton, template=r"conductor:slides:(?P<session>\d+)"):
    """ "Submit slides" on the finalize phase post and on reminders: opens the modal."""

    LABEL = "Submit slides"
    STYLE = discord.ButtonStyle.primary
    PREFIX = SLIDES_PREFIX

    async def act(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Open the link form."""
        await interaction.response.send_modal(SlidesModal(self.session_id))


def slides_view(session_id: int) -> discord.ui.View:
    """The Submit slides button (works after a restart)."""
    view = ConductorView(timeout=None)
    view.add_item(SlidesButton(session_id))
    return view


@app_commands.guild_only()
class SubmitGroup(app_commands.Group, name="submit", description="Hand in your group's work"):
    """Student submissions."""

    def __init__(self, bot: ConductorBot) -> None:
        super().__init__()
        self.bot = bot

    @app_commands.command(name="slides", description="Submit (or replace) your paper group's slides link")
    @app_commands.describe(url="The link to your group's slides, starting with https://")
    async def slides(self, interaction: discord.Interaction[ConductorBot], url: str) -> None:
        """Store the group's slides link."""
        await submit(interaction, url, None)


@app_commands.command(name="links", description="Every group's slides link, who sent it, and who is missing")
@instructor_only()
async def links(interaction: discord.Interaction[ConductorBot]) -> None:
    """Show every group's slides link in one message."""
    assert interaction.guild_id is not None
    await acknowledge(interaction)  # at once: asked mid-session, its reads may wait behind the writes
    lines = await interaction.client.submissions.links(interaction.guild_id, session_channel(interaction))
    await reply(interaction, "", embed=render.links_embed(lines))


async def setup(bot: ConductorBot) -> None:
    """Register `/submit`, `/links` and the persistent Submit slides button."""
    bot.add_dynamic_items(SlidesButton)
    bot.sender.register_view("submit-slides", lambda args: slides_view(int(args["session"])))
    bot.tree.add_command(SubmitGroup(bot))
    bot.tree.add_command(links)


async def teardown(bot: ConductorBot) -> None:
    """Unregister the commands."""
    bot.tree.remove_command("submit")
    bot.tree.remove_command("links")
