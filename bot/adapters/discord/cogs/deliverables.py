"""`/deliverable`, `/review` and the role card's button open a role's form; `/deliverables`, `/export`."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord.answers import submissions as render
from bot.adapters.discord.client import ConductorBot
from bot.adapters.discord.cogs.session import session_channel
from bot.adapters.discord.components import ConductorItem, ConductorModal, ConductorView
from bot.adapters.discord.permissions import instructor_only
from bot.adapters.discord.tree import acknowledge, reply
from bot.core.plan import Role
from bot.core.submissions import URL_MAX_LENGTH
from bot.services.submissions import Form

TEXT_INPUT_MAX = 4000
FORM_PREFIX = "conductor:fill:"


class DeliverableModal(ConductorModal):
    """A role's form from the configuration: text inputs, and a select for a choice field."""

    def __init__(self, session_id: int, role: Role, values: Mapping[str, str]) -> None:
        super().__init__(title=f"{role.name}: your form"[:45], custom_id=f"conductor:form:{session_id}")
        self.session_id = session_id
        self.role = role
        self.inputs: dict[
            str, discord.ui.TextInput[DeliverableModal] | discord.ui.Select[DeliverableModal]
        ] = {}
        for field in role.fields:
            value = values.get(field.key) or None
            component: discord.ui.TextInput[DeliverableModal] | discord.ui.Select[DeliverableModal]
            if field.kind == "choice":
                component = discord.ui.Select(
                    custom_id=field.key,
                    placeholder="Choose one",
                    options=[
                        discord.SelectOption(label=c, value=c, default=c == value) for c in field.choices
                    ],
                    required=field.required,
                )
            else:
                long = field.style == "long"
                top = URL_MAX_LENGTH if field.kind == "url" else min(field.max_length, TEXT_INPUT_MAX)
                component = discord.ui.TextInput(
                    custom_id=field.key,
                    style=discord.TextStyle.paragraph if long else discord.TextStyle.short,
                    default=value[:top] if value else None,
                    required=field.required,
                    max_length=top,
                    placeholder="https://..." if field.kind == "url" else None,
                )
            self.inputs[field.key] = component
            self.add_item(discord.ui.Label(text=field.label[:45], component=component))

    def typed(self) -> dict[str, str]:
        """What the student entered, by field key."""
        out = {}
        for key, component in self.inputs.items():
            if isinstance(component, discord.ui.Select):
                out[key] = component.values[0] if component.values else ""
            else:
                out[key] = component.value
        return out

    # discord.py types on_submit for any client; this bot's modals only get ConductorBot interactions.
    async def on_submit(self, interaction: discord.Interaction[ConductorBot]) -> None:  # type: ignore[override]
        """Save the form, or say what to fix with a button that reopens it as typed."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        typed = self.typed()
        saved = await interaction.client.submissions.save_deliverable(
            session_id=self.session_id, user_id=interaction.user.id, typed=typed
        )
        if saved.check.ok:
            await reply(interaction, saved.answer)
            return
        await reply(interaction, saved.answer, view=ReopenView(self.session_id, self.role, typed))


class ReopenView(ConductorView):
    """Under a refused form: reopen it with what the student typed (a modal cannot be shown twice)."""

    def __init__(self, session_id: int, role: Role, typed: Mapping[str, str]) -> None:
        super().__init__(timeout=1800)
        self.session_id, self.role, self.typed = session_id, role, dict(typed)

    @discord.ui.button(label="Fix my form", style=discord.ButtonStyle.primary)
    async def reopen(self, interaction: discord.Interaction[ConductorBot], _: discord.ui.Button[Any]) -> None:
        """Open the form again, pre-filled."""
        await interaction.response.send_modal(DeliverableModal(self.session_id, self.role, self.typed))


async def open_form(interaction: discord.Interaction[ConductorBot], session_id: int | None = None) -> None:
    """Answer with the student's role form, pre-filled with their current submission."""
    channel = session_channel(interaction) if interaction.guild_id else None
    form: Form = await interaction.client.submissions.form(
        user_id=interaction.user.id, guild_id=interaction.guild_id, channel_id=channel, session_id=session_id
    )
    await interaction.response.send_modal(DeliverableModal(form.session_id, form.role, form.values))


class FormButton(ConductorItem[discord.ui.Button[Any]], template=r"conductor:fill:(?P<session>\d+)"):
    """ "Fill in my ... form" on a role card with a form: opens the same form as `/deliverable`."""

    def __init__(self, session_id: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80], style=discord.ButtonStyle.primary, custom_id=f"{FORM_PREFIX}{session_id}"
            )
        )
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FormButton:
        """Rebuild the button from its custom id."""
        assert isinstance(item, discord.ui.Button)  # discord.py rebuilds a button component as a Button
        return cls(int(match["session"]), item.label or "Fill in my form")

    async def act(self, interaction: discord.Interaction[ConductorBot]) -> None:
        """Open the student's form for this session (a replaced card's button says so instead)."""
        message_id = interaction.message.id if interaction.message is not None else None
        refusal = await interaction.client.assignments.card_refusal(
            self.session_id, interaction.user.id, message_id
        )
        if refusal is not None:
            await reply(interaction, refusal)
            return
        await open_form(interaction, self.session_id)


@app_commands.command(name="deliverable", description="Fill in (or edit) your role's form for today")
async def deliverable(interaction: discord.Interaction[ConductorBot]) -> None:
    """Open the student's role form."""
    await open_form(interaction)


@app_commands.command(name="review", description="Reviewers: write (or edit) your review of the paper")
async def review(interaction: discord.Interaction[ConductorBot]) -> None:
    """Open the student's role form (the review form for reviewers)."""
    await open_form(interaction)


@app_commands.command(name="deliverables", description="Per paper and role: who has submitted their form")
@instructor_only()
async def deliverables(interaction: discord.Interaction[ConductorBot]) -> None:
    """Show who has submitted their deliverable and who is missing."""
    assert interaction.guild_id is not None
    await acknowledge(interaction)  # at once: asked mid-session, its reads may wait behind the writes
    lines = await interaction.client.submissions.deliverables(
        interaction.guild_id, session_channel(interaction)
    )
    await reply(interaction, "", embed=render.deliverables_embed(lines))


@app_commands.command(name="export", description="The session's record: a CSV per student and a report")
@app_commands.describe(session="Session number (default: this channel's latest)")
@instructor_only()
async def export(interaction: discord.Interaction[ConductorBot], session: int | None = None) -> None:
    """Attach the CSV and the Markdown report."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    assert interaction.guild is not None
    service = interaction.client.submissions
    session_id = await service.export_session(interaction.guild.id, session_channel(interaction), session)
    files = await service.export_files(session_id)  # from the database alone, as `python -m bot export`
    attachments = [discord.File(io.BytesIO(data), filename=name) for name, data in files.items()]
    await interaction.followup.send(
        f"Session {session_id}: one CSV row per student, and the session's report.",
        files=attachments,
        ephemeral=True,
    )


async def setup(bot: ConductorBot) -> None:
    """Register the deliverable and export commands and the persistent form button."""
    bot.add_dynamic_items(FormButton)
    commands: tuple[app_commands.Command[Any, ..., None], ...] = (deliverable, review, deliverables, export)
    for command in commands:
        bot.tree.add_command(command)


async def teardown(bot: ConductorBot) -> None:
    """Unregister the commands."""
    for name in ("deliverable", "review", "deliverables", "export"):
        bot.tree.remove_command(name)
