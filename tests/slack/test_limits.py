"""Cutting mrkdwn to Slack's limits never leaves half an entity, a `<…>` token or an open code span."""

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.slack.limits import ELLIPSIS, cut, split_lines

PIECES = st.sampled_from(
    [
        "word ",
        "&amp;",
        "&lt;",
        "<@U01ANNA0001>",
        "<!date^1710247500^{time}|13:45 CET>",
        "`code`",
        "*bold* ",
        "\n",
        "é",
    ]
)
MRKDWN = st.lists(PIECES, max_size=60).map("".join)


def well_formed(text: str) -> bool:
    body = text.removesuffix(ELLIPSIS)
    no_tokens = re.sub(r"<[^<>]*>", "", body)
    no_entities = re.sub(r"&(amp|lt|gt);", "", no_tokens)
    return (
        "<" not in no_tokens and ">" not in no_tokens and "&" not in no_entities and body.count("`") % 2 == 0
    )


@given(MRKDWN, st.integers(min_value=1, max_value=200))
def test_a_cut_fits_and_breaks_nothing(text: str, limit: int) -> None:
    shown, was_cut = cut(text, limit)
    assert len(shown) <= limit
    assert was_cut == (shown != text)
    if was_cut:
        assert shown.endswith(ELLIPSIS) and text.startswith(shown.removesuffix(ELLIPSIS).rstrip())
    assert well_formed(shown)


@given(MRKDWN, st.integers(min_value=40, max_value=300))
def test_split_keeps_every_line_that_fits(text: str, limit: int) -> None:
    parts, was_cut = split_lines(text, limit)
    assert all(len(p) <= limit and well_formed(p) for p in parts)
    if not was_cut:
        assert "\n".join(parts).replace("\n", "") == text.replace("\n", "")


def test_a_cut_inside_a_mention_drops_the_whole_mention() -> None:
    assert cut("Your partner is <@U01ANNA0001>", 25) == ("Your partner is…", True)
    assert cut("Tom &amp; Jerry", 8) == ("Tom…", True)
    assert cut("Run `/session pause` now", 12) == ("Run…", True)
