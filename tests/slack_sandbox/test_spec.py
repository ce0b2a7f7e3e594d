"""Every request is checked against Slack's OpenAPI description (../shared/slack-api/)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_sandbox import Problem, SlackSandbox
from slack_sandbox.spec import SpecCheck, TokenKind
from slack_sandbox.webapi import METHODS

from .conftest import Klass

pytestmark = pytest.mark.skipif(
    not SpecCheck().available, reason=f"Slack's OpenAPI description is not at {SpecCheck().path}"
)


async def test_an_unknown_parameter_is_recorded_and_ignored_as_slack_ignores_it(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    await web.chat_postMessage(channel=klass.room.id, text="Phase 1", colour="green")
    assert [str(v) for v in sb.violations] == ["chat.postMessage: unknown_parameter: colour"]
    assert [m.text for m in sb.posts(klass.room)] == ["Phase 1"]
    with pytest.raises(AssertionError, match="unknown_parameter: colour"):
        sb.assert_clean()
    sb.violations.clear()


async def test_a_missing_required_parameter_is_refused(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    with pytest.raises(SlackApiError) as e:
        await web.api_call("chat.postEphemeral", json={"channel": klass.room.id, "text": "hi"})
    assert e.value.response["error"] == "invalid_arguments"
    assert e.value.response["response_metadata"]["messages"] == ["[ERROR] missing required field: user"]
    assert [(v.problem, v.detail) for v in sb.violations] == [(Problem.MISSING_PARAMETER, "user")]
    sb.violations.clear()


async def test_a_method_slack_does_not_have_is_unknown(sb: SlackSandbox, web: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as e:
        await web.api_call("chat.postMessages", json={"channel": "C1", "text": "x"})
    assert e.value.response["error"] == "unknown_method"
    assert [v.problem for v in sb.violations] == [Problem.UNKNOWN_METHOD]
    sb.violations.clear()


async def test_a_real_method_the_sandbox_does_not_model_is_flagged(
    sb: SlackSandbox, web: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError):
        await web.reactions_add(channel="C1", timestamp="1.2", name="tada")
    assert [str(v) for v in sb.violations] == [
        "reactions.add: not_modelled: a real method the sandbox does not answer"
    ]
    sb.violations.clear()


def test_every_method_the_sandbox_answers_is_described_with_its_token_kind() -> None:
    spec = SpecCheck()
    described = spec.methods()
    for name, method in METHODS.items():
        assert name in described, name
        assert method.token in described[name].tokens, name


def test_a_bot_token_cannot_call_a_user_only_method() -> None:
    violations = SpecCheck().check("search.messages", {"query": "slides"}, TokenKind.BOT)
    assert [v.problem for v in violations] == [Problem.TOKEN_KIND]


def test_newer_parameters_from_slacks_docs_are_accepted() -> None:
    spec = SpecCheck()
    assert spec.check("conversations.open", {"users": "U1", "prevent_creation": "true"}, TokenKind.BOT) == []
    assert spec.check("views.open", {"interactivity_pointer": "p", "view": "{}"}, TokenKind.BOT) == []
    assert spec.check("chat.postMessage", {"channel": "C1", "team_id": "T1"}, TokenKind.BOT) == []
