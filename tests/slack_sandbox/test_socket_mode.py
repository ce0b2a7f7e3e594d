"""Socket Mode: the hello, envelopes and acknowledgements, redelivery, disconnects and a killed app."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from slack_sandbox import EnvelopeType, SlackSandbox, SocketSettings

from .conftest import BoltLog, Connect, Klass

ROOT = Path(__file__).resolve().parents[2]


def retry(request: Any) -> tuple[str, str]:
    """The retry number and reason Bolt passes on from the envelope (as HTTP mode's headers)."""
    return request.headers["x-slack-retry-num"][0], request.headers["x-slack-retry-reason"][0]


@pytest.fixture
def socket_settings() -> SocketSettings:
    """Slack's 3 s, shortened so that waiting for a redelivery keeps the tests quick."""
    return SocketSettings(ack_timeout=0.5)


async def test_the_socket_speaks_slacks_frames(sb: SlackSandbox, klass: Klass) -> None:
    opened = await AsyncWebClient(base_url=sb.api_url).apps_connections_open(app_token=sb.app_token)
    assert opened["url"].startswith(f"ws://127.0.0.1:{sb.port}/link/?ticket=")
    async with aiohttp.ClientSession() as http, http.ws_connect(opened["url"]) as ws:
        hello = await ws.receive_json()
        assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == sb.app_id
        typed = asyncio.create_task(klass.alice.command("/myrole", channel=klass.room))
        envelope = await ws.receive_json()
        assert set(envelope) == {
            "envelope_id",
            "type",
            "payload",
            "accepts_response_payload",
            "retry_attempt",
            "retry_reason",
        }
        assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"] is True
        assert (
            envelope["payload"]["command"] == "/myrole" and envelope["payload"]["user_id"] == klass.alice.id
        )
        await ws.send_str(
            json.dumps(
                {"envelope_id": envelope["envelope_id"], "payload": {"text": "You are the *Reviewer*"}}
            )
        )
        seen = await typed
    assert seen.text == "You are the *Reviewer*"
    assert sb.socket.disconnects == ["client 1000"]


async def test_a_connection_url_works_once(sb: SlackSandbox) -> None:
    opened = await AsyncWebClient(base_url=sb.api_url).apps_connections_open(app_token=sb.app_token)
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(opened["url"]) as ws:
            assert (await ws.receive_json())["type"] == "hello"
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(opened["url"])
    assert refused.value.status == 401


async def test_an_envelope_not_acknowledged_in_time_comes_again_with_its_retry_attempt(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, klass: Klass, bolt_log: BoltLog
) -> None:
    bolt_log.allow("didn't call ack()")
    attempts: list[tuple[str, str]] = []

    @app.command("/session")
    async def session(ack: Any, request: Any) -> None:
        num, reason = retry(request)
        attempts.append((num, reason))
        if num != "0":  # a slow first delivery: only the second is answered
            await ack("Session started")

    await connect(app)
    seen = await klass.teacher.command("/session", "start", channel=klass.room, allow_late=True)

    assert attempts == [("0", ""), ("1", "timeout")]
    assert seen.envelope.retry_attempt == 1 and seen.late
    assert seen.text == "Session started"


async def test_an_envelope_never_acknowledged_is_given_up_after_three_retries(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, klass: Klass, bolt_log: BoltLog
) -> None:
    bolt_log.allow("didn't call ack()")
    attempts: list[str] = []

    @app.command("/session")
    async def session(ack: Any, request: Any) -> None:
        attempts.append(retry(request)[0])

    await connect(app)
    with pytest.raises(TimeoutError, match="never acknowledged /session"):
        await klass.teacher.command("/session", channel=klass.room, timeout=10)
    assert attempts == ["0", "1", "2", "3"]


async def test_with_slacks_own_rule_only_events_are_redelivered(sb: SlackSandbox, klass: Klass) -> None:
    sb.socket.settings = SocketSettings(ack_timeout=0.2, redeliver=frozenset({EnvelopeType.EVENTS_API}))
    opened = await AsyncWebClient(base_url=sb.api_url).apps_connections_open(app_token=sb.app_token)
    async with aiohttp.ClientSession() as http, http.ws_connect(opened["url"]) as ws:
        await ws.receive_json()
        with pytest.raises(TimeoutError, match="never acknowledged"):
            await klass.alice.command("/myrole", channel=klass.room)
        first = await ws.receive_json()
        event = sb.send_event({"type": "app_home_opened", "user": klass.alice.id})
        kinds = [first["type"]]
        for _ in range(2):
            kinds.append((await ws.receive_json())["type"])
        await ws.send_str(json.dumps({"envelope_id": event.id}))
        await sb.wait_for(lambda: event.acked, 2)
    assert kinds == ["slash_commands", "events_api", "events_api"]
    assert event.retry_attempt == 1


async def test_asked_to_reconnect_the_app_moves_to_a_new_socket_and_keeps_answering(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, klass: Klass
) -> None:
    @app.command("/session")
    async def session(ack: Any) -> None:
        await ack("Status: running")

    await connect(app)
    await sb.socket.send_disconnect("refresh_requested")
    await sb.wait_for(lambda: len(sb.socket.connections) == 2 and sb.socket.disconnects == ["client 1000"], 5)

    seen = await klass.teacher.command("/session", "status", channel=klass.room)
    assert seen.text == "Status: running"
    assert seen.envelope.sent == [2]


async def test_an_envelope_sent_to_a_killed_app_goes_to_the_restarted_one(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, klass: Klass, tmp_path: Path
) -> None:
    script = tmp_path / "stuck_app.py"
    script.write_text(
        textwrap.dedent(
            """
            import asyncio, os
            from slack_bolt.async_app import AsyncApp
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
            from slack_sdk.web.async_client import AsyncWebClient

            async def main():
                app = AsyncApp(client=AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"],
                                                     base_url=os.environ["SLACK_API_URL"]))

                @app.command("/session")
                async def stuck(ack):
                    await asyncio.Event().wait()  # busy for ever: never acknowledges

                await AsyncSocketModeHandler(app, os.environ["SLACK_APP_TOKEN"]).start_async()

            asyncio.run(main())
            """
        )
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), env={**sb.env(), "PATH": ""}, cwd=ROOT
    )
    try:
        await sb.wait_for(sb.socket.live, 20, "the app process to connect")
        typed = asyncio.create_task(
            klass.teacher.command("/session", "status", channel=klass.room, timeout=20, allow_late=True)
        )
        await sb.wait_for(lambda: any(e.sent == [1] for e in sb.socket.envelopes.values()), 5)
    finally:
        proc.kill()
        await proc.wait()
    await sb.wait_for(lambda: sb.socket.disconnects == ["dropped"], 5, "the socket to drop")

    @app.command("/session")
    async def session(ack: Any) -> None:
        await ack("Status: running")

    await connect(app)
    seen = await typed
    assert seen.text == "Status: running"
    assert seen.envelope.sent == [1, 2] and seen.envelope.retry_attempt == 1
    assert seen.envelope.retry_reason == "timeout"


async def test_a_message_to_the_app_arrives_as_an_event_when_the_app_subscribed(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, klass: Klass
) -> None:
    heard: list[dict[str, Any]] = []

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        heard.append(event)

    await connect(app)
    klass.alice.say(klass.room, "not subscribed to channel messages")
    sb.events = {"message.im"}
    said = klass.alice.say(klass.alice.open_dm(), "when is the break?")
    await sb.wait_for(lambda: heard, 5, "the event")
    assert [(e["text"], e["channel_type"], e["user"], e["ts"]) for e in heard] == [
        ("when is the break?", "im", klass.alice.id, said.ts)
    ]
    assert all(env.acked for env in sb.socket.envelopes.values())
