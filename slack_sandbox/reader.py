"""A message as a member sees it: blocks (or text) rendered, with what in it is live."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .mrkdwn import Live, LiveKind, Names, Rendered, render
from .workspace import Message, Workspace


@dataclass(frozen=True)
class Shown:
    """What a member sees of one message; `live` lists its mentions, broadcasts and links."""

    message: Message
    text: str
    live: tuple[Live, ...] = ()
    dates: tuple[int, ...] = ()
    unfurls: tuple[str, ...] = ()  # links that would expand into a preview
    buttons: tuple[str, ...] = ()  # the labels of its buttons, in order
    files: tuple[str, ...] = ()  # the titles of the files it shares

    @property
    def ts(self) -> str:
        """The message's ts."""
        return self.message.ts

    @property
    def ephemeral(self) -> bool:
        """Only this member sees it."""
        return self.message.ephemeral_to is not None

    @property
    def edited(self) -> bool:
        """Changed since it was posted."""
        return self.message.edited

    def of(self, kind: LiveKind) -> list[Live]:
        """The live parts of one kind."""
        return [part for part in self.live if part.kind is kind]

    def __str__(self) -> str:
        return self.text


def names(ws: Workspace) -> Names:
    """How the workspace's members and channels are named on screen."""

    def user(uid: str) -> str | None:
        u = ws.user(uid)
        return u.shown_name if u else None

    def channel(cid: str) -> str | None:
        c = ws.channels.get(cid)
        return c.name if c else None

    def handle(h: str) -> str | None:
        return next((u.id for u in ws.users.values() if u.name.lower() == h), None)

    return Names(user, channel, handle)


@dataclass
class _Acc:
    lines: list[str] = field(default_factory=list)
    live: list[Live] = field(default_factory=list)
    dates: list[int] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)

    def add(self, r: Rendered) -> None:
        self.lines.append(r.text)
        self.live.extend(r.live)
        self.dates.extend(r.dates)


def _text(obj: Any, n: Names, *, link_names: bool) -> Rendered:
    if not isinstance(obj, dict):
        return Rendered("")
    text = str(obj.get("text", ""))
    if obj.get("type") == "plain_text":
        return render(text, n, plain=True)
    verbatim = bool(obj.get("verbatim", False))
    return render(text, n, verbatim=verbatim, link_names=link_names, bare_broadcasts=not verbatim)


def _element(el: Any, n: Names, acc: _Acc) -> str:
    if not isinstance(el, dict):
        return ""
    if el.get("type") == "button":
        label = _text(el.get("text"), n, link_names=False).text
        acc.buttons.append(label)
        return f"[{label}]"
    if "placeholder" in el:
        return "[" + _text(el["placeholder"], n, link_names=False).text + " ▾]"
    return ""


def _blocks(blocks: Iterable[Any], n: Names, acc: _Acc, *, link_names: bool) -> None:
    for block in blocks:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind in ("header", "section"):
            if "text" in block:
                acc.add(_text(block["text"], n, link_names=link_names))
            for f in block.get("fields") or []:
                acc.add(_text(f, n, link_names=link_names))
            if "accessory" in block:
                shown = _element(block["accessory"], n, acc)
                if shown:
                    acc.lines.append(shown)
        elif kind == "context":
            parts = [
                _text(el, n, link_names=link_names)
                for el in block.get("elements") or []
                if el.get("type") != "image"
            ]
            acc.add(
                Rendered(
                    " ".join(p.text for p in parts),
                    [x for p in parts for x in p.live],
                    [d for p in parts for d in p.dates],
                )
            )
        elif kind == "actions":
            acc.lines.append(
                " ".join(s for s in (_element(el, n, acc) for el in block.get("elements") or []) if s)
            )
        elif kind == "divider":
            acc.lines.append("---")
        elif kind == "input":
            acc.lines.append(_text(block.get("label"), n, link_names=False).text)
        elif kind == "markdown":
            acc.add(render(str(block.get("text", "")), n, link_names=link_names))
        elif kind == "image":
            acc.lines.append(f"[image: {block.get('alt_text', '')}]")


def shown(ws: Workspace, message: Message) -> Shown:
    """What a member sees of a message: its blocks if it has any, else its text."""
    n = names(ws)
    link_names = message.link_names or message.parse == "full"
    acc = _Acc()
    if message.blocks:
        _blocks(message.blocks, n, acc, link_names=link_names)
    else:
        acc.add(render(message.text, n, link_names=link_names))
    unfurl = message.unfurl_links is not False  # Slack unfurls an app's links unless told not to
    links = (
        tuple(p.target for p in acc.live if p.kind is LiveKind.LINK and p.target.startswith("http"))
        if unfurl
        else ()
    )
    files = tuple(f.title or f.name for f in message.files)
    acc.lines.extend(f"[file: {title}]" for title in files)
    text = "\n".join(line for line in acc.lines if line or not files)
    return Shown(message, text, tuple(acc.live), tuple(acc.dates), links, tuple(acc.buttons), files)
