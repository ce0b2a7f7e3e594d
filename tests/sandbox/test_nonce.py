"""Message nonces: with `enforce_nonce`, a repeat within the window returns the first message."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import discord
import pytest

from discord_sandbox import Sandbox, SandboxLimits


@pytest.fixture
def limits() -> SandboxLimits:
    return SandboxLimits(rate_limits=False)


async def test_same_nonce_twice_yields_one_message(sb: Sandbox, make_bot, run_bot) -> None:  # type: ignore[no-untyped-def]
    g = sb.add_guild("DTU 02501")
    ch = g.add_text_channel("reading-group")
    bot = await run_bot(make_bot(None))
    channel = bot.get_channel(ch.id)
    first = await channel.send("Phase 1 starts", nonce="outbox-1")
    creates = sum(f["t"] == "MESSAGE_CREATE" for f in sb.gateway.log)
    again = await channel.send("Phase 1 starts", nonce="outbox-1")

    assert again.id == first.id
    assert [m.id for m in ch.messages] == [first.id]
    assert ch.messages[0].nonce == "outbox-1"
    posts = [r for r in sb.requests if r.method == "POST" and r.route == "/channels/{channel_id}/messages"]
    assert len(posts) == 2 and all(r.status == 200 for r in posts)  # both recorded, both answered 200
    assert [r.json["nonce"] for r in posts] == ["outbox-1", "outbox-1"]
    assert all(r.json["enforce_nonce"] is True for r in posts)
    assert sum(f["t"] == "MESSAGE_CREATE" for f in sb.gateway.log) == creates  # no dispatch for the repeat


async def test_different_nonces_give_two_messages(sb: Sandbox, make_bot, run_bot) -> None:  # type: ignore[no-untyped-def]
    g = sb.add_guild("DTU 02501")
    ch = g.add_text_channel("reading-group")
    bot = await run_bot(make_bot(None))
    channel = bot.get_channel(ch.id)
    a = await channel.send("same text", nonce="outbox-1")
    b = await channel.send("same text", nonce="outbox-2")
    c = await channel.send("same text")  # discord.py picks a random nonce
    assert len({a.id, b.id, c.id}) == 3
    assert [m.id for m in ch.messages] == [a.id, b.id, c.id]


async def test_a_repeat_dispatches_no_message_create(sb: Sandbox, make_bot, run_bot) -> None:  # type: ignore[no-untyped-def]
    g = sb.add_guild("DTU 02501")
    ch = g.add_text_channel("reading-group")
    bot = await run_bot(make_bot(None))
    seen: list[int] = []

    async def on_message(message: discord.Message) -> None:
        seen.append(message.id)

    bot.add_listener(on_message)
    channel = bot.get_channel(ch.id)
    first = await channel.send("hello", nonce=42)
    await sb.wait_for(lambda: seen, timeout=2)
    await channel.send("hello", nonce=42)
    await channel.send("marker")  # a later create proves the gateway delivered everything before it
    await sb.wait_for(lambda: len(seen) >= 2, timeout=2)
    await asyncio.sleep(0.05)
    assert seen[0] == first.id and len(seen) == 2 and seen[1] != first.id


async def test_nonce_is_per_channel_needs_enforce_and_expires(sb: Sandbox) -> None:
    g = sb.add_guild("DTU 02501")
    one = g.add_text_channel("one")
    two = g.add_text_channel("two")
    auth = {"Authorization": f"Bot {sb.token}"}

    async def post(ch_id: int, body: dict) -> dict:
        async with http.post(f"{sb.api_base}/channels/{ch_id}/messages", json=body, headers=auth) as r:
            assert r.status == 200
            return await r.json()

    async with aiohttp.ClientSession() as http:
        a = await post(one.id, {"content": "x", "nonce": "n", "enforce_nonce": True})
        assert a["nonce"] == "n"
        assert (await post(one.id, {"content": "x", "nonce": "n", "enforce_nonce": True}))["id"] == a["id"]
        b = await post(two.id, {"content": "x", "nonce": "n", "enforce_nonce": True})
        assert b["id"] != a["id"]  # another channel
        assert (await post(two.id, {"content": "x", "nonce": "n"}))["id"] != b["id"]  # not enforced

        one.messages[0].created_at = time.monotonic() - sb.limits.nonce_window - 1  # older than the window
        later = await post(one.id, {"content": "x", "nonce": "n", "enforce_nonce": True})
        assert later["id"] != a["id"]
        assert (await post(one.id, {"content": "x", "nonce": "n", "enforce_nonce": True}))["id"] == later[
            "id"
        ]
    assert len(one.messages) == 2 and len(two.messages) == 2
