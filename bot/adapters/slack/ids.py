"""Slack ids as the integers the app stores (guild, channel and user columns are signed 64-bit).

A Slack id (`U01ABCDEF12`, `C…`, `D…`, `G…`, `T…`, `W…`) is a letter followed by uppercase letters and
digits, at most 12 characters. Read as a base-36 numeral it is a positive integer below 36**12, which
fits a signed 64-bit column (36**12 < 2**63); since it starts with a letter it has no leading zero, so
the integer turns back into the very same id.
"""

from __future__ import annotations

import re

MAX_LENGTH = 12
#: The largest integer an id can map to (`ZZZZZZZZZZZZ`): below 2**63, so it fits a BigInteger.
MAX_INT = 36**MAX_LENGTH - 1
_ID = re.compile(r"[A-Z][A-Z0-9]{0,11}")
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class SlackIdError(ValueError):
    """A Slack id, or a stored integer, that the mapping cannot represent."""


def to_int(slack_id: str) -> int:
    """The stored integer for a Slack id (SlackIdError if it is not one: say what a Slack id looks like)."""
    if not isinstance(slack_id, str) or not _ID.fullmatch(slack_id):
        shown = repr(slack_id) if len(repr(slack_id)) <= 40 else repr(slack_id)[:39] + "…"
        raise SlackIdError(
            f"{shown} is not a Slack id this app can store: expected an uppercase letter, then uppercase "
            f"letters and digits, {MAX_LENGTH} characters at most (like U01ABCDEF12)"
        )
    return int(slack_id, 36)


def to_slack(number: int) -> str:
    """The Slack id a stored integer stands for (SlackIdError if no id maps to it)."""
    if isinstance(number, bool) or not isinstance(number, int) or not 10 <= number <= MAX_INT:
        raise SlackIdError(f"{number!r} is not a stored Slack id (expected an integer from 10 to {MAX_INT})")
    out: list[str] = []
    while number:
        number, digit = divmod(number, 36)
        out.append(_DIGITS[digit])
    slack_id = "".join(reversed(out))
    if not slack_id[0].isalpha():  # e.g. 36 is "10": no Slack id starts with a digit
        raise SlackIdError(
            f"{number!r} is not a stored Slack id (its base-36 form {slack_id} starts with a digit)"
        )
    return slack_id


def is_slack_id(text: str) -> bool:
    """Whether `text` has the shape of a Slack id this mapping takes."""
    return bool(_ID.fullmatch(text))
