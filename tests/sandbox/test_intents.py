"""Message events go only to a client that asked for them (GUILD_MESSAGES), as on Discord."""

from __future__ import annotations

import discord
import pytest

from discord_sandbox import Sandbox, SandboxLimits


@pytest.fixture
def limits() -> SandboxLimits:
    return SandboxLimits(rate_limits=False)


def message_events(sb: Sandbox) -> list[str]:
    """The message dispatches the sandbox sent over the gateway so far."""
    return [f["t"] for f in sb.gateway.log if str(f["t"]).startswith("MESSAGE_")]


async def test_a_bot_with_the_message_intent_hears_its_posts_and_edits(
    sb: Sandbox, make_bot, run_bot
) -> None:  # type: ignore[no-untyped-def]
    ch = sb.add_guild("DTU 02501").add_text_channel("reading-group")
    bot = await run_bot(make_bot(None))  # discord.py's default intents include GUILD_MESSAGES
    sent = await bot.get_channel(ch.id).send("Now: Do the role!")
    await sent.edit(content="Over: Do the role!")
    assert message_events(sb) == ["MESSAGE_CREATE", "MESSAGE_UPDATE"]


async def test_a_bot_without_it_is_not_sent_them(sb: Sandbox, make_bot, run_bot) -> None:  # type: ignore[no-untyped-def]
    ch = sb.add_guild("DTU 02501").add_text_channel("reading-group")
    bot = await run_bot(make_bot(None, discord.Intents(guilds=True, members=True)))  # Conductor's intents
    sent = await bot.get_channel(ch.id).send("Now: Do the role!")
    await sent.edit(content="Over: Do the role!")
    assert [m.content for m in ch.messages] == ["Over: Do the role!"]  # posted and edited all the same
    assert message_events(sb) == []
