"""Wire-level checks with plain aiohttp: headers, error bodies, auth, gateway handshake, files."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from discord_sandbox import Sandbox, SandboxLimits


@pytest.fixture
def limits() -> SandboxLimits:
    return SandboxLimits(rate_limits=False)


async def test_json_content_type_is_exact_and_errors_have_discord_shape(sb: Sandbox) -> None:
    auth = {"Authorization": f"Bot {sb.token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sb.api_base}/users/@me", headers=auth) as r:
            assert r.status == 200 and r.headers["Content-Type"] == "application/json"
            assert (await r.json())["id"] == str(sb.bot_user.id)
        async with http.get(f"{sb.api_base}/users/@me", headers={"Authorization": "Bot wrong"}) as r:
            assert r.status == 401
        async with http.get(f"{sb.api_base}/no/such/route", headers=auth) as r:
            assert r.status == 404 and set(await r.json()) == {"message", "code"}
        async with http.get(f"{sb.api_base}/channels/123", headers=auth) as r:
            assert r.status == 404 and (await r.json())["code"] == 10003
    assert [r.route for r in sb.requests] == [
        "/users/@me",
        "/users/@me",
        None,
        "/channels/{channel_id}",
    ]


async def test_gateway_rejects_a_bad_token_with_4004(sb: Sandbox) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(sb.gateway_url + "?v=10&encoding=json") as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41250
        await ws.send_json({"op": 1, "d": None})
        assert (await ws.receive_json())["op"] == 11
        await ws.send_json({"op": 2, "d": {"token": "nope", "intents": 0, "properties": {}}})
        msg = await ws.receive()
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4004


async def test_bot_sends_files_and_commands_are_validated(sb: Sandbox, make_bot, run_bot) -> None:  # type: ignore[no-untyped-def]
    g = sb.add_guild("DTU 02501")
    ch = g.add_text_channel("exports")
    bot = await run_bot(make_bot(None))
    channel = bot.get_channel(ch.id)
    await channel.send("export", file=discord.File(__import__("io").BytesIO(b"a,b\n1,2\n"), "out.csv"))
    (msg,) = ch.messages
    assert msg.attachments[0].filename == "out.csv" and msg.attachments[0].text == "a,b\n1,2\n"
    rec = sb.requests[-1]
    assert rec.json["content"] == "export" and rec.files == ["out.csv"]

    with pytest.raises(discord.HTTPException) as bad:
        await bot.http.bulk_upsert_guild_commands(
            sb.application_id, g.id, [{"name": "Bad Name", "description": "x"}]
        )
    assert bad.value.code == 50035

    with pytest.raises(discord.HTTPException) as big_embed:
        await channel.send(embed=discord.Embed(title="t" * 257))
    assert big_embed.value.code == 50035
    assert "embeds.0.title" in str(big_embed.value)

    ch.deny_bot(discord.Permissions(send_messages=True).value)
    with pytest.raises(discord.Forbidden) as denied:
        await channel.send("hello")
    assert denied.value.code == 50013

    await sb.invalidate_session(resumable=False)
    await sb.wait_for(lambda: sb.gateway.identifies == 2 and sb._live(), timeout=5)
    await sb.wait_for(lambda: bot.get_channel(ch.id) is not None, timeout=5)
