"""The one path from user-typed text to a Discord message: shown as typed, never live, always within limits.

Whatever a user typed (display names, roster names and ids from a CSV, form answers, slides links, typed
options) reaches a message through `inert_text`, `inert_code` or `inert_link`: the renderer
(`bot.adapters.discord.render`) sends every `UserText` and `Code` node through them, and the answers
built for Discord alone call them directly. Every message leaves through `fit_message` at the two sending
edges (the outbox and interaction answers). Nothing a user typed can become a link, a mention, a heading,
a list, a quote, a code block or a spoiler in the bot's own post.

`discord.utils.escape_markdown` leaves links alone (`ignore_links`) and does not touch `<...>` mentions,
timestamps or `://`, and `escape_mentions` only knows 17-20 digit ids; so markdown is escaped here with
a backslash before every character Discord's parser gives a meaning to, and `escape_mentions` is kept as
a second line for `@everyone` and `@here`.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.core.message import printable

#: Discord's documented limits (API v10) that messages built here have to respect.
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
#: The longest link shown (the longest a submission may be): longer ones are cut with an ellipsis.
LINK_SHOWN_MAX = 512

ELLIPSIS = "…"
ZWSP = "\u200b"

_SPECIAL = re.compile(r"([\\*_~`|<>#\[\]()])")  # emphasis, code, spoilers, quotes, headings, links, <...>
_SCHEME = re.compile(r":(?=/)")  # `https://...` would be auto-linked: `https\://` is not
_LINE_START = re.compile(r"^([ \t]*)([-+])", re.MULTILINE)  # `- ` lists and `-# ` subtext
_ORDERED = re.compile(r"^([ \t]*\d+)\.", re.MULTILINE)  # `1. ` lists
_MENTION = re.compile(r"@(everyone|here)\b", re.IGNORECASE)
_UNSAFE_IN_LINK = re.compile(r"[`\s\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069\u2028\u2029\x85]")


def inert_text(text: str, limit: int | None = None, *, multiline: bool = False) -> str:
    """User text for a message or embed: shown as typed (controls and direction overrides dropped), nothing
    live, cut at `limit`; `multiline` keeps line breaks (form answers), else they become spaces (names)."""
    shown = _SPECIAL.sub(r"\\\1", printable(text, multiline))
    shown = _ORDERED.sub(r"\1\\.", shown)
    shown = _LINE_START.sub(r"\1\\\2", shown)
    shown = _SCHEME.sub(r"\\:", shown)
    shown = _MENTION.sub("@" + ZWSP + r"\1", discord.utils.escape_mentions(shown))
    return cut(shown, limit) if limit is not None else shown


def inert_code(text: str, limit: int | None = None) -> str:
    """User text to put inside a code span or block the caller writes: one line, no backtick to end it."""
    shown = printable(text).replace("`", "'")
    return cut(shown, limit) if limit is not None else shown


def _encoded(c: str) -> str:
    """One character percent-encoded as a browser would send it."""
    return "".join(f"%{b:02X}" for b in c.encode())


def inert_link(url: str) -> str:
    """A user's link shown whole in a code span: readable and copyable, never clickable or markdown."""
    shown = "".join(_encoded(c) if _UNSAFE_IN_LINK.match(c) else c for c in url.strip())
    if not shown:
        return "—"
    if len(shown) > LINK_SHOWN_MAX:
        shown = shown[: LINK_SHOWN_MAX - 1] + ELLIPSIS
    return f"`{shown}`"


# --- limits ------------------------------------------------------------------------------------------


def _open_code(text: str) -> tuple[int | None, bool]:
    """Where an inline code span left open in `text` starts (or None), and whether a ``` block is open."""
    i, opened, fence = 0, None, False
    while i < len(text):
        if text.startswith("```", i) and opened is None:
            fence = not fence
            i += 3
            continue
        c = text[i]
        if c == "\\" and not fence and opened is None:
            i += 2
            continue
        if c == "`" and not fence:
            opened = i if opened is None else None
        i += 1
    return opened, fence


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, ending in an ellipsis when cut: never half an escape or code span."""
    if len(text) <= limit:
        return text
    tail = ELLIPSIS
    head = text[: max(limit - len(tail), 0)]
    opened, fence = _open_code(head)
    if fence:
        tail = ELLIPSIS + "\n```"
        head = text[: max(limit - len(tail), 0)]
        opened, fence = _open_code(head)
        if not fence:  # the cut fell inside the opening fence itself
            head, tail = head[: head.rfind("```")] if "```" in head else "", ELLIPSIS
    elif opened is not None:
        head = head[:opened]
    trailing = len(head) - len(head.rstrip("\\"))
    if trailing % 2:
        head = head[:-1]
    return (head + tail)[:limit]


def _embed(data: dict[str, Any]) -> dict[str, Any]:
    """One embed dict with every text within its own limit (empty field names and values filled)."""
    out = dict(data)
    for key, limit in (("title", TITLE_MAX), ("description", DESCRIPTION_MAX)):
        if out.get(key):
            out[key] = cut(out[key], limit)
    if out.get("fields"):
        out["fields"] = [
            {
                **f,
                "name": cut(f.get("name") or ZWSP, FIELD_NAME_MAX),
                "value": cut(f.get("value") or ZWSP, FIELD_VALUE_MAX),
            }
            for f in out["fields"][:FIELDS_MAX]
        ]
    for key, limit in (("footer", FOOTER_MAX), ("author", AUTHOR_MAX)):
        part = out.get(key)
        name = "text" if key == "footer" else "name"
        if part and part.get(name):
            out[key] = {**part, name: cut(part[name], limit)}
    return out


def embed_size(data: dict[str, Any]) -> int:
    """The characters of an embed that count towards Discord's 6000 per message."""
    size = len(data.get("title") or "") + len(data.get("description") or "")
    size += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in data.get("fields") or [])
    size += len((data.get("footer") or {}).get("text") or "")
    return size + len((data.get("author") or {}).get("name") or "")


def _slots(e: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """An embed's texts in the order they give way when a message is too long: the last words first."""
    fields = list(reversed(e.get("fields") or []))
    out = [(f, "value") for f in fields] + [(e, "description")]
    out += [(part, key) for part, key in ((e.get("footer"), "text"), (e.get("author"), "name")) if part]
    return out + [(f, "name") for f in fields] + [(e, "title")]


def fit_message(body: dict[str, Any]) -> dict[str, Any]:
    """A message body (`content`, `embeds` as dicts, other keys kept) cut to fit every Discord limit."""
    out = dict(body)
    if out.get("content"):
        out["content"] = cut(out["content"], CONTENT_MAX)
    embeds = [_embed(e) for e in (out.get("embeds") or [])[:EMBEDS_MAX]]
    excess = sum(embed_size(e) for e in embeds) - EMBED_TOTAL_MAX
    for e in reversed(embeds):
        for part, key in _slots(e):
            text = part.get(key) or ""
            if excess <= 0:
                break
            if len(text) > 1:
                part[key] = cut(text, max(len(text) - excess, 1))
                excess -= len(text) - len(part[key])
    if "embeds" in out:
        out["embeds"] = embeds
    return out
