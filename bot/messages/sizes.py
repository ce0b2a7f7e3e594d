"""How long rich text is once shown, to keep whole lines and whole items within a platform's limits.

Measured as Discord writes it (mentions and times as their tags, user text with room for its escapes):
the tightest of the platforms' limits are Discord's. Renderers still cut whatever is over their limits;
this only lets a builder drop whole lines rather than have one cut in the middle.
"""

from __future__ import annotations

from bot.core.message import (
    ChannelRef,
    Code,
    Em,
    Link,
    Mention,
    Plain,
    Rich,
    Strong,
    Time,
    UserText,
    printable,
)

#: Characters a chat platform may escape in user text (each may take one more character when shown).
ESCAPED = frozenset("\\*_~`|<>#[]():@")
LINK_SHOWN_MAX = 512  # a user's link is shown up to this long


def shown_length(text: Rich) -> int:
    """About how many characters `text` takes once shown (exact for Conductor's own words)."""
    total = 0
    for node in text:
        match node:
            case Plain(text=t):
                total += len(t)
            case UserText(text=t, link=True):
                total += min(len(t.strip()), LINK_SHOWN_MAX) + 2
            case UserText(text=t, multiline=multiline, limit=limit):
                shown = printable(t, multiline)
                n = len(shown) + sum(c in ESCAPED for c in shown)
                total += n if limit is None else min(n, limit)
            case Code(text=t):
                total += len(printable(t)) + 2 if printable(t) else 1
            case Strong(children=c):
                total += shown_length(c) + 4
            case Em(children=c):
                total += shown_length(c) + 2
            case Mention(user_id=i) | ChannelRef(channel_id=i):
                total += len(str(i)) + 3
            case Link(url=url, label=label):
                total += len(url) + (len(label) + 4 if label else 0)
            case Time(at=at):
                total += len(str(int(at.timestamp()))) + 6
    return total
