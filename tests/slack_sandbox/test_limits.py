"""Slack's message and modal limits, answered with Slack's errors (`invalid_blocks`, `invalid_arguments`...)."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_sandbox import SlackSandbox

from .conftest import Klass


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(label: str = "Got it", action_id: str = "ack", value: str = "1") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
    }


async def post_error(
    web: AsyncWebClient, channel: str, blocks: list[dict[str, Any]]
) -> tuple[str, list[str]]:
    with pytest.raises(SlackApiError) as e:
        await web.chat_postMessage(channel=channel, text="fallback", blocks=blocks)
    return e.value.response["error"], e.value.response.get("response_metadata", {}).get("messages", [])


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([section("x")] * 51, "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"),
        (
            [section("x" * 3001)],
            "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}],
            "[ERROR] must be a valid enum value [json-pointer:/blocks/0/text/type]",
        ),
        (
            [{"type": "actions", "elements": [button(label="b" * 76)]}],
            "[ERROR] must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
        ),
        (
            [{"type": "actions", "elements": [button(action_id="a" * 256)]}],
            "[ERROR] must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
        ),
        (
            [{"type": "actions", "elements": [button(value="v" * 2001)]}],
            "[ERROR] must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            "[ERROR] no more than 10 items allowed [json-pointer:/blocks/0/fields]",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
            "[ERROR] must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
        ),
        ([{"type": "embed"}], "[ERROR] failed to match all allowed schemas [json-pointer:/blocks/0]"),
        (
            [section("a") | {"block_id": "b"}, section("b") | {"block_id": "b"}],
            "[ERROR] duplicate block_id [json-pointer:/blocks/1/block_id]",
        ),
    ],
    ids=[
        "51 blocks",
        "section 3001",
        "header 151",
        "header mrkdwn",
        "button text 76",
        "action_id 256",
        "value 2001",
        "11 fields",
        "field 2001",
        "unknown block",
        "duplicate block_id",
    ],
)
async def test_blocks_over_slacks_limits_are_refused_with_slacks_words(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass, blocks: list[dict[str, Any]], message: str
) -> None:
    assert await post_error(web, klass.room.id, blocks) == ("invalid_blocks", [message])
    assert sb.posts(klass.room) == []


async def test_blocks_at_slacks_limits_are_posted(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        section("s" * 3000),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2000}] * 10},
        {"type": "actions", "elements": [button(label="b" * 75, action_id="a" * 255, value="v" * 2000)]},
        *[{"type": "divider"}] * 46,
    ]
    posted = await web.chat_postMessage(channel=klass.room.id, text="fallback", blocks=blocks)
    assert len(posted["message"]["blocks"]) == 50


async def test_blocks_sent_as_a_form_field_must_be_json(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    with pytest.raises(SlackApiError) as e:
        await web.api_call("chat.postMessage", data={"channel": klass.room.id, "blocks": "[{nope"})
    assert e.value.response["error"] == "invalid_blocks_format"


async def test_text_over_40000_characters_is_cut_by_post_and_refused_by_update(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    posted = await web.chat_postMessage(channel=klass.room.id, text="x" * 40_001)
    assert len(sb.posts(klass.room)[0].text) == 40_000
    with pytest.raises(SlackApiError) as e:
        await web.chat_update(channel=klass.room.id, ts=posted["ts"], text="y" * 40_001)
    assert e.value.response["error"] == "msg_too_long"


def modal(**changes: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "review",
        "title": {"type": "plain_text", "text": "Peer review"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "summary",
                "label": {"type": "plain_text", "text": "Summary"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        ],
    }
    view.update(changes)
    return view


@pytest.mark.parametrize(
    ("view", "message"),
    [
        (
            modal(title={"type": "plain_text", "text": "t" * 25}),
            "must be less than 25 characters [json-pointer:/view/title/text]",
        ),
        (
            modal(submit={"type": "plain_text", "text": "s" * 25}),
            "must be less than 25 characters [json-pointer:/view/submit/text]",
        ),
        (
            modal(close={"type": "plain_text", "text": "c" * 25}),
            "must be less than 25 characters [json-pointer:/view/close/text]",
        ),
        (
            modal(blocks=[{"type": "divider"}] * 101),
            "no more than 100 items allowed [json-pointer:/view/blocks]",
        ),
        (
            modal(private_metadata="m" * 3001),
            "must be less than 3001 characters [json-pointer:/view/private_metadata]",
        ),
        (
            {k: v for k, v in modal().items() if k != "submit"},
            "must provide a submit property when using input blocks [json-pointer:/view]",
        ),
    ],
    ids=["title 25", "submit 25", "close 25", "101 blocks", "metadata 3001", "inputs without submit"],
)
async def test_a_modal_over_slacks_limits_is_refused(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass, view: dict[str, Any], message: str
) -> None:
    trigger = sb.issue_trigger(klass.alice.id)
    with pytest.raises(SlackApiError) as e:
        await web.views_open(trigger_id=trigger, view=view)
    assert e.value.response["error"] == "invalid_arguments"
    assert e.value.response["response_metadata"]["messages"] == [f"[ERROR] {message}"]
    assert klass.alice.modal is None


async def test_a_modal_at_slacks_limits_opens(sb: SlackSandbox, web: AsyncWebClient, klass: Klass) -> None:
    view = modal(
        title={"type": "plain_text", "text": "t" * 24},
        private_metadata="m" * 3000,
        blocks=modal()["blocks"] + [{"type": "divider"}] * 99,
    )
    await web.views_open(trigger_id=sb.issue_trigger(klass.alice.id), view=view)
    assert klass.alice.modal is not None and len(klass.alice.modal.blocks) == 100
