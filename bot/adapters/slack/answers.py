"""What Conductor answers one person on Slack: a use case's words, rich text or a message, as mrkdwn.

The use cases answer (and some posts speak) in Conductor's own words, in which a channel (`<#id>`), a person (`<@id>`) or a
time (`<t:unix:style>`) may be named by their stored ids; those become Slack's own tokens here, and the
rest is rendered as Conductor's words (escaped; `**bold**` as Slack's `*bold*`). Rich text and messages
are rendered as they are; what a user typed in them stays inert.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.adapters.slack.render import Options, render
from bot.core.message import ChannelRef, Em, Inline, Mention, Message, Plain, Rich, Strong, Time, TimeStyle

_TOKEN = re.compile(r"<#(?P<channel>\d+)>|<@!?(?P<user>\d+)>|<t:(?P<unix>-?\d+)(?::(?P<style>[tTdDfFR]))?>")

Answer = str | Rich | Message


def words(text: str) -> Rich:
    """Conductor's words with the stored ids they name read as channels, people and times."""
    out: list[Inline] = []
    at = 0
    for m in _TOKEN.finditer(text):
        if m.start() > at:
            out.append(Plain(text[at : m.start()]))
        if m["channel"]:
            out.append(ChannelRef(int(m["channel"])))
        elif m["user"]:
            out.append(Mention(int(m["user"])))
        else:
            style = TimeStyle(m["style"]) if m["style"] else TimeStyle.SHORT_DATETIME
            out.append(Time(datetime.fromtimestamp(int(m["unix"]), UTC), style))
        at = m.end()
    if at < len(text):
        out.append(Plain(text[at:]))
    return tuple(out)


def with_ids(text: Rich) -> Rich:
    """Rich text whose plain words may name stored ids (`<#id>`, `<@id>`, `<t:..>`), those read as nodes."""
    out: list[Inline] = []
    for node in text:
        match node:
            case Plain(text=t):
                out.extend(words(t))
            case Strong(children=c):
                out.append(Strong(with_ids(c)))
            case Em(children=c):
                out.append(Em(with_ids(c)))
            case _:
                out.append(node)
    return tuple(out)


def message_with_ids(message: Message) -> Message:
    """A message whose Conductor's words may name stored ids, those read as nodes (lines, cards, fields)."""
    cards = tuple(
        replace(
            c,
            title=with_ids(c.title),
            body=with_ids(c.body),
            footer=with_ids(c.footer),
            fields=tuple(replace(f, name=with_ids(f.name), value=with_ids(f.value)) for f in c.fields),
        )
        for c in message.cards
    )
    return replace(message, text=with_ids(message.text), cards=cards)


def as_message(answer: Answer) -> Message:
    """Any answer as a message."""
    if isinstance(answer, Message):
        return message_with_ids(answer)
    if isinstance(answer, str):
        return Message(text=words(answer))
    return Message(text=with_ids(answer))


def response(answer: Answer, options: Options, **extra: Any) -> dict[str, Any]:
    """Keyword arguments for Bolt's `respond` (ephemeral): the fallback text and the blocks."""
    shown = render(as_message(answer), options)
    return {"text": shown.text, "blocks": list(shown.blocks), "response_type": "ephemeral", **extra}
