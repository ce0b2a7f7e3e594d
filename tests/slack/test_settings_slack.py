"""The Slack tokens come from the environment, are checked with clear words, and are never shown."""

import pytest

from bot.settings import Settings

BOT = "xoxb-1111-2222-secretbotvalue"
APP = "xapp-1-A111-333-secretappvalue"


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for key in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_BASE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_tokens_from_the_environment_are_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(
        monkeypatch,
        SLACK_BOT_TOKEN=BOT,
        SLACK_APP_TOKEN=APP,
        SLACK_SIGNING_SECRET="shh-signing",
        SLACK_API_BASE="http://127.0.0.1:9000/api",
    )
    assert s.slack_problems() == []
    assert s.slack_bot_token is not None and s.slack_bot_token.get_secret_value() == BOT
    shown = repr(s) + str(s) + s.model_dump_json()
    for secret in (BOT, APP, "shh-signing"):
        assert secret not in shown
    assert s.resolved_slack_api_base() == "http://127.0.0.1:9000/api/"


def test_missing_or_swapped_tokens_say_which_one_and_where_to_find_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert settings(monkeypatch).slack_problems() == [
        "SLACK_BOT_TOKEN is not set: the Bot User OAuth Token (xoxb-…) from Install App.",
        "SLACK_APP_TOKEN is not set: an app-level token (xapp-…) with connections:write, "
        "from Basic Information → App-Level Tokens.",
    ]
    swapped = settings(monkeypatch, SLACK_BOT_TOKEN=APP, SLACK_APP_TOKEN=BOT, SLACK_API_BASE="127.0.0.1:9000")
    problems = swapped.slack_problems()
    assert problems == [
        "SLACK_BOT_TOKEN does not start with xoxb-: use the Bot User OAuth Token.",
        "SLACK_APP_TOKEN does not start with xapp-: use an app-level token (Socket Mode).",
        "SLACK_API_BASE must be an http:// or https:// URL (got '127.0.0.1:9000').",
    ]
    assert not any(BOT in p or APP in p for p in problems)
    assert settings(monkeypatch).resolved_slack_api_base() is None
