"""A platform-neutral `Message` as a Slack post: the notification text and the Block Kit blocks.

The message's lines become sections, each card a header, its body, its fields, its preformatted lines
(a code block) and its footer (a context block), and its buttons an actions block. Every text goes
through `mrkdwn` (Conductor's words escaped, user text inert) and every limit through `limits`; what
had to be cut is listed in `Rendered.cuts` and, when whole parts are left out, said in the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.adapters.slack import limits
from bot.adapters.slack.actions import build
from bot.adapters.slack.mrkdwn import Options, Trace, clean, escape, inert, mrkdwn, plain
from bot.core.message import Card, Field, Message, Rich

__all__ = ["Options", "Rendered", "render"]


@dataclass(frozen=True)
class Rendered:
    """A message ready for `chat.postMessage` / `chat.update` / an ephemeral answer."""

    text: str  # the notification fallback (also what a client without blocks shows)
    blocks: tuple[dict[str, Any], ...]
    unfurl_links: bool  # False when the message shows a link: no preview of what a user typed
    pinged: tuple[str, ...]  # Slack user ids mentioned live
    unnamed: tuple[str, ...]  # of those, people the message did not mean to ping (no name given for them)
    cuts: tuple[str, ...]  # what was cut to fit Slack's limits, for the log

    def post_args(self) -> dict[str, Any]:
        """Keyword arguments for `chat.postMessage` (add `channel`)."""
        return {
            "text": self.text,
            "blocks": list(self.blocks),
            "unfurl_links": self.unfurl_links,
            "unfurl_media": self.unfurl_links,
        }


class _Out:
    """The blocks being written, and the cuts made on the way."""

    def __init__(self) -> None:
        self.blocks: list[dict[str, Any]] = []
        self.cuts: list[str] = []

    def sections(self, text: str, what: str) -> None:
        parts, was_cut = limits.split_lines(text, limits.SECTION_TEXT_MAX)
        if was_cut:
            self.cuts.append(f"{what}: a line cut to {limits.SECTION_TEXT_MAX} characters")
        for part in parts:
            if part.strip():
                self.blocks.append({"type": "section", "text": _md(part)})

    def cut(self, text: str, limit: int, what: str) -> str:
        shown, was_cut = limits.cut(text, limit)
        if was_cut:
            self.cuts.append(f"{what} cut to {limit} characters")
        return shown


def _md(text: str) -> dict[str, Any]:
    # verbatim: Slack links and mentions only what is written as a `<…>` token, never bare text.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _preformatted(lines: tuple[str, ...], out: _Out) -> None:
    """Monospaced lines (a table) in code blocks of at most a section's length each."""
    fence = "```"
    room = limits.SECTION_TEXT_MAX - 2 * (len(fence) + 1)
    body, was_cut = limits.split_lines("\n".join(_code_line(line) for line in lines), room)
    if was_cut:
        out.cuts.append(f"a preformatted line cut to {room} characters")
    for part in body:
        out.blocks.append({"type": "section", "text": _md(f"{fence}\n{part}\n{fence}")})


def _code_line(line: str) -> str:
    """One preformatted line: escaped, no backtick to close the block, nothing live."""
    return escape(clean(line).replace("`", "ˋ"))


def _field_text(f: Field, options: Options, trace: Trace) -> str:
    name = mrkdwn(f.name, options, trace, in_strong=True)
    value = mrkdwn(f.value, options, trace)
    return f"*{name.strip()}*\n{value}" if name.strip() else value


def _fields(fields: tuple[Field, ...], options: Options, trace: Trace, out: _Out) -> None:
    """Inline fields side by side (ten to a section); the others full width, one section each."""
    row: list[dict[str, Any]] = []

    def flush() -> None:
        if row:
            out.blocks.append({"type": "section", "fields": list(row)})
            row.clear()

    for f in fields:
        text = _field_text(f, options, trace)
        if not f.inline:
            flush()
            out.sections(text, "a field")
            continue
        row.append(_md(out.cut(text, limits.FIELD_TEXT_MAX, "a field") or " "))
        if len(row) == limits.FIELDS_MAX:
            flush()
    flush()


