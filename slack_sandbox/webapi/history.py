"""conversations.history, conversations.replies and chat.getPermalink: reading back what was posted."""

from __future__ import annotations

from typing import Any

from ..errors import SlackError
from ..ratelimits import Tier
from ..workspace import Channel, Kind, Message
from .call import Call, method, page

HISTORY_SCOPE = {
    Kind.PUBLIC: "channels:history",
    Kind.PRIVATE: "groups:history",
    Kind.IM: "im:history",
    Kind.MPIM: "mpim:history",
}


def _readable(call: Call) -> Channel:
    ch = call.channel(scope=lambda c: HISTORY_SCOPE[c.kind])
    if call.bot.id not in ch.members:
        raise SlackError("not_in_channel")
    return ch


def _window(call: Call, messages: list[Message]) -> list[Message]:
    """The messages between `oldest` and `latest` (exclusive unless `inclusive`)."""
    oldest, latest = call.arg("oldest"), call.arg("latest")
    inclusive = call.flag("inclusive")

    def inside(m: Message) -> bool:
        ts = float(m.ts)
        low = oldest is None or (ts >= float(oldest) if inclusive else ts > float(oldest))
        high = latest is None or (ts <= float(latest) if inclusive else ts < float(latest))
        return low and high

    try:
        return [m for m in messages if inside(m)]
    except ValueError:
        raise SlackError("invalid_ts_oldest") from None


def _payload(call: Call, ch: Channel, m: Message) -> dict[str, Any]:
    out = m.payload(call.ws.team.id, call.sandbox.app_id)
    replies = [r for r in ch.visible() if r.thread_ts == m.ts and r.ts != m.ts]
    if replies:
        out.update(thread_ts=m.ts, reply_count=len(replies), latest_reply=replies[-1].ts)
    return out


def _answer(call: Call, ch: Channel, messages: list[Message]) -> dict[str, Any]:
    chunk, nxt = page(messages, call, maximum=999)
    return {
        "ok": True,
        "messages": [_payload(call, ch, m) for m in chunk],
        "has_more": bool(nxt),
        "pin_count": 0,
        "response_metadata": {"next_cursor": nxt},
    }


@method("conversations.history", Tier.TIER_3)
def history(call: Call) -> dict[str, Any]:
    """A conversation's messages, newest first (thread replies only when sent to the channel too)."""
    ch = _readable(call)
    top = [m for m in ch.visible() if m.thread_ts in (None, m.ts) or m.reply_broadcast]
    return _answer(call, ch, list(reversed(_window(call, top))))


@method("conversations.replies", Tier.TIER_3)
def replies(call: Call) -> dict[str, Any]:
    """A thread: its parent message, then the replies, oldest first."""
    ch = _readable(call)
    parent = call.ws.message(ch.id, call.arg("ts") or "")
    if parent is None:
        raise SlackError("thread_not_found")
    root = parent.thread_ts or parent.ts
    thread = [m for m in ch.visible() if m.ts == root or m.thread_ts == root]
    return _answer(call, ch, _window(call, thread))


@method("chat.getPermalink", Tier.TIER_4)
def permalink(call: Call) -> dict[str, Any]:
    """A link to a message."""
    ch = call.channel()
    message = call.ws.message(ch.id, call.arg("message_ts") or "")
    if message is None:
        raise SlackError("message_not_found")
    link = f"https://{call.ws.team.domain}.slack.com/archives/{ch.id}/p{message.ts.replace('.', '')}"
    return {"ok": True, "channel": ch.id, "permalink": link}
