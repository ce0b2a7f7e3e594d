"""Rich text (`bot.core.message`) to Slack mrkdwn: Conductor's words live, user text always inert.

Slack reads `<…>` as mentions (`<@U…>`), broadcasts (`<!here>`), channels (`<#C…>`), dates and links, and
`&`, `<`, `>` must be sent as entities; so every piece of text is escaped, and the only `<…>` tokens in the
output are the ones written here for a `Mention`, `ChannelRef`, `Link` or `Time`. What a user typed gets
more: its formatting characters at a word boundary are fenced with zero-width spaces (Slack has no
backslash escape), a quote marker at a line start is broken the same way, and anything that looks like a
link or an address is put in a code span so Slack does not auto-link it (the message then goes with
`unfurl_links=false`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from bot.adapters.slack.ids import SlackIdError, to_slack
from bot.adapters.slack.limits import LINK_SHOWN_MAX, cut_plain
from bot.core.durations import duration
from bot.core.message import (
    ChannelRef,
    Code,
    Em,
    Inline,
    Link,
    Mention,
    Plain,
    Rich,
    Strong,
    Time,
    TimeStyle,
    UserText,
)

ZWSP = "\u200b"
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")  # overrides and isolates: they reorder what follows
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x85]")
# Links and addresses Slack would make clickable: URLs with a scheme, `www.`, e-mail addresses, and
# host names with a dot (`evil.example/login`).
# Each alternative starts only where a word does and never backtracks (possessive), so a long run of
# letters costs linear time.
_LINKISH = re.compile(
    r"(?i)(?<![a-z0-9+.-])(?:[a-z][a-z0-9+.-]*+://|mailto:|www\.)[^\s`]*+"
    r"|(?<![^\s`<>])[^\s@`<>]++@[^\s@`<>]+\.[a-z]{2,}"
    r"|(?<![a-z0-9.-])(?:[a-z0-9-]++\.)++[a-z]{2,}+(?::\d+)?(?:/[^\s`]*)?"
)
# `*`, `_`, `~` where a word starts or ends (inside a word, as in snake_case, they format nothing).
_BOUNDARY_MARKER = re.compile(r"(?<![^\W_])[*_~]|[*_~](?![^\W_])")
_WWW = re.compile(r"(?i)www\.")
_BROADCAST = re.compile(r"@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
_QUOTE = re.compile(r"^([ \t]*)&gt;", re.MULTILINE)
# Discord-flavoured emphasis in configuration text: `**bold**`, `*italic*`, `__underline__`, `~~strike~~`.
_DISCORD_EMPHASIS = re.compile(
    r"\*\*(?P<bold>\S(?:.*?\S)?)\*\*"
    r"|(?<![*\w])\*(?P<it>[^\s*](?:[^*]*?[^\s*])?)\*(?![*\w])"
    r"|__(?P<under>\S(?:.*?\S)?)__"
    r"|~~(?P<strike>\S(?:.*?\S)?)~~"
)
_MASKED_LINK = re.compile(r"\[(?P<label>[^\]\n]+)\]\((?P<url>https?://[^\s)]+)\)")
_URL_UNSAFE = re.compile(r"[\s<>|\"`\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

# Slack's `<!date^…>` formats for each style, and the fallback shown where they cannot be read.
_DATE_TOKENS: dict[TimeStyle, tuple[str, str]] = {
    TimeStyle.SHORT_TIME: ("{time}", "%H:%M"),
    TimeStyle.LONG_TIME: ("{time_secs}", "%H:%M:%S"),
    TimeStyle.SHORT_DATE: ("{date_num}", "%Y-%m-%d"),
    TimeStyle.LONG_DATE: ("{date}", "%d %B %Y"),
    TimeStyle.SHORT_DATETIME: ("{date} {time}", "%d %B %Y %H:%M"),
    TimeStyle.LONG_DATETIME: ("{date_long} {time}", "%A, %d %B %Y %H:%M"),
    TimeStyle.RELATIVE: ("{date_short_pretty} at {time}", "%d %b %Y at %H:%M"),
}


@dataclass(frozen=True)
class Options:
    """What rendering needs from outside the message: the time now, and what Slack knows by name."""

    #: The moment of rendering (aware): a RELATIVE time is written as words from it ("in 5 min").
    now: datetime
    #: The zone of a time's fallback text (clients that cannot show `<!date>` show it); UTC by default.
    zone: tzinfo = UTC
    #: Display names of people the message shows without pinging (Slack has no silent mention).
    names: Mapping[int, str] = field(default_factory=dict)
    #: Slack user group ids (`S…`) by the group name a message pings (`Message.ping_group`).
    groups: Mapping[str, str] = field(default_factory=dict)
    #: Only the reader sees it (an ephemeral answer): no one is notified, every mention is shown live.
    ephemeral: bool = False
    #: The workspace's command prefix (`cd-` makes `/session` into `/cd-session`).
    command_prefix: str = ""
    #: Slash command names Conductor's own words refer to in backticks (rewritten with the prefix).
    commands: frozenset[str] = frozenset()


@dataclass
class Trace:
    """What rendering found on the way: who is pinged, whether any link is shown."""

    pings: frozenset[int] = frozenset()
    pinged: list[str] = field(default_factory=list)
    #: People shown live though the message does not ping them (their name was not known).
    unasked: list[str] = field(default_factory=list)
    links: bool = False


def escape(text: str) -> str:
    """Slack's three control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clean(text: str, multiline: bool = False) -> str:
    """Controls and direction overrides removed; line breaks kept as `\\n` or made spaces; tabs spaces."""
    text = _CONTROL.sub("", _BIDI.sub("", text.replace("\t", " ")))
    return _BREAKS.sub("\n" if multiline else " ", text)


