"""The outbox's payload: a message as JSON plus its envelope; and reading back what an older version stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.core.message import Actions, Card, Field, Link, Message, Plain, Rich, from_json, to_json


def stored(message: Message, **envelope: Any) -> dict[str, Any]:
    """The payload to store: the message under "message", then envelope keys (e.g. `notify`, `target`)."""
    return {"message": to_json(message), **envelope}


def _plain(text: object) -> Rich:
    return (Plain(str(text)),) if text else ()


def _legacy_card(data: Mapping[str, Any]) -> Card:
    """An embed stored by an older version, as a card of its already rendered text (its colour is not kept)."""
    title = _plain(data.get("title"))
    if title and data.get("url"):
        title = (Link(str(data["url"]), str(data["title"])),)
    return Card(
        title=title,
        body=_plain(data.get("description")),
        fields=tuple(
            Field(_plain(f.get("name")), _plain(f.get("value")), bool(f.get("inline", False)))
            for f in data.get("fields") or []
        ),
        footer=_plain((data.get("footer") or {}).get("text")),
    )


def message_of(payload: Mapping[str, Any]) -> Message:
    """The message of a stored payload; one stored by an older version (Discord's `content` and `embeds`)
    is read as Conductor's own words, which every later edit of it then keeps as they were shown."""
    if "message" in payload:
        return from_json(payload["message"])
    view = payload.get("view")
    return Message(
        text=_plain(payload.get("content")),
        cards=tuple(_legacy_card(e) for e in payload.get("embeds") or []),
        mentions=tuple(int(u) for u in payload.get("mentions") or ()),
        ping_group=payload.get("ping_role"),
        actions=None if not view else Actions(view["name"], dict(view.get("args") or {})),
    )


def keep_actions(body: dict[str, Any], source: Mapping[str, Any]) -> None:
    """Give a stored post without buttons those of another post (an edited role card keeps its own)."""
    message = message_of(body)
    if message.actions is None:
        body["message"] = to_json(replace(message, actions=message_of(source).actions))
