"""Slack's limits on a message, in one place, and the one way text is cut to fit them.

Numbers from Slack's Block Kit and `chat.postMessage` reference (../shared/slack-api/NOTES.md). Text is
cut with an ellipsis, never in the middle of an entity (`&amp;`), a `<…>` token or a code span, and every
cut is reported so the caller can say so.
"""

from __future__ import annotations

import re

BLOCKS_MAX = 50  # blocks in one message
SECTION_TEXT_MAX = 3000  # a section's text (and a context element's)
HEADER_TEXT_MAX = 150  # a header's plain_text
FIELDS_MAX = 10  # fields in one section
FIELD_TEXT_MAX = 2000  # one field's text
CONTEXT_ELEMENTS_MAX = 10  # elements in a context block
ACTIONS_ELEMENTS_MAX = 25  # elements in an actions block
BUTTON_TEXT_MAX = 75  # a button's label
ACTION_ID_MAX = 255
VALUE_MAX = 2000  # a button's value
OPTIONS_MAX = 100  # options of a static select
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
PLACEHOLDER_MAX = 150
FALLBACK_TEXT_MAX = 40000  # the message's `text` (Slack truncates beyond it)
LINK_SHOWN_MAX = 512  # Conductor's own: the longest link a user typed that is shown whole

ELLIPSIS = "…"
_OPEN_TOKEN = re.compile(r"<[^>]*$")  # a `<…>` (link, mention, date) not closed before the cut
_OPEN_ENTITY = re.compile(r"&[a-z]*$")  # `&amp;` cut in half


def _safe_head(text: str, room: int) -> str:
    """The first `room` characters of mrkdwn, shortened so no token, entity or code span is cut open."""
    head = text[: max(room, 0)]
    head = _OPEN_TOKEN.sub("", head)
    head = _OPEN_ENTITY.sub("", head)
    fenced = head.count("```") % 2 == 1
    inline = head.replace("```", "").count("`") % 2 == 1
    if fenced:
        head = head[: head.rfind("```")]
    elif inline:
        head = head[: head.rfind("`")]
    return head


def cut(text: str, limit: int) -> tuple[str, bool]:
    """`text` within `limit` characters (ending in "…" when cut), and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return _safe_head(text, limit - len(ELLIPSIS)).rstrip() + ELLIPSIS, True


def cut_plain(text: str, limit: int) -> tuple[str, bool]:
    """Plain text (no markup) within `limit` characters, and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return text[: max(limit - len(ELLIPSIS), 0)].rstrip() + ELLIPSIS, True


def split_lines(text: str, limit: int) -> tuple[list[str], bool]:
    """mrkdwn split at line breaks into parts of at most `limit` characters; a longer line is cut.

    Returns the parts and whether anything was cut. The text must not hold a code block spanning lines
    (preformatted lines are split by the caller, each part in its own fence).
    """
    parts: list[str] = []
    current = ""
    was_cut = False
    for line in text.split("\n"):
        if len(line) > limit:
            line, _ = cut(line, limit)
            was_cut = True
        if not current:
            current = line
        elif len(current) + 1 + len(line) <= limit:
            current += "\n" + line
        else:
            parts.append(current)
            current = line
    if current:
        parts.append(current)
    return parts, was_cut
