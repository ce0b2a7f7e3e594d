"""The Web API through slack_sdk's AsyncWebClient: answers, Slack's error strings, tokens and scopes."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_sandbox import DEFAULT_SCOPES, Kind, SlackSandbox

from .conftest import Klass, web_client


async def refused(call: object) -> SlackApiError:
    """The SlackApiError an awaited call raises."""
    with pytest.raises(SlackApiError) as e:
        await call  # type: ignore[misc]
    return e.value


async def test_auth_test_says_who_the_bot_is(sb: SlackSandbox, web: AsyncWebClient) -> None:
    me = await web.auth_test()
    assert me["user_id"] == sb.bot.id and me["bot_id"] == sb.bot.bot_id
    assert me["team_id"] == sb.workspace.team.id and me["team"] == "DTU 02501 ADLCV"


async def test_a_missing_or_wrong_token_is_refused(sb: SlackSandbox) -> None:
    assert (await refused(AsyncWebClient(base_url=sb.api_url).auth_test())).response["error"] == "not_authed"
    wrong = AsyncWebClient(token="xoxb-1-2-nope", base_url=sb.api_url)
    assert (await refused(wrong.auth_test())).response["error"] == "invalid_auth"


async def test_the_app_level_token_only_opens_connections(sb: SlackSandbox, klass: Klass) -> None:
    as_app = AsyncWebClient(token=sb.app_token, base_url=sb.api_url)
    e = await refused(as_app.chat_postMessage(channel=klass.room.id, text="hi"))
    assert e.response["error"] == "not_allowed_token_type"
    e = await refused(web_client(sb).apps_connections_open(app_token=sb.bot_token))
    assert e.response["error"] == "not_allowed_token_type"
    assert [str(v) for v in sb.violations] == [
        "chat.postMessage: token_kind: called with an xapp token; takes xoxb, xoxp",
        "apps.connections.open: token_kind: called with an xoxb token; takes xapp",
    ]
    sb.violations.clear()


async def test_every_answer_says_the_installed_scopes(sb: SlackSandbox, web: AsyncWebClient) -> None:
    answer = await web.auth_test()
    assert answer.headers["x-oauth-scopes"] == ",".join(sorted(DEFAULT_SCOPES))


async def test_a_method_whose_scope_is_not_installed_answers_missing_scope(
    sb: SlackSandbox, web: AsyncWebClient
) -> None:
    e = await refused(web.team_info())
    assert e.response["error"] == "missing_scope"
    assert e.response["needed"] == "team:read"
    assert e.response["provided"] == ",".join(sorted(DEFAULT_SCOPES))
    sb.scopes = sb.scopes | {"team:read"}
    assert (await web.team_info())["team"]["name"] == "DTU 02501 ADLCV"


async def test_posting_where_the_app_is_not_is_refused_as_slack_does(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    lobby = sb.add_channel("lobby", [klass.alice], with_app=False)
    secret = sb.add_channel("staff", [klass.teacher], private=True, with_app=False)
    assert (await refused(web.chat_postMessage(channel=lobby.id, text="hi"))).response[
        "error"
    ] == "not_in_channel"
    assert (await refused(web.chat_postMessage(channel=secret.id, text="hi"))).response[
        "error"
    ] == "channel_not_found"
    assert (await refused(web.chat_postMessage(channel="C0NOPE", text="hi"))).response[
        "error"
    ] == "channel_not_found"
    with pytest.warns(UserWarning, match="`text` argument is missing"):
        assert (await refused(web.chat_postMessage(channel=klass.room.id))).response["error"] == "no_text"
    assert sb.posts(lobby) == [] and sb.posts(secret) == []


async def test_messages_are_posted_edited_and_deleted_with_unique_increasing_ts(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    posted = [await web.chat_postMessage(channel=klass.room.id, text=f"Phase {i}") for i in range(3)]
    stamps = [p["ts"] for p in posted]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    await web.chat_update(channel=klass.room.id, ts=stamps[1], text="Phase 1 (extended)")
    await web.chat_delete(channel=klass.room.id, ts=stamps[2])
    assert [(m.text, m.edited) for m in klass.bob.posts(klass.room)] == [
        ("Phase 0", False),
        ("Phase 1 (extended)", True),
    ]
    assert (await refused(web.chat_update(channel=klass.room.id, ts=stamps[2], text="x"))).response[
        "error"
    ] == "message_not_found"


async def test_the_app_cannot_edit_a_members_message(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    said = klass.alice.say(klass.room, "hello")
    e = await refused(web.chat_update(channel=klass.room.id, ts=said.ts, text="goodbye"))
    assert e.response["error"] == "cant_update_message"
    e = await refused(web.chat_delete(channel=klass.room.id, ts=said.ts))
    assert e.response["error"] == "cant_delete_message"


async def test_a_reply_goes_to_the_thread_of_its_parent(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    parent = await web.chat_postMessage(channel=klass.room.id, text="Group 1")
    reply = await web.chat_postMessage(channel=klass.room.id, text="Slides?", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    e = await refused(web.chat_postMessage(channel=klass.room.id, text="x", thread_ts="123.456"))
    assert e.response["error"] == "thread_not_found"


async def test_an_ephemeral_message_is_shown_to_one_member_of_the_channel(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    sent = await web.chat_postEphemeral(
        channel=klass.room.id, user=klass.alice.id, text="Only you: your role is *Reviewer*"
    )
    assert sent["message_ts"]
    assert [m.text for m in klass.alice.ephemerals(klass.room)] == ["Only you: your role is *Reviewer*"]
    assert klass.bob.read(klass.room) == []
    outsider = sb.add_user("Eve Outsider")
    e = await refused(web.chat_postEphemeral(channel=klass.room.id, user=outsider.id, text="hi"))
    assert e.response["error"] == "user_not_in_channel"


async def test_posting_to_a_members_id_lands_in_their_dm(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    await web.chat_postMessage(channel=klass.alice.id, text="Your role card")
    assert [m.text for m in klass.alice.dms()] == ["Your role card"]
    assert klass.bob.dms() == []


async def test_dms_and_group_dms_are_opened_once(sb: SlackSandbox, web: AsyncWebClient, klass: Klass) -> None:
    dm = await web.conversations_open(users=klass.alice.id)
    again = await web.conversations_open(users=[klass.alice.id])
    assert dm["channel"]["id"] == again["channel"]["id"] and again["already_open"] is True
    assert sb.workspace.channels[dm["channel"]["id"]].kind is Kind.IM
    group = await web.conversations_open(users=[klass.alice.id, klass.bob.id], return_im=True)
    assert group["channel"]["is_mpim"] is True
    assert set(sb.workspace.channels[group["channel"]["id"]].members) == {
        sb.bot.id,
        klass.alice.id,
        klass.bob.id,
    }
    crowd = [sb.add_user(f"Student {i}").id for i in range(9)]
    assert (await refused(web.conversations_open(users=crowd))).response["error"] == "too_many_users"
    assert (await refused(web.conversations_open(users="U0NOPE"))).response["error"] == "user_not_found"


async def test_channel_names_follow_slacks_rules(sb: SlackSandbox, web: AsyncWebClient, klass: Klass) -> None:
    made = await web.conversations_create(name="paper-1_reviewers", is_private=True)
    assert made["channel"]["is_private"] is True and made["channel"]["is_member"] is True
    cases = {
        "paper-1_reviewers": "name_taken",
        "Paper-1": "invalid_name_specials",
        "paper 1": "invalid_name_specials",
        "p" * 81: "invalid_name_maxlength",
        "---": "invalid_name_punctuation",
        "": "invalid_name_required",
    }
    for name, error in cases.items():
        assert (await refused(web.conversations_create(name=name, is_private=True))).response[
            "error"
        ] == error, name
    assert (await web.conversations_create(name="p" * 80))["channel"]["name"] == "p" * 80


async def test_inviting_kicking_and_archiving_a_private_group(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    room = (await web.conversations_create(name="group-1", is_private=True))["channel"]["id"]
    await web.conversations_invite(channel=room, users=[klass.alice.id, klass.bob.id])
    assert [c.name for c in klass.alice.private_channels()] == ["group-1"]
    e = await refused(web.conversations_invite(channel=room, users=[klass.alice.id, klass.teacher.id]))
    assert e.response["error"] == "already_in_channel"
    assert klass.teacher.id not in sb.channel("group-1").members  # all or nothing
    await web.conversations_kick(channel=room, user=klass.bob.id)
    assert klass.bob.private_channels() == []
    assert (await refused(web.conversations_kick(channel=room, user=klass.bob.id))).response[
        "error"
    ] == "not_in_channel"
    assert (await refused(web.conversations_kick(channel=room, user=sb.bot.id))).response[
        "error"
    ] == "cant_kick_self"
    await web.conversations_archive(channel=room)
    assert (await refused(web.chat_postMessage(channel=room, text="late"))).response["error"] == "is_archived"
    assert (await refused(web.conversations_archive(channel=room))).response["error"] == "already_archived"


async def test_members_and_users_come_a_page_at_a_time(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    for i in range(5):
        sb.add_user(f"Student {i:02d}")
    pages, cursor = [], None
    while True:
        page = await web.users_list(limit=3, cursor=cursor)
        pages.append([u["name"] for u in page["members"]])
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert [len(p) for p in pages] == [3, 3, 3, 1]  # the bot, Slackbot, 3 people, 5 students
    members = await web.conversations_members(channel=klass.room.id, limit=2)
    rest = await web.conversations_members(
        channel=klass.room.id, cursor=members["response_metadata"]["next_cursor"]
    )
    assert members["members"] + rest["members"] == sb.channel("reading-group").members
    assert (await refused(web.users_list(cursor="bogus!"))).response["error"] == "invalid_cursor"


async def test_people_are_found_by_id_and_by_email(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    bob = (await web.users_info(user=klass.bob.id))["user"]
    assert (bob["real_name"], bob["tz"], bob["tz_offset"], bob["profile"]["email"]) == (
        "Bob Berg",
        "America/New_York",
        bob["tz_offset"],
        "bob@example.edu",
    )
    assert bob["tz_offset"] in (-5 * 3600, -4 * 3600)
    assert (await web.users_lookupByEmail(email="ALICE@example.edu"))["user"]["id"] == klass.alice.id
    assert (await refused(web.users_lookupByEmail(email="nobody@example.edu"))).response[
        "error"
    ] == "users_not_found"
    assert (await refused(web.users_info(user="U0NOPE"))).response["error"] == "user_not_found"


async def test_without_the_email_scope_profiles_carry_no_email(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    sb.scopes = sb.scopes - {"users:read.email"}
    assert "email" not in (await web.users_info(user=klass.bob.id))["user"]["profile"]


async def test_conversations_are_listed_by_type_as_the_app_sees_them(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    sb.add_channel("staff", [klass.teacher], private=True, with_app=False)
    await web.conversations_create(name="group-1", is_private=True)
    public = await web.conversations_list()
    assert sorted(c["name"] for c in public["channels"]) == ["general", "reading-group"]
    both = await web.conversations_list(types="public_channel,private_channel")
    assert sorted(c["name"] for c in both["channels"]) == ["general", "group-1", "reading-group"]
    info = await web.conversations_info(channel=klass.room.id, include_num_members=True)
    assert info["channel"]["num_members"] == 4 and info["channel"]["is_member"] is True
    e = await refused(web.conversations_list(types="im"))
    assert (e.response["error"], e.response["needed"]) == ("missing_scope", "im:read")


async def test_form_encoded_and_json_bodies_are_both_read(sb: SlackSandbox, klass: Klass) -> None:
    headers = {"Authorization": f"Bearer {sb.bot_token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        form = await (
            await http.post(sb.api_url + "chat.postMessage", data={"channel": klass.room.id, "text": "form"})
        ).json()
        body = {"channel": klass.room.id, "text": "json"}
        as_json = await (await http.post(sb.api_url + "chat.postMessage", json=body)).json()
        broken = await (
            await http.post(
                sb.api_url + "chat.postMessage", data=b"{nope", headers={"Content-Type": "application/json"}
            )
        ).json()
    assert form["ok"] and as_json["ok"] and broken == {"ok": False, "error": "invalid_json"}
    assert [m.text for m in sb.posts(klass.room)] == ["form", "json"]


async def test_the_app_joins_a_public_channel_with_the_join_scope(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    lobby = sb.add_channel("lobby", [klass.alice], with_app=False)
    assert (await refused(web.conversations_join(channel=lobby.id))).response["needed"] == "channels:join"
    sb.scopes = sb.scopes | {"channels:join"}
    assert (await web.conversations_join(channel=lobby.id))["channel"]["is_member"] is True
    await web.chat_postMessage(channel=lobby.id, text="Hello lobby")
    assert [m.text for m in klass.alice.posts(lobby)] == ["Hello lobby"]