def _code_text(text: str) -> str:
    """Text for inside a code span: one line, escaped, no backtick to end the span."""
    return escape(clean(text).replace("`", "ˋ"))


def code_span(text: str) -> str:
    """A code span around `text` (empty text shows nothing)."""
    inner = _code_text(text)
    return f"`{inner}`" if inner.strip() else ""


def _fence_markers(text: str) -> str:
    """Formatting characters at a word boundary fenced with zero-width spaces, so they format nothing."""
    return _BOUNDARY_MARKER.sub(lambda m: ZWSP + m.group(0) + ZWSP, text)


def _inert_words(text: str) -> str:
    """User words without links: escaped, no formatting, no quote, no broadcast."""
    shown = _fence_markers(escape(text.replace("`", "ˋ")))
    shown = _QUOTE.sub(lambda m: m.group(1) + ZWSP + "&gt;", shown)
    # A scheme or `www.` the link finder did not take (mid-word) is broken, so Slack cannot link it either.
    shown = _WWW.sub(lambda m: m.group(0)[:3] + ZWSP + ".", shown.replace("://", ":" + ZWSP + "//"))
    return _BROADCAST.sub("@" + ZWSP, shown)


def inert(text: str, multiline: bool = False, trace: Trace | None = None) -> str:
    """What a user typed, shown as typed and never live; links and addresses in code spans."""
    text = clean(text, multiline)
    out: list[str] = []
    last = 0
    for match in _LINKISH.finditer(text):
        out.append(_inert_words(text[last : match.start()]))
        link = match.group(0)
        link, _ = cut_plain(link, LINK_SHOWN_MAX)
        out.append(code_span(link))
        if trace is not None:
            trace.links = True
        last = match.end()
    out.append(_inert_words(text[last:]))
    return "".join(out)


def _unemphasized(text: str) -> str:
    """Configuration text without its Discord emphasis markers (for where Slack shows no markup)."""
    return _DISCORD_EMPHASIS.sub(lambda m: next(g for g in m.groups() if g is not None), text)


def _discord_emphasis(match: re.Match[str], in_strong: bool) -> str:
    if match["bold"] is not None:
        return match["bold"] if in_strong else f"*{match['bold']}*"
    if match["it"] is not None:
        return f"_{match['it']}_"
    if match["under"] is not None:
        return f"_{match['under']}_"
    return f"~{match['strike']}~"


def words(text: str, options: Options, in_strong: bool = False) -> str:
    """Conductor's own (or the configuration's) words: escaped, Discord-flavoured emphasis made Slack's."""
    links: list[str] = []

    def keep(m: re.Match[str]) -> str:  # a `[label](url)` of the configuration, set aside whole
        links.append(f"<{safe_url(m['url'])}|{escape(_unemphasized(m['label'])).replace('|', '¦')}>")
        return f"\x00{len(links) - 1}\x00"

    shown = escape(_MASKED_LINK.sub(keep, clean(text, True)))
    shown = _DISCORD_EMPHASIS.sub(lambda m: _discord_emphasis(m, in_strong), shown)
    if options.command_prefix and options.commands:
        names = "|".join(re.escape(c) for c in sorted(options.commands, key=len, reverse=True))
        shown = re.sub(rf"(?<=`)/({names})\b", rf"/{options.command_prefix}\1", shown)
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m[1])], shown)


