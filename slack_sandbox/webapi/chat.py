"""chat.postMessage, chat.postEphemeral, chat.update and chat.delete."""

from __future__ import annotations

from typing import Any

from ..content import read_content
from ..elements import with_ids
from ..errors import SlackError
from ..ratelimits import Tier
from ..workspace import Channel, Message
from .call import Call, method
from .conversations import open_im


def _target(call: Call) -> Channel:
    """Where a message goes: a conversation by id or name, or a member's id (their DM with the app)."""
    ref = call.arg("channel") or ""
    if ref.startswith(("U", "W")) and call.ws.user(ref) is not None:
        return open_im(call, call.person(ref))
    ch = call.channel()
    if ch.is_archived:
        raise SlackError("is_archived")
    if call.bot.id not in ch.members and "chat:write.public" not in call.scopes:
        raise SlackError("not_in_channel")
    return ch


def _thread(call: Call, ch: Channel) -> str | None:
    """The thread a reply goes to: a reply to a reply joins its parent's thread."""
    ts = call.arg("thread_ts")
    if not ts:
        return None
    parent = call.ws.message(ch.id, ts)
    if parent is None:
        # Slack's own answer here is undocumented; the sandbox refuses so that a wrong ts shows up.
        raise SlackError("thread_not_found")
    return parent.thread_ts or parent.ts


def _message(call: Call, ch: Channel, *, too_long: str, ephemeral_to: str | None = None) -> Message:
    content = read_content(call.params.get("text"), call.params.get("blocks"), too_long=too_long)
    metadata = call.structured("metadata", error="invalid_metadata_format")
    return Message(
        channel=ch.id,
        ts=call.ws.ids.ts(),
        user=call.bot.id,
        text=content.text,
        blocks=with_ids(content.blocks),
        thread_ts=_thread(call, ch),
        bot_id=call.bot.bot_id,
        ephemeral_to=ephemeral_to,
        unfurl_links=call.flag("unfurl_links") if "unfurl_links" in call.params else None,
        unfurl_media=call.flag("unfurl_media") if "unfurl_media" in call.params else None,
        mrkdwn=call.flag("mrkdwn", True),
        link_names=call.flag("link_names"),
        parse=call.arg("parse"),
        reply_broadcast=call.flag("reply_broadcast"),
        metadata=metadata if isinstance(metadata, dict) else None,
    )


@method("chat.postMessage", Tier.POST, "chat:write")
def post_message(call: Call) -> dict[str, Any]:
    """Post a message (text over 40,000 characters is cut, as Slack does)."""
    ch = _target(call)
    msg = call.ws.post(ch, _message(call, ch, too_long="truncate"))
    return {
        "ok": True,
        "channel": ch.id,
        "ts": msg.ts,
        "message": msg.payload(call.ws.team.id, call.sandbox.app_id),
    }


@method("chat.postEphemeral", Tier.TIER_4, "chat:write")
def post_ephemeral(call: Call) -> dict[str, Any]:
    """Show a message to one member of a conversation."""
    ch = _target(call)
    user = call.ws.user(call.arg("user") or "")
    if user is None or user.id not in ch.members:
        raise SlackError("user_not_in_channel")
    msg = call.ws.post(ch, _message(call, ch, too_long="refuse", ephemeral_to=user.id))
    return {"ok": True, "message_ts": msg.ts}


def _own_message(call: Call, cant: str) -> tuple[Channel, Message]:
    ch = call.channel()
    msg = call.ws.message(ch.id, call.arg("ts") or "")
    if msg is None:
        raise SlackError("message_not_found")
    if msg.user != call.bot.id:
        raise SlackError(cant)
    return ch, msg


@method("chat.update", Tier.TIER_3, "chat:write")
def update(call: Call) -> dict[str, Any]:
    """Edit one of the app's messages; blocks left out are kept (an empty list removes them)."""
    ch, msg = _own_message(call, "cant_update_message")
    if ch.is_archived:
        raise SlackError("is_archived")
    text = call.params.get("text")
    blocks = call.params.get("blocks")
    content = read_content(text, blocks, too_long="refuse", required=False)
    if text is None and blocks is None:
        raise SlackError("no_text")
    new_blocks = (with_ids(content.blocks) or []) if blocks is not None else None
    call.ws.edit(ch, msg, content.text if text is not None else None, new_blocks)
    out = msg.payload(call.ws.team.id, call.sandbox.app_id)
    return {"ok": True, "channel": ch.id, "ts": msg.ts, "text": msg.text, "message": out}


@method("chat.delete", Tier.TIER_3, "chat:write")
def delete(call: Call) -> dict[str, Any]:
    """Delete one of the app's messages."""
    ch, msg = _own_message(call, "cant_delete_message")
    call.ws.delete(ch, msg)
    return {"ok": True, "channel": ch.id, "ts": msg.ts}
