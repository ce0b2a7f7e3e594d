"""A small Discord-markdown liveness checker: what in a message Discord would render as live.

Deliberately conservative (it flags more than Discord renders, never less): links (masked `[x](y)`,
`<https://...>`, bare `https://...`), mentions (`<@id>`, `<@!id>`, `<@&id>`, `<#id>`, `</cmd:id>`,
timestamps, custom emoji, `@everyone`, `@here`), line-start headings, subtext, quotes and lists, code
spans and blocks, spoilers. Backslash escapes and code work as in Discord's parser: a backslash before
any punctuation makes it plain, and nothing inside code is live.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

_ESCAPABLE = re.compile(r"[^0-9A-Za-z\s]")
_ANGLE = re.compile(
    r"<(?:(?P<mention>@[!&]?\d+|#\d+|/[^\s:>]+:\d+|id:\w+)"
    r"|(?P<timestamp>t:-?\d+(?::[tTdDfFRsS])?)"
    r"|(?P<emoji>a?:\w+:\d+)"
    r"|(?P<link>[^\s:>]+:/[^\s>]+))>"
)
_MASKED = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(\s*<?([^\s)>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s<]+", re.IGNORECASE)
_EVERYONE = re.compile(r"@(everyone|here)", re.IGNORECASE)
_BLOCKS = (
    ("heading", re.compile(r"[ \t]*#{1,3}[ \t]+\S")),
    ("heading", re.compile(r"[ \t]*-#[ \t]+\S")),
    ("quote", re.compile(r"[ \t]*>(?:>>)?[ \t]")),
    ("list", re.compile(r"[ \t]*[-*+][ \t]+\S")),
    ("list", re.compile(r"[ \t]*\d+\.[ \t]+\S")),
)


def live(text: str) -> list[tuple[str, str]]:
    """Every live construct in `text` as (kind, what): kinds link, mention, timestamp, emoji, heading,
    quote, list, code, code block, spoiler."""
    found: list[tuple[str, str]] = []
    in_block = False
    for line in text.split("\n"):
        if not in_block:
            for kind, pattern in _BLOCKS:
                if pattern.match(line):
                    found.append((kind, line[:40]))
                    break
        in_block ^= line.count("```") % 2 == 1
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and _ESCAPABLE.match(text[i + 1]):
            i += 2
            continue
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end != -1:
                found.append(("code block", ""))
                i = end + 3
                continue
        if c == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            end = text.find("`" * run, i + run)
            if end > i + run:
                found.append(("code", text[i + run : end]))
                i = end + run
                continue
            i += run
            continue
        if text.startswith("||", i):
            end = text.find("||", i + 2)
            if end > i + 2:
                found.append(("spoiler", ""))
            i += 2
            continue
        if c == "<" and (m := _ANGLE.match(text, i)):
            kind = next(k for k, v in m.groupdict().items() if v is not None)
            found.append((kind, m.group(0)))
            i = m.end()
            continue
        if c == "[" and (m := _MASKED.match(text, i)) and "://" in m.group(2):
            found.append(("link", m.group(2)))
            i += 1  # the label may itself hold more
            continue
        if c == "@" and (m := _EVERYONE.match(text, i)):
            found.append(("mention", m.group(0).lower()))
            i = m.end()
            continue
        if m := _BARE.match(text, i):
            found.append(("link", m.group(0)))
            i = m.end()
            continue
        i += 1
    return found


def texts(body: dict[str, Any]) -> list[str]:
    """Every text of a message body that Discord renders: content, embed descriptions, fields, titles, footers."""
    out = [body.get("content") or ""]
    for e in body.get("embeds") or []:
        out += [e.get("title") or "", e.get("description") or ""]
        for f in e.get("fields") or []:
            out += [f.get("name") or "", f.get("value") or ""]
        out.append((e.get("footer") or {}).get("text") or "")
        out.append((e.get("author") or {}).get("name") or "")
    return out


def census(body: dict[str, Any]) -> Counter[tuple[str, str]]:
    """What is live in a whole message: links, mentions and timestamps by target, the rest by kind."""
    counted: Counter[tuple[str, str]] = Counter()
    for text in texts(body):
        for kind, what in live(text):
            counted[(kind, what if kind in {"link", "mention", "timestamp", "emoji"} else "")] += 1
    return counted
