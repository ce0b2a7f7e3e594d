"""Buttons and menus on messages: what the app is sent, and what the member sees it answer."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from slack_sandbox import CommandError, SlackSandbox

from .conftest import Connect, Klass

CARD = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Your role:* Scientific Peer Reviewer"}},
    {
        "type": "actions",
        "block_id": "card",
        "elements": [
            {
                "type": "button",
                "action_id": "ack",
                "value": "seat-7",
                "text": {"type": "plain_text", "text": "Got it"},
            },
            {
                "type": "static_select",
                "action_id": "swap",
                "placeholder": {"type": "plain_text", "text": "Swap with"},
                "options": [{"text": {"type": "plain_text", "text": "Bob"}, "value": "bob"}],
            },
        ],
    },
]


async def test_a_pressed_button_reaches_the_app_and_the_card_it_edits_changes_for_everyone(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, web: AsyncWebClient, klass: Klass
) -> None:
    bodies: list[dict[str, Any]] = []

    @app.action("ack")
    async def acknowledged(ack: Any, body: dict[str, Any], client: Any) -> None:
        await ack()
        bodies.append(body)
        await client.chat_update(
            channel=body["container"]["channel_id"],
            ts=body["container"]["message_ts"],
            text=f"Acknowledged by <@{body['user']['id']}>",
            blocks=[],
        )

    await connect(app)
    posted = await web.chat_postMessage(channel=klass.room.id, text="Your role card", blocks=CARD)
    card = klass.bob.posts(klass.room)[0]
    assert card.text == "*Your role:* Scientific Peer Reviewer\n[Got it] [Swap with ▾]"

    pressed = await klass.bob.click(card, "ack")

    body = bodies[0]
    assert body["type"] == "block_actions" and body["trigger_id"]
    assert body["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": klass.room.id,
        "is_ephemeral": False,
    }
    assert body["actions"][0] | {"action_ts": "-"} == {
        "type": "button",
        "action_id": "ack",
        "block_id": "card",
        "value": "seat-7",
        "text": {"type": "plain_text", "text": "Got it"},
        "action_ts": "-",
    }
    assert body["message"]["ts"] == posted["ts"] and body["user"]["id"] == klass.bob.id
    assert pressed.source_changed
    assert [m.text for m in klass.alice.posts(klass.room)] == ["Acknowledged by @Bob Berg"]


async def test_a_menu_choice_is_sent_as_the_selected_option(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, web: AsyncWebClient, klass: Klass
) -> None:
    @app.action("swap")
    async def swap(ack: Any, action: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(f"Swap with {action['selected_option']['value']} requested")

    await connect(app)
    await web.chat_postMessage(channel=klass.room.id, text="card", blocks=CARD)
    card = klass.alice.posts(klass.room)[0]
    chose = await klass.alice.click(card, "swap", "bob")
    assert chose.text == "Swap with bob requested" and chose.replies[0].ephemeral
    with pytest.raises(ValueError, match="offers no option 'eve'"):
        await klass.alice.click(card, "swap", "eve")
    with pytest.raises(LookupError, match="no element with action_id 'nope'"):
        await klass.alice.click(card, "nope")


async def test_an_ephemeral_card_is_replaced_then_deleted_through_its_response_url(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, web: AsyncWebClient, klass: Klass
) -> None:
    bodies: list[dict[str, Any]] = []

    @app.action("ack")
    async def acknowledged(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        bodies.append(body)
        if len(bodies) == 1:
            await respond(replace_original=True, text="Thanks, noted", blocks=CARD)
        else:
            await respond(delete_original=True)

    await connect(app)
    await web.chat_postEphemeral(channel=klass.room.id, user=klass.alice.id, text="card", blocks=CARD)
    card = klass.alice.ephemerals(klass.room)[0]
    with pytest.raises(CommandError, match="ephemeral message shown to someone else"):
        await klass.bob.click(card, "ack")

    first = await klass.alice.click(card, "ack")
    assert bodies[0]["container"]["is_ephemeral"] is True and "message" not in bodies[0]
    assert first.source_changed and klass.alice.ephemerals(klass.room)[0].edited
    second = await klass.alice.click(card, "ack")
    assert second.source_changed and klass.alice.ephemerals(klass.room) == []
