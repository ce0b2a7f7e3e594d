"""Late guilds, label-wrapped modals, injected 429s, thread edits, selects."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from discord_sandbox import Sandbox, SandboxLimits


@pytest.fixture
def limits() -> SandboxLimits:
    return SandboxLimits(rate_limits=False)


class Signup(discord.ui.Modal, title="Sign up"):
    """A 2.7-style modal: a Label wrapping a TextInput, and a Label wrapping a select."""

    name = discord.ui.Label(text="Your name", component=discord.ui.TextInput(custom_id="signup:name"))
    track = discord.ui.Label(
        text="Track",
        component=discord.ui.Select(
            custom_id="signup:track",
            options=[
                discord.SelectOption(label="Theory", value="theory"),
                discord.SelectOption(label="Lab", value="lab"),
            ],
        ),
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.name.component, discord.ui.TextInput)
        assert isinstance(self.track.component, discord.ui.Select)
        await interaction.response.send_message(
            f"{self.name.component.value} on {self.track.component.values[0]}", ephemeral=True
        )


class Picker(discord.ui.View):
    """A select menu on a message."""

    @discord.ui.select(
        custom_id="pick:role",
        options=[
            discord.SelectOption(label="Reviewer", value="reviewer"),
            discord.SelectOption(label="Critic", value="critic"),
        ],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}", ephemeral=True)


async def test_guild_added_after_connect_label_modal_and_select(sb: Sandbox, make_bot, run_bot) -> None:  # type: ignore[no-untyped-def]
    bot = make_bot(None)

    @app_commands.command(name="signup", description="Sign up")
    async def signup(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Signup())

    @app_commands.command(name="pick", description="Pick a role")
    async def pick(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pick one", view=Picker())

    bot.tree.add_command(signup)
    bot.tree.add_command(pick)
    await run_bot(bot)
    await bot.tree.sync()
    g = sb.add_guild("Late guild")
    ch = g.add_text_channel("general")
    ada = g.add_member("Ada")
    await sb.wait_for(lambda: bot.get_channel(ch.id) and bot.get_guild(g.id).get_member(ada.id), timeout=3)

    opened = await sb.run_command(ada, "signup", channel=ch)
    assert opened.response_type == 9 and opened.modal["components"][0]["type"] == 18
    done = await sb.submit_modal(ada, opened, {"signup:name": "Ada", "signup:track": ["lab"]})
    assert done.text == "Ada on lab"

    it = await sb.run_command(ada, "pick", channel=ch)
    picked = await sb.select(ada, it.message, "pick:role", ["critic"])
    assert picked.text == "picked critic"
    with pytest.raises(ValueError, match="not among"):
        await sb.select(ada, it.message, "pick:role", ["boss"])


async def test_injected_429_is_waited_out_and_threads_can_be_archived(sb: Sandbox, make_bot, run_bot) -> None:  # type: ignore[no-untyped-def]
    g = sb.add_guild("DTU")
    ch = g.add_text_channel("general")
    bot = await run_bot(make_bot(None))
    channel = bot.get_channel(ch.id)
    sb.fail_requests(
        method="POST", path_regex=r"/channels/\d+/messages$", status=429, count=2, retry_after=0.05
    )
    await channel.send("after two 429s")
    assert [m.content for m in ch.messages] == ["after two 429s"]
    assert sb.stats.rate_limited == 2
    assert [r.status for r in sb.requests if r.method == "POST"] == [429, 429, 200]

    thread = await channel.create_thread(name="Group B", type=discord.ChannelType.private_thread)
    await thread.send("welcome")
    await thread.edit(archived=True, locked=True, name="Group B (done)")
    (t,) = g.threads
    assert t.private and t.archived and t.locked and t.name == "Group B (done)"
    assert [m.content for m in t.messages] == ["welcome"]
    with pytest.raises(discord.NotFound) as gone:
        await channel.fetch_message(123)
    assert gone.value.code == 10008
