"""The sandbox as Discord for a sharded bot: /gateway/bot's shard count, sharded IDENTIFY, routing."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from discord_sandbox import Sandbox, SandboxLimits


@pytest.fixture
def limits() -> SandboxLimits:
    return SandboxLimits(rate_limits=False)


async def identify(ws: aiohttp.ClientWebSocketResponse, token: str, shard: list[int] | None) -> None:
    assert (await ws.receive_json())["op"] == 10
    d: dict[str, Any] = {"token": token, "intents": 0, "properties": {}}
    if shard is not None:
        d["shard"] = shard
    await ws.send_json({"op": 2, "d": d})


async def dispatches(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[dict[str, Any]]:
    return [await ws.receive_json() for _ in range(count)]


async def test_each_shard_gets_its_own_guilds_and_their_events(sb: Sandbox) -> None:
    sb.shard_count = 2
    guilds = [sb.add_guild(f"Course {i}", shard=i % 2) for i in range(4)]
    assert [sb.shard_of(g.id) for g in guilds] == [0, 1, 0, 1]
    auth = {"Authorization": f"Bot {sb.token}"}
    url = sb.gateway_url + "?v=10&encoding=json"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sb.api_base}/gateway/bot", headers=auth) as r:
            assert (await r.json())["shards"] == 2
        async with http.ws_connect(url) as ws0, http.ws_connect(url) as ws1:
            await identify(ws0, sb.token, [0, 2])
            await identify(ws1, sb.token, [1, 2])
            ready0, *created0 = await dispatches(ws0, 3)
            ready1, *created1 = await dispatches(ws1, 3)
            assert ready0["t"] == "READY" and ready0["d"]["shard"] == [0, 2]
            assert ready1["d"]["shard"] == [1, 2]
            assert [g["id"] for g in ready0["d"]["guilds"]] == [str(guilds[0].id), str(guilds[2].id)]
            assert [g["d"]["id"] for g in created1] == [str(guilds[1].id), str(guilds[3].id)]
            assert {g["t"] for g in created0 + created1} == {"GUILD_CREATE"}
            await sb.wait_ready(timeout=5)
            # A change in guild 1 is told to shard 1 only; one in guild 2 to shard 0 only.
            guilds[1].add_text_channel("on-shard-1")
            guilds[2].add_text_channel("on-shard-0")
            (event1,) = await dispatches(ws1, 1)
            (event0,) = await dispatches(ws0, 1)
            assert event1["d"]["name"] == "on-shard-1" and event1["d"]["guild_id"] == str(guilds[1].id)
            assert event0["d"]["name"] == "on-shard-0" and event0["d"]["guild_id"] == str(guilds[2].id)
    assert sb.identifies == 2


@pytest.mark.parametrize(("shard", "code"), [(None, 4011), ([2, 2], 4010), ([0, 3], 4010)])
async def test_a_missing_or_wrong_shard_is_refused_like_discord(
    sb: Sandbox, shard: list[int] | None, code: int
) -> None:
    sb.shard_count = 2
    async with aiohttp.ClientSession() as http, http.ws_connect(sb.gateway_url) as ws:
        await identify(ws, sb.token, shard)
        msg = await ws.receive()
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == code
