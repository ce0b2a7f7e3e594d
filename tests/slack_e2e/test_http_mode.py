"""HTTP mode: Slack POSTs signed requests to the app; an unsigned or forged one changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import socket
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.adapters.slack.frontend import SlackConductor
from bot.config import load_config
from bot.settings import Settings
from slack_sandbox import SlackSandbox
from slack_sandbox.interactions import command_payload
from tests.e2e.conftest import FAST_PHASES, write_config

from .conftest import SLACK, populate, slack_settings

pytestmark = pytest.mark.e2e
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed(body: str, secret: str = SECRET) -> dict[str, str]:
    """Slack's request signature: `v0=` HMAC-SHA256 of `v0:timestamp:body`."""
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def test_a_signed_command_is_answered_and_a_forged_one_is_refused(tmp_path: Path) -> None:
    async with SlackSandbox() as sb:
        channel, teacher, _ = populate(sb, students=3)
        config = write_config(tmp_path, FAST_PHASES + SLACK)
        port = free_port()
        base = slack_settings(sb, tmp_path, config)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=sb.bot_token,
            slack_api_base=sb.api_url,
            slack_http_port=port,
            slack_signing_secret=SECRET,
            database_url=base.database_url,
            conductor_config=config,
        )
        app = SlackConductor(settings, load_config(config))
        await app.start()
        try:
            url = sb.responses.issue("commands", teacher.id, channel.id)
            trigger = sb.issue_trigger(teacher.id)
            payload = command_payload(sb, teacher.user, channel, "/session", "status", trigger, url)
            body = urlencode(payload)
            events = f"http://127.0.0.1:{port}/slack/events"
            async with aiohttp.ClientSession() as http:
                async with http.post(events, data=body, headers=signed(body, "not-the-secret")) as forged:
                    assert forged.status == 401
                async with http.post(events, data=body, headers=signed(body)) as real:
                    assert real.status == 200
            await sb.wait_for(lambda: teacher.ephemerals(channel), timeout=10, what="the answer")
            answers = [p.text for p in teacher.ephemerals(channel)]
            assert len(answers) == 1 and "No session is running" in answers[0]
        finally:
            await app.close()
        sb.assert_clean()
