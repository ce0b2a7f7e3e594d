"""File uploads as Slack takes them now: files.getUploadURLExternal, the bytes, files.completeUploadExternal.

(slack_sdk's `files_upload_v2` makes these three steps; the older files.upload is retired.)
"""

from __future__ import annotations

from typing import Any

from ..errors import SlackError, invalid_arguments
from ..ratelimits import Tier
from ..workspace import Message, SharedFile
from .call import Call, method


@method("files.getUploadURLExternal", Tier.TIER_4, "files:write")
def upload_url(call: Call) -> dict[str, Any]:
    """Where to send a file's bytes, and the id it will have."""
    name = call.arg("filename")
    if not name:
        raise invalid_arguments("[ERROR] missing required field: filename")
    length = call.number("length", -1, error="invalid_arguments")
    if length < 1:
        raise invalid_arguments("[ERROR] must be greater than 0 [json-pointer:/length]")
    f = SharedFile(call.ws.ids.next("F"), name, length, call.bot.id, int(call.sandbox.clock.wall()))
    call.ws.files[f.id] = f
    return {"ok": True, "upload_url": call.sandbox.files.upload_url(f), "file_id": f.id}


@method("files.completeUploadExternal", Tier.TIER_4, "files:write")
def complete(call: Call) -> dict[str, Any]:
    """Finish uploads, and share them in a channel (with `initial_comment` as the message's text)."""
    wanted = call.structured("files", error="invalid_arguments")
    if not isinstance(wanted, list) or not wanted or not all(isinstance(w, dict) for w in wanted):
        raise invalid_arguments("[ERROR] missing required field: files")
    files: list[SharedFile] = []
    for w in wanted:
        f = call.ws.files.get(str(w.get("id")))
        if f is None or f.data is None:
            raise SlackError("file_not_found")
        f.title = str(w.get("title") or f.name)
        files.append(f)
    target = call.arg("channel_id") or next(iter(call.ids("channels")), None)
    if target:
        ch = call.channel(ref=target)
        if call.bot.id not in ch.members:
            raise SlackError("not_in_channel")
        thread_ts = call.arg("thread_ts")
        if thread_ts and call.ws.message(ch.id, thread_ts) is None:
            raise SlackError("thread_not_found")
        for f in files:
            f.channels.append(ch.id)
        text = call.arg("initial_comment") or ""
        message = Message(
            ch.id, call.ws.ids.ts(), call.bot.id, text, thread_ts=thread_ts, bot_id=call.bot.bot_id
        )
        message.files = files
        call.ws.post(ch, message)
    base = call.sandbox.base_url
    return {"ok": True, "files": [f.payload(base) for f in files]}
