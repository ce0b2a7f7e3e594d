"""A message's content (`text`, `blocks`) read and checked as Slack does, wherever it comes from.

The Web API, a slash command's acknowledgement and a `response_url` POST all carry the same fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .blockkit import MESSAGE_TEXT, message_block_problems
from .errors import SlackError


@dataclass(frozen=True)
class Content:
    """What a message says: its text (the notification fallback when there are blocks) and blocks."""

    text: str
    blocks: list[dict[str, Any]] | None


def read_blocks(raw: Any) -> list[dict[str, Any]] | None:
    """`blocks` as sent (a JSON array, or a JSON string in a form); `invalid_blocks` with Slack's lines."""
    if raw is None:
        return None
    if isinstance(raw, str):
        if not raw.strip():
            return None
        try:
            raw = json.loads(raw)
        except ValueError:
            raise SlackError("invalid_blocks_format") from None
    if not isinstance(raw, list):
        raise SlackError("invalid_blocks_format")
    problems = message_block_problems(raw)
    if problems:
        raise SlackError("invalid_blocks", response_metadata={"messages": problems})
    return raw


def read_content(text: Any, blocks: Any, *, too_long: str = "truncate", required: bool = True) -> Content:
    """Check a message's content: `no_text` when empty; text over 40,000 cut, or `msg_too_long`."""
    parsed = read_blocks(blocks)
    body = "" if text is None else str(text)
    if required and not body and not parsed:
        raise SlackError("no_text")
    if len(body) > MESSAGE_TEXT:
        if too_long != "truncate":
            raise SlackError("msg_too_long")
        body = body[:MESSAGE_TEXT]
    return Content(body, parsed)
