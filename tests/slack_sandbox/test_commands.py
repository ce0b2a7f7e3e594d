"""Slash commands: from a member's keyboard to the Bolt app, and the app's answer back to them."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from slack_sandbox import CommandError, SlackSandbox

from .conftest import Connect, Klass


async def test_a_command_reaches_the_app_and_its_ack_is_shown_only_to_who_typed_it(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, klass: Klass
) -> None:
    received: list[dict[str, Any]] = []

    @app.command("/session")
    async def session(ack: Any, command: dict[str, Any]) -> None:
        received.append(command)
        await ack(f"Starting at {command['text'].split()[-1]}: posting to <#{command['channel_id']}>")

    await connect(app)
    seen = await klass.teacher.command("/session", "start 13:50", channel=klass.room)

    assert seen.text == "Starting at 13:50: posting to #reading-group"
    assert [r.ephemeral for r in seen.replies] == [True]
    assert received[0]["command"] == "/session"
    assert received[0]["text"] == "start 13:50"  # Slack has no subcommands: one text after the command
    assert received[0]["user_id"] == klass.teacher.id
    assert received[0]["channel_id"] == klass.room.id
    assert received[0]["trigger_id"] and received[0]["response_url"].startswith(sb.base_url)
    assert "Starting" in klass.teacher.read(klass.room)[-1].text
    assert all("Starting" not in m.text for m in klass.alice.read(klass.room))


async def test_an_in_channel_answer_is_posted_for_everyone_after_the_typed_command(
    app: AsyncApp, connect: Connect, klass: Klass
) -> None:
    @app.command("/checkin")
    async def checkin(ack: Any) -> None:
        await ack(text="Press *I'm here* when you arrive", response_type="in_channel")

    await connect(app)
    await klass.teacher.command("/checkin", channel=klass.room)

    assert [m.text for m in klass.alice.read(klass.room)] == ["/checkin", "Press *I'm here* when you arrive"]
    assert klass.alice.read(klass.room)[0].message.user == klass.teacher.id


async def test_a_later_answer_through_the_response_url_reaches_the_member(
    app: AsyncApp, connect: Connect, klass: Klass
) -> None:
    @app.command("/links")
    async def links(ack: Any, respond: Any) -> None:
        await ack()
        await respond("Slides: 3 of 4 groups")

    await connect(app)
    seen = await klass.teacher.command("/links", channel=klass.room)

    assert seen.text == "Slides: 3 of 4 groups"
    assert seen.replies[0].ephemeral and seen.replies[0].message.via == "response_url"
    assert klass.alice.ephemerals() == []


async def test_a_response_url_takes_five_answers_within_thirty_minutes(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, klass: Klass
) -> None:
    statuses: list[tuple[int, Any]] = []

    @app.command("/status")
    async def status(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack()
        for i in range(6):
            r = await respond(f"update {i}")
            statuses.append((r.status_code, r.body))

    await connect(app)
    seen = await klass.teacher.command("/status", channel=klass.room)
    await seen.wait(lambda o: len(statuses) == 6)

    assert [s for s, _ in statuses] == [200] * 5 + [404]
    assert '"used_url"' in statuses[-1][1]
    assert seen.text.splitlines() == [f"update {i}" for i in range(5)]


async def test_a_response_url_expires_after_thirty_minutes(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, klass: Klass
) -> None:
    @app.command("/status")
    async def status(ack: Any) -> None:
        await ack("on it")

    await connect(app)
    seen = await klass.teacher.command("/status", channel=klass.room)
    url = seen.envelope.payload["response_url"]
    sb.clock.skip(30 * 60 + 1)
    late = await AsyncWebhookClient(url).send(text="too late")
    assert late.status_code == 404 and "expired_url" in late.body


async def test_a_command_the_app_answers_with_silence_fails_the_test(
    app: AsyncApp, connect: Connect, klass: Klass
) -> None:
    @app.command("/quiet")
    async def quiet(ack: Any) -> None:
        await ack()

    await connect(app)
    with pytest.raises(TimeoutError, match="the app showed Dimitrios Papadopoulos nothing"):
        await klass.teacher.command("/quiet", channel=klass.room, timeout=0.5)


async def test_a_command_the_app_does_not_have_cannot_be_typed(klass: Klass, sb: SlackSandbox) -> None:
    sb.commands = {"/session"}
    with pytest.raises(CommandError, match="/sesion is not a command of the app"):
        await klass.alice.command("/sesion", "start")


async def test_a_member_cannot_type_in_a_private_channel_they_are_not_in(
    sb: SlackSandbox, klass: Klass
) -> None:
    staff = sb.add_channel("staff", [klass.teacher], private=True)
    with pytest.raises(CommandError, match="not in staff"):
        await klass.alice.command("/session", "status", channel=staff)
