"""The one duration formatter: lengths read as people say them, never as floats."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.durations import duration

SHAPE = re.compile(r"^(?:(?P<h>\d+) h)? ?(?:(?P<m>\d+) min)? ?(?:(?P<s>\d+) s)?$")


def seconds_of(text: str) -> int:
    """Read a formatted length back as whole seconds."""
    match = SHAPE.match(text)
    assert match and text.strip() == text and "  " not in text, text
    return int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + int(match["s"] or 0)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0 s"),
        (timedelta(milliseconds=300), "under a second"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(seconds=59.6), "1 min"),
        (timedelta(seconds=200), "3 min 20 s"),
        (timedelta(minutes=10 / 3), "3 min 20 s"),  # not "3.33333 min"
        (timedelta(minutes=5), "5 min"),
        (timedelta(minutes=12, seconds=20), "12 min"),
        (timedelta(minutes=12, seconds=30), "13 min"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (timedelta(hours=2, minutes=5, seconds=12.345), "2 h 5 min"),
        (timedelta(hours=3), "3 h"),
        (timedelta(days=1), "24 h"),
        (timedelta(seconds=-5), "0 s"),
    ],
)
def test_lengths_read_as_people_say_them(delta: timedelta, text: str) -> None:
    assert duration(delta) == text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(minutes=0.1), "6 s"),
        (timedelta(minutes=12, seconds=30), "12 min 30 s"),
        (timedelta(hours=2, minutes=5, seconds=30), "2 h 5 min 30 s"),
        (timedelta(hours=2, seconds=30), "2 h 30 s"),
    ],
)
def test_exact_keeps_every_second(delta: timedelta, text: str) -> None:
    assert duration(delta, exact=True) == text


def test_minutes_only_counts_as_plans_are_written() -> None:
    assert duration(timedelta(minutes=190), exact=True, hours=False) == "190 min"
    assert duration(timedelta(seconds=90), exact=True, hours=False) == "1 min 30 s"


lengths = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=3))


@given(lengths, st.booleans(), st.booleans())
def test_any_length_is_whole_units_close_to_the_truth(delta: timedelta, exact: bool, hours: bool) -> None:
    text = duration(delta, exact=exact, hours=hours)
    assert "." not in text and ":" not in text
    shown = seconds_of(text)
    match = SHAPE.match(text)
    assert match is not None
    assert int(match["s"] or 0) < 60
    if hours:
        assert int(match["m"] or 0) < 60
    else:
        assert match["h"] is None
    true = delta.total_seconds()
    tolerance = 0.5 if exact or true < 599.5 else 30
    assert abs(shown - true) <= tolerance + 1e-6, (delta, text)
    if not exact and true >= 600:
        assert match["s"] is None  # seconds are noise in a long phase


@given(lengths, lengths)
def test_a_longer_length_never_reads_shorter(a: timedelta, b: timedelta) -> None:
    short, long = sorted((a, b))
    assert seconds_of(duration(short)) <= seconds_of(duration(long))
