"""Every REST request the real bot makes in a representative session matches Discord's OpenAPI spec."""

from __future__ import annotations

import pytest

from discord_sandbox import Sandbox
from discord_sandbox.contract import SPEC_PATH, OpenAPIContract, assert_requests_match_contract
from tests.e2e.conftest import (  # the e2e fixtures, reused as they are
    Classroom,
    classroom,
    config_path,
    limits,
    sandbox,
)

__all__ = ["classroom", "config_path", "limits", "sandbox"]

pytestmark = pytest.mark.skipif(
    not SPEC_PATH.is_file(),
    reason=f"Discord's OpenAPI spec is not at {SPEC_PATH} (the shared discord-api-spec checkout)",
)


@pytest.fixture(scope="module")
def contract() -> OpenAPIContract:
    return OpenAPIContract()


def test_the_checker_accepts_good_requests_and_names_bad_ones(contract: OpenAPIContract) -> None:
    ok = {
        "content": "hi",
        "nonce": "1",
        "enforce_nonce": True,
        "allowed_mentions": {"parse": [], "users": [5]},
    }
    assert contract.check("POST", "/api/v10/channels/123/messages", {}, ok) == []
    assert contract.check("GET", "/api/v10/users/@me", {}, None) == []
    assert contract.check("PUT", "/channels/1/thread-members/@me", {}, None) == []
    assert (
        contract.check("POST", "/interactions/1/tok/callback", {"with_response": "True"}, {"type": 5}) == []
    )
    assert contract.template_for("GET", "/webhooks/1/tok/messages/@original") == (
        "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
    )

    (unknown,) = contract.check("GET", "/api/v10/no/such/thing", {}, None)
    assert "no such path" in unknown
    (method,) = contract.check("PUT", "/channels/1/messages", {}, {})
    assert "method not in the spec" in method
    bad = contract.check(
        "POST", "/channels/abc/messages", {"bogus": "1"}, {"embeds": [{"title": 5}], "tts": "yes"}
    )
    assert any("channel_id='abc'" in p for p in bad)
    assert any("unknown query parameter 'bogus'" in p for p in bad)
    assert any("body.embeds[0].title" in p for p in bad)
    assert any("body.tts" in p for p in bad)
    (multipart,) = contract.check("POST", "/channels/1/messages", {}, {"flags": "x"}, multipart=True)
    assert "body.flags" in multipart


@pytest.mark.e2e
async def test_a_session_from_status_to_stop_sends_only_requests_the_spec_allows(
    classroom: Classroom, contract: OpenAPIContract
) -> None:
    run, teacher = classroom.run, classroom.instructor
    assert (await run(teacher, "conductor status")).text
    started = await run(teacher, "session start", plan="fast")
    assert "Started **fast**" in started.text
    assert "Done: now" in (await run(teacher, "session pause")).text
    assert "later" in (await run(teacher, "session resume")).text
    assert "Stopped" in (await run(teacher, "session stop")).text
    sb: Sandbox = classroom.sandbox
    await sb.wait_for(
        lambda: any("session was stopped" in (m.content or "") for m in classroom.posts()), timeout=5
    )

    routes = {f"{r.method} {contract.template_for(r.method, r.path)}" for r in sb.requests}
    assert "POST /channels/{channel_id}/messages" in routes  # the scenario exercised the outbox
    assert "POST /interactions/{interaction_id}/{interaction_token}/callback" in routes
    assert_requests_match_contract(sb, contract)
