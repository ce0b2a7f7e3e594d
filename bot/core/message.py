"""What to say, as data: a platform-neutral message that each chat platform renders (issue 10).

The core and the use cases describe a post by meaning: Conductor's own words (`Plain`), emphasis, what a
user typed (`UserText`, always shown inert), a person (`Mention`), a point in time (`Time`, shown in
each reader's own zone), cards with fields (Discord: embeds; Slack: sections), and the buttons to attach
by name (`Actions`). The Discord adapter renders it to Markdown, embeds and components; the Slack adapter
to mrkdwn and Block Kit. Each renderer does its own escaping and enforces its own limits in one place,
so user text cannot become markup by construction.

A message is stored in the outbox as JSON (`to_json` / `from_json`) and rendered when it is delivered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class TimeStyle(StrEnum):
    """How a point in time is shown (Discord's timestamp styles; Slack has a format for each)."""

    SHORT_TIME = "t"  # 13:50
    LONG_TIME = "T"  # 13:50:00
    SHORT_DATE = "d"  # 12/03/2024
    LONG_DATE = "D"  # 12 March 2024
    SHORT_DATETIME = "f"  # 12 March 2024 13:50
    LONG_DATETIME = "F"  # Tuesday, 12 March 2024 13:50
    RELATIVE = "R"  # in 5 minutes


class Tone(StrEnum):
    """What a card is about, which a platform may show as a colour."""

    NOTICE = "notice"  # information (Discord: blurple)
    RUNNING = "running"  # a phase under way, something done (green)
    WARNING = "warning"  # time nearly up, something missing (orange)
    OVER = "over"  # finished, withdrawn, stale (grey)
    CARD = "card"  # a student's role card (gold)
    NEUTRAL = "neutral"  # no colour


# --- inline nodes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plain:
    """Conductor's own words, or text from the configuration (trusted; `**bold**` allowed there)."""

    text: str


@dataclass(frozen=True)
class UserText:
    """Anything a user typed (a display name, a form answer, a link): always shown inert.

    `limit` caps how many characters are shown (cut with an ellipsis); `link` marks a link the user
    typed (a slides link), shown whole, readable and copyable, yet never clickable.
    """

    text: str
    multiline: bool = False
    limit: int | None = None
    link: bool = False


@dataclass(frozen=True)
class Code:
    """Text shown in monospace (may be user text: shown inert as well)."""

    text: str


@dataclass(frozen=True)
class Strong:
    """Emphasis that stands out (Discord `**x**`, Slack `*x*`)."""

    children: Rich


@dataclass(frozen=True)
class Em:
    """Light emphasis (italics)."""

    children: Rich


@dataclass(frozen=True)
class Mention:
    """A person; pinged only when the message lists them in `mentions`."""

    user_id: int


@dataclass(frozen=True)
class ChannelRef:
    """A channel or room, as a link users can follow."""

    channel_id: int


@dataclass(frozen=True)
class Link:
    """A link Conductor made (a projector page, a calendar feed): clickable. Users' links are `UserText`."""

    url: str
    label: str | None = None


@dataclass(frozen=True)
class Time:
    """A point in time (aware), shown in each reader's own time zone."""

    at: datetime
    style: TimeStyle = TimeStyle.SHORT_TIME


Inline = Plain | UserText | Code | Strong | Em | Mention | ChannelRef | Link | Time
Rich = tuple[Inline, ...]


# --- blocks ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A named value on a card."""

    name: Rich
    value: Rich
    inline: bool = False


@dataclass(frozen=True)
class Card:
    """A framed part of a message: title, body, fields, a footnote (Discord: an embed)."""

    title: Rich = ()
    body: Rich = ()
    fields: tuple[Field, ...] = ()
    footer: Rich = ()
    tone: Tone = Tone.NOTICE
    preformatted: tuple[str, ...] = ()  # monospaced lines (a table), shown after the body, inert


@dataclass(frozen=True)
class Actions:
    """The buttons a message carries, by name (e.g. "role_card") with what they act on."""

    name: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """One post: its lines, its cards, whom it may ping, and its buttons."""

    text: Rich = ()
    cards: tuple[Card, ...] = ()
    mentions: tuple[int, ...] = ()
    ping_group: str | None = None  # a group pinged by name (Discord: a role; Slack: a user group)
    actions: Actions | None = None


# --- building ----------------------------------------------------------------------------------------


def rich(*parts: Inline | str | Iterable[Inline]) -> Rich:
    """Rich text from parts: strings become `Plain`, nodes stay, sequences of nodes are spliced in."""
    out: list[Inline] = []
    for part in parts:
        if isinstance(part, str):
            if part:
                out.append(Plain(part))
        elif isinstance(part, Plain | UserText | Code | Strong | Em | Mention | ChannelRef | Link | Time):
            out.append(part)
        else:
            out.extend(part)
    return tuple(out)


def lines(*rows: Rich) -> Rich:
    """Rich rows joined by line breaks (empty rows dropped)."""
    out: list[Inline] = []
    for row in rows:
        if not row:
            continue
        if out:
            out.append(Plain("\n"))
        out.extend(row)
    return tuple(out)


def bold(*parts: Inline | str | Iterable[Inline]) -> Strong:
    """Strong emphasis around the parts."""
    return Strong(rich(*parts))


def joined(items: Sequence[Rich], separator: str = ", ") -> Rich:
    """Rich items joined by a plain separator."""
    out: list[Inline] = []
    for i, item in enumerate(items):
        if i:
            out.append(Plain(separator))
        out.extend(item)
    return tuple(out)


def plain_text(text: Rich) -> str:
    """The words of rich text without any markup (for logs, exports and tests)."""
    out: list[str] = []
    for node in text:
        match node:
            case Plain(text=t) | UserText(text=t) | Code(text=t):
                out.append(t)
            case Strong(children=c) | Em(children=c):
                out.append(plain_text(c))
            case Mention(user_id=u):
                out.append(f"@{u}")
            case ChannelRef(channel_id=c_id):
                out.append(f"#{c_id}")
            case Link(url=url, label=label):
                out.append(label or url)
            case Time(at=at, style=style):
                out.append(at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") + f" ({style.value})")
    return "".join(out)


_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")  # overrides and isolates: they reorder what follows
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x85]")


def printable(text: str, multiline: bool = False) -> str:
    """User text with controls and direction overrides removed; line breaks kept as `\\n` or made spaces.

    What every platform shows of user text before its own escaping (tabs become spaces).
    """
    text = _CONTROL.sub("", _BIDI.sub("", text.replace("\t", " ")))
    return _BREAKS.sub("\n" if multiline else " ", text)


# --- storing -----------------------------------------------------------------------------------------


def _inline_json(node: Inline) -> dict[str, Any]:
    match node:
        case Plain(text=t):
            return {"t": "plain", "text": t}
        case UserText(text=t, multiline=m, limit=limit, link=link):
            data: dict[str, Any] = {"t": "user", "text": t, "multiline": m}
            if limit is not None:
                data["limit"] = limit
            if link:
                data["link"] = True
            return data
        case Code(text=t):
            return {"t": "code", "text": t}
        case Strong(children=c):
            return {"t": "strong", "c": _rich_json(c)}
        case Em(children=c):
            return {"t": "em", "c": _rich_json(c)}
        case Mention(user_id=u):
            return {"t": "mention", "user": u}
        case ChannelRef(channel_id=c_id):
            return {"t": "channel", "channel": c_id}
        case Link(url=url, label=label):
            return {"t": "link", "url": url, "label": label}
        case Time(at=at, style=style):
            return {"t": "time", "at": at.astimezone(UTC).isoformat(), "style": style.value}
    raise TypeError(f"not an inline node: {node!r}")


def _rich_json(text: Rich) -> list[dict[str, Any]]:
    return [_inline_json(n) for n in text]


def _inline(data: Mapping[str, Any]) -> Inline:
    match data["t"]:
        case "plain":
            return Plain(data["text"])
        case "user":
            limit = data.get("limit")
            return UserText(
                data["text"],
                bool(data.get("multiline", False)),
                None if limit is None else int(limit),
                bool(data.get("link", False)),
            )
        case "code":
            return Code(data["text"])
        case "strong":
            return Strong(_rich(data["c"]))
        case "em":
            return Em(_rich(data["c"]))
        case "mention":
            return Mention(int(data["user"]))
        case "channel":
            return ChannelRef(int(data["channel"]))
        case "link":
            return Link(data["url"], data.get("label"))
        case "time":
            return Time(datetime.fromisoformat(data["at"]), TimeStyle(data["style"]))
    raise ValueError(f"unknown inline node {data['t']!r}")


def _rich(data: Sequence[Mapping[str, Any]]) -> Rich:
    return tuple(_inline(d) for d in data)


def to_json(message: Message) -> dict[str, Any]:
    """A message as plain JSON, to store in the outbox."""
    return {
        "text": _rich_json(message.text),
        "cards": [
            {
                "title": _rich_json(c.title),
                "body": _rich_json(c.body),
                "fields": [
                    {"name": _rich_json(f.name), "value": _rich_json(f.value), "inline": f.inline}
                    for f in c.fields
                ],
                "footer": _rich_json(c.footer),
                "tone": c.tone.value,
                "preformatted": list(c.preformatted),
            }
            for c in message.cards
        ],
        "mentions": sorted(set(message.mentions)),
        "ping_group": message.ping_group,
        "actions": None
        if message.actions is None
        else {"name": message.actions.name, "args": dict(message.actions.args)},
    }


def from_json(data: Mapping[str, Any]) -> Message:
    """A stored message, back as data."""
    actions = data.get("actions")
    return Message(
        text=_rich(data.get("text", [])),
        cards=tuple(
            Card(
                title=_rich(c.get("title", [])),
                body=_rich(c.get("body", [])),
                fields=tuple(
                    Field(_rich(f["name"]), _rich(f["value"]), bool(f.get("inline", False)))
                    for f in c.get("fields", [])
                ),
                footer=_rich(c.get("footer", [])),
                tone=Tone(c.get("tone", Tone.NOTICE.value)),
                preformatted=tuple(c.get("preformatted", [])),
            )
            for c in data.get("cards", [])
        ),
        mentions=tuple(int(u) for u in data.get("mentions", [])),
        ping_group=data.get("ping_group"),
        actions=None if actions is None else Actions(actions["name"], dict(actions.get("args") or {})),
    )
