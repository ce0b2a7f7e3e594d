"""A bare discord.py bot logs in to the sandbox, syncs commands and answers scripted users."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands

from discord_sandbox import CommandError, Perm, Sandbox


def add_session_commands(bot: discord.Client) -> None:
    """/session start (every option type), /session plan show (a subcommand group), /slow, /card, /feedback."""
    session = app_commands.Group(name="session", description="Run a reading session")
    plan = app_commands.Group(name="plan", description="Session plans", parent=session)

    @session.command(name="start", description="Start a session")
    @app_commands.choices(plan=[app_commands.Choice(name="Afternoon", value="afternoon")])
    async def start(
        interaction: discord.Interaction,
        plan: str,
        minutes: int,
        student: discord.Member,
        flag: bool = False,
        where: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        ratio: float = 1.0,
        file: discord.Attachment | None = None,
    ) -> None:
        body = (await file.read()).decode() if file else "-"
        await interaction.response.send_message(
            f"plan={plan} minutes={minutes} student={student.display_name} flag={flag} "
            f"where={where.name if where else '-'} role={role.name if role else '-'} ratio={ratio} file={body}",
            ephemeral=True,
        )

    @plan.command(name="show", description="Show a plan")
    async def show(interaction: discord.Interaction, name: str) -> None:
        embed = discord.Embed(title=f"Plan {name}", description="Phases").add_field(
            name="Intro", value="5 min"
        )
        await interaction.response.send_message(embed=embed)

    @app_commands.command(name="slow", description="Takes a while")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done thinking", ephemeral=True)

    class Card(discord.ui.View):
        @discord.ui.button(label="Acknowledge", custom_id="card:ack")
        async def ack(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            await interaction.response.edit_message(
                content=f"acknowledged by {interaction.user.display_name}"
            )

        @discord.ui.button(label="Feedback", custom_id="card:feedback")
        async def feedback(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            await interaction.response.send_modal(Feedback())

    class Feedback(discord.ui.Modal, title="Session feedback"):
        text = discord.ui.TextInput(label="What worked?", custom_id="feedback:text", max_length=200)

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)

    @app_commands.command(name="card", description="Post a card")
    async def card(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("your card", view=Card())

    bot.tree.add_command(session)  # type: ignore[attr-defined]
    for cmd in (slow, card):
        bot.tree.add_command(cmd)  # type: ignore[attr-defined]


@pytest.fixture
async def world(sb: Sandbox, make_bot, run_bot):  # type: ignore[no-untyped-def]
    g = sb.add_guild("DTU 02501")
    instructor = g.add_role("Instructor", permissions=int(Perm.MANAGE_THREADS))
    ch = g.add_text_channel("reading-group")
    teacher = g.add_member("Teacher", username="teacher", roles=[instructor])
    student = g.add_member("Student 01", username="student01")
    bot = make_bot(g.id)
    add_session_commands(bot)
    await run_bot(bot)
    return g, ch, teacher, student, instructor, bot


async def test_login_sync_and_ephemeral_answer_with_every_option_type(sb: Sandbox, world) -> None:  # type: ignore[no-untyped-def]
    g, ch, teacher, student, instructor, bot = world
    names = {c["name"] for c in sb.commands(g)}
    assert names == {"session", "slow", "card"}
    routes = [r.route for r in sb.requests]
    assert routes[:2] == ["/users/@me", "/oauth2/applications/@me"]
    assert "/applications/{app_id}/guilds/{guild_id}/commands" in routes

    roster = sb.upload("roster.csv", b"name\nAda\n")
    it = await sb.run_command(
        teacher,
        "session start",
        channel=ch,
        options={
            "plan": "afternoon",
            "minutes": 5,
            "student": student,
            "flag": True,
            "where": ch,
            "role": instructor,
            "ratio": 0.5,
            "file": roster,
        },
    )
    assert it.response_type == 4 and it.ephemeral
    assert "plan=afternoon minutes=5 student=Student 01 flag=True" in it.text
    assert "where=reading-group role=Instructor ratio=0.5 file=name\nAda" in it.text
    assert ch.messages == []  # ephemeral answers stay out of the channel

    it = await sb.run_command(student, "session plan show", channel=ch, options={"name": "afternoon"})
    assert not it.ephemeral and "Plan afternoon" in it.text and "5 min" in it.text
    assert ch.messages[-1] is it.message
    assert bot.errors == []


async def test_unknown_command_or_option_fails_clearly(sb: Sandbox, world) -> None:  # type: ignore[no-untyped-def]
    _g, ch, teacher, *_ = world
    with pytest.raises(CommandError, match="not a synced command"):
        await sb.run_command(teacher, "nope", channel=ch)
    with pytest.raises(CommandError, match="required option"):
        await sb.run_command(teacher, "session start", channel=ch, options={"plan": "afternoon"})
    with pytest.raises(CommandError, match="unknown option"):
        await sb.run_command(teacher, "session plan show", channel=ch, options={"name": "x", "bogus": 1})


async def test_defer_then_followup(sb: Sandbox, world) -> None:  # type: ignore[no-untyped-def]
    _g, ch, teacher, *_ = world
    it = await sb.run_command(teacher, "slow", channel=ch)
    assert it.response_type == 5 and it.ephemeral
    msg = await it.wait_followup(timeout=3)
    assert msg.text == "done thinking" and msg.ephemeral
    assert "done thinking" in it.text


async def test_button_and_modal_round_trip(sb: Sandbox, world) -> None:  # type: ignore[no-untyped-def]
    _g, ch, teacher, student, *_ = world
    it = await sb.run_command(teacher, "card", channel=ch)
    card = it.message
    assert card is not None and card.buttons == [("Acknowledge", "card:ack"), ("Feedback", "card:feedback")]

    clicked = await sb.click(student, card, "card:ack")
    assert clicked.response_type == 7
    assert card.content == "acknowledged by Student 01" and card.edits[0]["content"] == "your card"

    opened = await sb.click(student, card, "card:feedback")
    assert opened.response_type == 9 and opened.modal is not None
    assert opened.modal["title"] == "Session feedback"
    submitted = await sb.submit_modal(student, opened, {"feedback:text": "the timer"})
    assert submitted.ephemeral and submitted.text == "thanks: the timer"
