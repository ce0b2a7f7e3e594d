"""What a reader sees of Slack text, and which parts of it are live (mentions, broadcasts, links).

Slack parses `<...>` sequences in message text and mrkdwn text objects: `<@U1>` mentions a member,
`<!here>` / `<!channel>` / `<!everyone>` notify many, `<#C1>` links a channel, `<https://x|label>` is a
link, `<!date^UNIX^{fmt}|fallback>` is a date shown in each reader's zone. `&lt;`, `&gt;` and `&amp;`
are the escapes. Bare URLs and email addresses are linked too, except inside code, in plain_text and
in `verbatim` mrkdwn. With `link_names` (or `parse=full`) a bare `@here` or `@handle` notifies as well,
and so does a bare `@here` in a block's non-verbatim mrkdwn.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class LiveKind(StrEnum):
    """A part of a message that acts when shown: it notifies someone or can be followed."""

    MENTION = "mention"
    BROADCAST = "broadcast"
    USERGROUP = "usergroup"
    CHANNEL = "channel"
    LINK = "link"


@dataclass(frozen=True)
class Live:
    """One live part: its kind, what it points at (a user id, `here`, a URL) and what the reader sees."""

    kind: LiveKind
    target: str
    shown: str


@dataclass
class Rendered:
    """A text as shown, with its live parts and the dates (unix seconds) it shows in each reader's zone."""

    text: str
    live: list[Live] = field(default_factory=list)
    dates: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Names:
    """How a reader's client names things: members by id, channels by id, members by handle."""

    user: Callable[[str], str | None]
    channel: Callable[[str], str | None]
    handle: Callable[[str], str | None] = lambda _h: None


_SEQUENCE = re.compile(r"<([^<>\n]*)>")
_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
_BARE_URL = re.compile(r"(?<![\w/])(?:https?://|www\.)[^\s<>`]+[^\s<>`.,;:!?)\]'\"]")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_BARE_AT = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)
_BROADCASTS = {"here", "channel", "everyone"}


def unescape(text: str) -> str:
    """Undo Slack's three escapes."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _sequence(inner: str, names: Names, out: Rendered) -> str:
    """What a `<...>` sequence shows, noting its live part."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        uid = target[1:]
        shown = "@" + (names.user(uid) or label or uid)
        out.live.append(Live(LiveKind.MENTION, uid, shown))
        return shown
    if target.startswith("#"):
        cid = target[1:]
        shown = "#" + (names.channel(cid) or label or cid)
        out.live.append(Live(LiveKind.CHANNEL, cid, shown))
        return shown
    if target.startswith("!"):
        command, *rest = target[1:].split("^")
        if command in _BROADCASTS:
            shown = "@" + command
            out.live.append(Live(LiveKind.BROADCAST, command, shown))
            return shown
        if command == "subteam":
            shown = unescape(label) if label else "@" + (rest[0] if rest else "group")
            out.live.append(Live(LiveKind.USERGROUP, rest[0] if rest else "", shown))
            return shown
        if command == "date":
            if rest and rest[0].lstrip("-").isdigit():
                out.dates.append(int(rest[0]))
            return unescape(label)
        return unescape(label or inner)
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
        url = unescape(target)
        shown = unescape(label) if label else url
        out.live.append(Live(LiveKind.LINK, url, shown))
        return shown
    return "<" + unescape(inner) + ">"


def _bare(
    text: str, names: Names, out: Rendered, *, autolink: bool, link_names: bool, broadcasts: bool
) -> None:
    """Note what Slack links or notifies in already-unescaped text outside `<...>` and code."""
    if autolink:
        for m in _BARE_URL.finditer(text):
            url = m.group(0)
            out.live.append(Live(LiveKind.LINK, url if "://" in url else "http://" + url, url))
        for m in _EMAIL.finditer(text):
            out.live.append(Live(LiveKind.LINK, "mailto:" + m.group(0), m.group(0)))
    if link_names or broadcasts:
        for m in _BARE_AT.finditer(text):
            word = m.group(1).lower()
            if word in _BROADCASTS:
                out.live.append(Live(LiveKind.BROADCAST, word, "@" + word))
            elif link_names:
                uid = names.handle(word)
                if uid is not None:
                    out.live.append(Live(LiveKind.MENTION, uid, "@" + word))


def render(
    text: str,
    names: Names,
    *,
    plain: bool = False,
    verbatim: bool = False,
    link_names: bool = False,
    bare_broadcasts: bool = False,
) -> Rendered:
    """Render Slack text as a reader sees it; `plain` for plain_text objects, which Slack shows as sent.

    `link_names` makes bare `@handle` and `@here` notify (message text with `link_names` or
    `parse=full`); `bare_broadcasts` only the bare `@here`, `@channel` and `@everyone` (mrkdwn in blocks,
    which Slack parses for "certain mentions" unless `verbatim`).
    """
    if plain:
        return Rendered(text)
    out = Rendered("")
    pieces: list[str] = []
    pos = 0
    code_spans = [(m.start(), m.end()) for m in _CODE.finditer(text)]

    def outside(start: int, end: int) -> None:
        cut = start
        for a, b in code_spans:
            if b <= cut or a >= end:
                continue
            _bare(
                unescape(text[cut:a]),
                names,
                out,
                autolink=not verbatim,
                link_names=link_names,
                broadcasts=bare_broadcasts,
            )
            cut = min(max(cut, b), end)
        _bare(
            unescape(text[cut:end]),
            names,
            out,
            autolink=not verbatim,
            link_names=link_names,
            broadcasts=bare_broadcasts,
        )
        pieces.append(unescape(text[start:end]))

    for m in _SEQUENCE.finditer(text):
        # Slack parses control sequences everywhere, inside code too: flag them wherever they are.
        outside(pos, m.start())
        pieces.append(_sequence(m.group(1), names, out))
        pos = m.end()
    outside(pos, len(text))
    out.text = "".join(pieces)
    return out
