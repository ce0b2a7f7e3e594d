"""Splitting a long role brief for Discord: within the limit, at clean boundaries, never mid-word."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.config import load_config
from bot.core.cards import EMBED_DESCRIPTION_MAX, pack, split_text

SHIPPED = Path(__file__).resolve().parents[2] / "config.toml"

WORDS = st.lists(st.from_regex(r"[A-Za-z]{1,12}[.,!?]?", fullmatch=True), min_size=1, max_size=400)


def test_a_short_brief_is_one_chunk_as_written() -> None:
    assert split_text("  Read the paper.  ") == ["Read the paper."]
    assert split_text("") == []


def test_the_reviewer_brief_fits_one_embed_and_splits_at_paragraphs_when_the_limit_is_small() -> None:
    brief = load_config(SHIPPED).role("reviewer").brief
    assert split_text(brief) == [brief.strip()]
    chunks = split_text(brief, 600)
    assert all(len(c) <= 600 for c in chunks)
    assert all(c.startswith(("**", "The paper")) for c in chunks)  # each chunk starts a paragraph
    assert "\n\n".join(chunks) == brief.strip()


def test_sentences_are_preferred_to_words() -> None:
    text = "First sentence is here. Second one follows it. Third sentence ends the text."
    assert split_text(text, 50) == [
        "First sentence is here. Second one follows it.",
        "Third sentence ends the text.",
    ]


def test_only_a_word_longer_than_the_limit_is_cut() -> None:
    assert split_text("see https://example.com/" + "a" * 30, 20)[0] == "see"


@given(WORDS, st.integers(min_value=15, max_value=300))
def test_chunks_respect_the_limit_and_never_cut_a_word(words: list[str], limit: int) -> None:
    text = " ".join(words)
    chunks = split_text(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert re.split(r"\s+", " ".join(chunks)) == re.split(r"\s+", text.strip())  # every word whole, in order


def test_pack_groups_chunks_into_messages_within_a_budget() -> None:
    assert pack(["a" * 4000, "b" * 1500, "c" * 1000], 6000) == [["a" * 4000, "b" * 1500], ["c" * 1000]]
    assert len(split_text("x " * 5000, EMBED_DESCRIPTION_MAX)) == 3
