"""Discord's real errors, rate limits, DMs, threads and gateway faults, as the real client sees them."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands

from discord_sandbox import Perm, Sandbox, SandboxLimits


class RoleCard(discord.ui.View):
    """A DM card with a button."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Got it", custom_id="role:ack")
    async def ack(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_message("noted", ephemeral=True)


def add_commands(bot) -> None:  # type: ignore[no-untyped-def]
    """/assign DMs each student; /twice answers twice; /late answers after the deadline; /ping."""

    @app_commands.command(name="assign", description="Send role cards")
    async def assign(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        failed = []
        for member in interaction.guild.members:  # type: ignore[union-attr]
            if member.bot:
                continue
            try:
                await member.send(f"{member.display_name}: you are the reviewer", view=RoleCard())
            except discord.Forbidden as exc:
                bot.errors.append(exc)
                failed.append(member.display_name)
        await interaction.followup.send(f"sent; closed DMs: {', '.join(failed) or 'none'}", ephemeral=True)

    @app_commands.command(name="twice", description="Answers twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        try:
            await discord.InteractionResponse(interaction).send_message("second")
        except discord.HTTPException as exc:
            bot.errors.append(exc)

    @app_commands.command(name="late", description="Answers too late")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.4)
        try:
            await interaction.response.send_message("sorry")
        except discord.HTTPException as exc:
            bot.errors.append(exc)

    @app_commands.command(name="ping", description="Pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    for cmd in (assign, twice, late, ping):
        bot.tree.add_command(cmd)


@pytest.fixture
def limits() -> SandboxLimits:
    return SandboxLimits(channel_messages=5, channel_window=0.3, interaction_deadline=0.3)


@pytest.fixture
async def world(sb: Sandbox, make_bot, run_bot):  # type: ignore[no-untyped-def]
    g = sb.add_guild("DTU 02501")
    ch = g.add_text_channel("reading-group")
    teacher = g.add_member("Teacher", username="teacher")
    students = [g.add_member(f"Student {i:02}", username=f"student{i:02}") for i in (1, 2)]
    closed = g.add_member("Student 03", username="student03", dms_open=False)
    bot = make_bot(g.id)
    add_commands(bot)
    await run_bot(bot)
    return g, ch, teacher, students, closed, bot


async def test_assign_dms_everyone_but_closed_dms_raise_50007(sb: Sandbox, world) -> None:  # type: ignore[no-untyped-def]
    _g, ch, teacher, students, closed, bot = world
    it = await sb.run_command(teacher, "assign", channel=ch)
    await it.wait_followup(timeout=3)
    assert "closed DMs: Student 03" in it.text
    for s in students:
        (dm,) = sb.dms(s)
        assert dm.text == f"{s.name}: you are the reviewer"
        assert dm.buttons == [("Got it", "role:ack")]
    assert sb.dms(closed) == []
    (err,) = bot.errors
    assert isinstance(err, discord.Forbidden) and err.code == 50007

    # the card's button works from the DM (a DM interaction carries `user`, not `member`)
    answer = await sb.click(students[0], sb.dms(students[0])[0], "role:ack")
    assert answer.ephemeral and answer.text == "noted"


async def test_twenty_concurrent_messages_all_arrive_through_429s(sb: Sandbox, world) -> None:  # type: ignore[no-untyped-def]
    _g, ch, *_, bot = world
    channel = bot.get_channel(ch.id)
    await asyncio.gather(*(channel.send(f"message {i}") for i in range(20)))
    assert sorted(m.content for m in ch.messages) == sorted(f"message {i}" for i in range(20))
    posted = [r for r in sb.requests if r.route == "/channels/{channel_id}/messages"]
    assert sb.stats.rate_limited_by_route["POST /channels/{channel_id}/messages"] >= 1
    assert any(r.status == 429 for r in posted)
    assert sb.stats.by_route["POST /channels/{channel_id}/messages"] == len(posted)


async def test_discord_errors(sb: Sandbox, world) -> None:  # type: ignore[no-untyped-def]
    g, ch, teacher, students, _closed, bot = world
    channel = bot.get_channel(ch.id)
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert too_long.value.status == 400 and too_long.value.code == 50035
    assert "content" in too_long.value.text or too_long.value.code == 50035

    it = await sb.run_command(teacher, "twice", channel=ch)
    assert it.text == "first"
    await sb.wait_for(lambda: bot.errors, timeout=3)
    assert bot.errors[0].code == 40060

    bot.errors.clear()
    with pytest.raises(TimeoutError, match="/late"):
        await sb.run_command(teacher, "late", channel=ch)
    await sb.wait_for(lambda: bot.errors, timeout=3)
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10062

    ch.deny_bot(Perm.CREATE_PRIVATE_THREADS)
    await sb.wait_for(lambda: not channel.permissions_for(channel.guild.me).create_private_threads, timeout=3)
    with pytest.raises(discord.Forbidden) as denied:
        await channel.create_thread(name="private", type=discord.ChannelType.private_thread)
    assert denied.value.code == 50013
    thread = await channel.create_thread(name="Group A", type=discord.ChannelType.public_thread)
    await thread.add_user(discord.Object(students[0].id))
    (recorded,) = g.threads
    assert recorded.name == "Group A" and not recorded.private
    assert students[0].id in recorded.member_ids and sb.bot_user.id in recorded.member_ids


async def test_reconnect_and_dropped_connection_resume_without_duplicates(sb: Sandbox, world) -> None:  # type: ignore[no-untyped-def]
    g, ch, teacher, _students, _closed, bot = world
    await sb.run_command(teacher, "ping", channel=ch)

    await sb.send_reconnect()
    await sb.wait_for(lambda: sb.gateway.resumes == 1 and sb._live(), timeout=5)
    late_joiner = g.add_member("Student 04", username="student04")
    await sb.wait_for(lambda: bot.get_guild(g.id).get_member(late_joiner.id), timeout=3)
    await sb.run_command(teacher, "ping", channel=ch)

    await sb.drop_connection()
    newcomer = g.add_member("Student 05", username="student05")  # dispatched while the client is away
    await sb.wait_for(lambda: sb.gateway.resumes == 2 and sb._live(), timeout=5)
    await sb.wait_for(lambda: bot.get_guild(g.id).get_member(newcomer.id), timeout=3)
    it = await sb.run_command(teacher, "ping", channel=ch)
    assert it.text == "pong"

    assert sb.gateway.identifies == 1
    assert len(bot.interactions) == 3
    assert [m.content for m in ch.messages] == ["pong", "pong", "pong"]