def _title(title: Rich, options: Options, trace: Trace, out: _Out) -> None:
    words = plain(title, options)
    if words is not None and words.strip():
        shown, was_cut = limits.cut_plain(words.strip(), limits.HEADER_TEXT_MAX)
        if was_cut:
            out.cuts.append(f"a card title cut to {limits.HEADER_TEXT_MAX} characters")
        out.blocks.append({"type": "header", "text": {"type": "plain_text", "text": shown, "emoji": True}})
        return
    if words is None:  # a mention, a time or a link: a header cannot show it, a bold line can
        shown = mrkdwn(title, options, trace, in_strong=True).strip()
        out.sections(f"*{shown}*", "a card title")


def _card(card: Card, options: Options, trace: Trace, out: _Out) -> None:
    _title(card.title, options, trace, out)
    out.sections(mrkdwn(card.body, options, trace), "a card")
    if card.preformatted:
        _preformatted(card.preformatted, out)
    _fields(card.fields, options, trace, out)
    if card.footer:
        footer = out.cut(mrkdwn(card.footer, options, trace), limits.SECTION_TEXT_MAX, "a card footer")
        if footer.strip():
            out.blocks.append({"type": "context", "elements": [_md(footer)]})


def _ping(message: Message, options: Options) -> str:
    """The group a message pings: a user group mention when the workspace has it, else its name."""
    if not message.ping_group:
        return ""
    group = options.groups.get(message.ping_group)
    if group is not None and group.isalnum():
        return f"<!subteam^{group}> "
    return f"*{inert(message.ping_group)}:* "


def _fallback(message: Message, options: Options, lead: str, trace: Trace) -> str:
    """The notification text: the lines, else the cards' titles (never empty)."""
    text = mrkdwn(message.text, options, trace)
    if not text.strip():
        titles = (mrkdwn(c.title, options, trace).strip() for c in message.cards)
        text = " · ".join(t for t in titles if t)
    text = (lead + text).strip() or "Conductor"
    return limits.cut(text, limits.FALLBACK_TEXT_MAX)[0]


def render(message: Message, options: Options, labels: dict[str, str] | None = None) -> Rendered:
    """The Slack post for `message` (`labels`: shown names of the keys buttons offer, e.g. proposals)."""
    trace = Trace(pings=frozenset(message.mentions))
    out = _Out()
    lead = _ping(message, options)
    out.sections(lead + mrkdwn(message.text, options, trace), "the message")
    for i, card in enumerate(message.cards):
        if i:
            out.blocks.append({"type": "divider"})
        _card(card, options, trace, out)

    actions: list[dict[str, Any]] = []
    if message.actions is not None:
        built = build(message.actions.name, message.actions.args, labels)
        out.cuts.extend(built.cuts)
        if built.elements:
            actions.append({"type": "actions", "elements": list(built.elements)})

    blocks = out.blocks
    room = limits.BLOCKS_MAX - len(actions)
    if len(blocks) > room:
        left_out = len(blocks) - (room - 1)
        blocks = blocks[: room - 1]
        blocks.append(
            {
                "type": "context",
                "elements": [_md(f"… {left_out} more part(s) of this message did not fit in Slack.")],
            }
        )
        out.cuts.append(f"{left_out} blocks left out (Slack shows at most {limits.BLOCKS_MAX})")
    fallback_trace = Trace(pings=trace.pings)
    return Rendered(
        text=_fallback(message, options, lead, fallback_trace),
        blocks=tuple(blocks + actions),
        unfurl_links=not trace.links,
        pinged=tuple(dict.fromkeys(trace.pinged)),
        unnamed=tuple(dict.fromkeys(trace.unasked)),
        cuts=tuple(out.cuts),
    )
