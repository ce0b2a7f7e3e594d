"""Splitting long text (a role's brief) into chunks that fit Discord's limits, never cutting a word.

Pure: standard library only. A chunk boundary is chosen, in order of preference, at a paragraph break,
a line break, the end of a sentence, or a space; only a single "word" longer than the limit (a very long
URL, say) is ever cut, since nothing else would fit.
"""

from __future__ import annotations

import re

#: Discord's limits a role card has to respect.
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELD_VALUE_MAX = 1024
EMBED_TOTAL_MAX = 6000
MESSAGE_CONTENT_MAX = 2000
EMBEDS_PER_MESSAGE = 10

_SENTENCE_END = re.compile(r"[.!?:;)\]\"'*_]\s")


def _cut(text: str, limit: int) -> int:
    """Where to end the first chunk of `text` (longer than `limit`): the best boundary within the limit.

    A paragraph break, line break or sentence end is preferred when it keeps at least half the limit;
    otherwise the last space; a hard cut only when the first word alone is longer than the limit.
    """
    window = text[: limit + 1]  # a boundary right after the limit still leaves a chunk of `limit` chars
    half = limit // 2
    candidates = [window.rfind("\n\n"), window.rfind("\n")]
    ends = [m.end() - 1 for m in _SENTENCE_END.finditer(window)]
    candidates.append(ends[-1] if ends else -1)
    for at in candidates:
        if at >= max(half, 1):
            return at
    at = max(window.rfind(" "), window.rfind("\n"))
    if at > 0:
        return at
    return limit  # a single word longer than the limit: the only case that must be cut


def split_text(text: str, limit: int = EMBED_DESCRIPTION_MAX) -> list[str]:
    """Split `text` into chunks of at most `limit` characters at the cleanest boundaries available.

    Chunks are stripped of surrounding whitespace; joined with blank lines they read as the original.
    Empty text gives no chunks.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    chunks: list[str] = []
    rest = text.strip()
    while rest:
        if len(rest) <= limit:
            chunks.append(rest)
            break
        at = _cut(rest, limit)
        head = rest[:at].rstrip()
        if not head:  # only whitespace before the boundary: cut hard rather than loop forever
            head, at = rest[:limit], limit
        chunks.append(head)
        rest = rest[at:].strip()
    return chunks


def pack(chunks: list[str], budget: int) -> list[list[str]]:
    """Group chunks, in order, into batches whose total length stays within `budget` (one per message)."""
    batches: list[list[str]] = [[]]
    used = 0
    for chunk in chunks:
        if batches[-1] and used + len(chunk) > budget:
            batches.append([])
            used = 0
        batches[-1].append(chunk)
        used += len(chunk)
    return [b for b in batches if b]
