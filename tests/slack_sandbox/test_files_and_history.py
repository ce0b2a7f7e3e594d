"""Files shared by the app (an export), threads, and reading a conversation back."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_sandbox import SlackSandbox

from .conftest import Connect, Klass

CSV = b"student,paper,role\nAlice,1,Reviewer\n"


async def test_an_export_is_uploaded_and_shared_in_the_channel(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    with pytest.raises(SlackApiError) as e:
        await web.files_upload_v2(channel=klass.room.id, filename="session.csv", content=CSV)
    assert (e.value.response["error"], e.value.response["needed"]) == ("missing_scope", "files:write")

    sb.scopes = sb.scopes | {"files:write"}
    done = await web.files_upload_v2(
        channel=klass.room.id,
        filename="session.csv",
        content=CSV,
        title="Session export",
        initial_comment="The export",
    )
    assert done["file"]["name"] == "session.csv" and done["file"]["size"] == len(CSV)
    shared = klass.alice.posts(klass.room)[0]
    assert shared.text == "The export\n[file: Session export]" and shared.files == ("Session export",)
    async with aiohttp.ClientSession() as http:
        url = done["file"]["url_private"]
        async with http.get(url, headers={"Authorization": f"Bearer {sb.bot_token}"}) as got:
            assert await got.read() == CSV
        async with http.get(url) as anonymous:
            assert anonymous.status == 403


async def test_history_is_newest_first_and_threads_stay_out_of_the_channel(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    sb.scopes = sb.scopes | {"channels:history"}
    first = await web.chat_postMessage(channel=klass.room.id, text="Group 1 slides?")
    await web.chat_postMessage(channel=klass.room.id, text="Link received", thread_ts=first["ts"])
    await web.chat_postMessage(channel=klass.room.id, text="Break: 10 min")

    history = await web.conversations_history(channel=klass.room.id)
    assert [m["text"] for m in history["messages"]] == ["Break: 10 min", "Group 1 slides?"]
    assert history["messages"][1]["reply_count"] == 1
    thread = await web.conversations_replies(channel=klass.room.id, ts=first["ts"])
    assert [m["text"] for m in thread["messages"]] == ["Group 1 slides?", "Link received"]
    assert [m.text for m in klass.bob.read(klass.room)] == ["Group 1 slides?", "Break: 10 min"]
    assert [m.text for m in klass.bob.thread(klass.bob.read(klass.room)[0])] == [
        "Group 1 slides?",
        "Link received",
    ]
    link = await web.chat_getPermalink(channel=klass.room.id, message_ts=first["ts"])
    assert link["permalink"].endswith(f"/archives/{klass.room.id}/p{first['ts'].replace('.', '')}")


async def test_a_command_typed_in_the_apps_dm_is_answered_there(
    sb: SlackSandbox, app: AsyncApp, connect: Connect, klass: Klass
) -> None:
    @app.command("/myrole")
    async def myrole(ack: Any, command: dict[str, Any], client: Any) -> None:
        await ack()
        await client.chat_postMessage(channel=command["channel_id"], text="You are the *Archaeologist*")

    await connect(app)
    seen = await klass.bob.command("/myrole", channel=klass.bob.open_dm())
    assert seen.text == "You are the *Archaeologist*"
    assert [m.text for m in klass.bob.dms()] == ["You are the *Archaeologist*"]
    assert seen.envelope.payload["channel_name"] == "directmessage"