def safe_url(url: str) -> str:
    """A URL Conductor made, for inside `<url|label>`: escaped, nothing that ends the token."""
    encoded = _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), url.strip())
    return escape(encoded)


def _wrap(inner: str, marker: str) -> str:
    """Emphasis around each line's words (Slack's does not span lines, nor start or end with a space)."""
    out = []
    for line in inner.split("\n"):
        core = line.strip()
        if not core:
            out.append(line)
            continue
        start = line.index(core[0])
        out.append(f"{line[:start]}{marker}{core}{marker}{line[start + len(core) :]}")
    return "\n".join(out)


def _relative_words(at: datetime, now: datetime) -> str:
    delta = at - now
    if abs(delta.total_seconds()) < 1:
        return "now"
    if delta.total_seconds() > 0:
        return f"in {duration(delta)}"
    return f"{duration(-delta)} ago"


def date_token(at: datetime, style: TimeStyle, options: Options) -> str:
    """A `<!date^…>` token: each reader's own zone, with a fallback in the given zone (and words for R)."""
    if at.tzinfo is None:
        raise ValueError("times in messages must be aware")
    if style is TimeStyle.RELATIVE:  # the same words for every reader: no zone to show them in
        return _relative_words(at, options.now)
    token, fallback = _DATE_TOKENS[style]
    local = at.astimezone(options.zone)
    shown = f"{local.strftime(fallback)} {local.tzname() or 'UTC'}"
    return f"<!date^{int(at.timestamp())}^{token}|{escape(shown)}>"


def _person(user_id: int, options: Options, trace: Trace) -> str:
    try:
        slack_id = to_slack(user_id)
    except SlackIdError:
        return "someone"  # not a Slack user (a stored id from elsewhere): shown, never live
    name = options.names.get(user_id)
    if options.ephemeral or user_id in trace.pings or name is None:
        trace.pinged.append(slack_id)
        if not options.ephemeral and user_id not in trace.pings:
            trace.unasked.append(slack_id)
        return f"<@{slack_id}>"
    return "@" + inert(name)


def mrkdwn(text: Rich, options: Options, trace: Trace, in_strong: bool = False, in_em: bool = False) -> str:
    """Rich text as Slack mrkdwn."""
    return "".join(_node(node, options, trace, in_strong, in_em) for node in text)


def _node(node: Inline, options: Options, trace: Trace, in_strong: bool, in_em: bool) -> str:
    match node:
        case Plain(text=t):
            return words(t, options, in_strong)
        case UserText(text=t, multiline=m):
            return inert(t, m, trace)
        case Code(text=t):
            return code_span(t)
        case Strong(children=c):
            inner = mrkdwn(c, options, trace, True, in_em)
            return inner if in_strong else _wrap(inner, "*")
        case Em(children=c):
            inner = mrkdwn(c, options, trace, in_strong, True)
            return inner if in_em else _wrap(inner, "_")
        case Mention(user_id=u):
            return _person(u, options, trace)
        case ChannelRef(channel_id=c_id):
            try:
                return f"<#{to_slack(c_id)}>"
            except SlackIdError:
                return "a channel"
        case Link(url=url, label=label):
            trace.links = True
            if not re.match(r"(?i)(https?|mailto):", url.strip()):
                return (escape(label) + " " if label else "") + code_span(url)
            return f"<{safe_url(url)}|{escape(label or url).replace('|', '¦')}>"
        case Time(at=at, style=style):
            return date_token(at, style, options)
    raise TypeError(f"not an inline node: {node!r}")


def plain(text: Rich, options: Options) -> str | None:
    """Rich text as plain_text (for a header), or None when it holds something only mrkdwn can show."""
    out: list[str] = []
    for node in text:
        match node:
            case Plain(text=t):
                out.append(_unemphasized(t))
            case UserText(text=t) | Code(text=t):
                out.append(clean(t))
            case Strong(children=c) | Em(children=c):
                inner = plain(c, options)
                if inner is None:
                    return None
                out.append(inner)
            case _:
                return None
    return clean("".join(out))
