"""Slack ids stored as the integers the database columns hold, and back."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.slack.ids import MAX_INT, SlackIdError, is_slack_id, to_int, to_slack

slack_ids = st.from_regex(r"\A[A-Z][A-Z0-9]{0,11}\Z")


@given(slack_ids)
def test_every_slack_id_round_trips_through_a_positive_signed_64_bit_integer(slack_id: str) -> None:
    number = to_int(slack_id)
    assert 0 < number <= MAX_INT < 2**63
    assert to_slack(number) == slack_id


@given(slack_ids, slack_ids)
def test_different_ids_are_stored_as_different_integers(a: str, b: str) -> None:
    assert (to_int(a) == to_int(b)) == (a == b)


def test_real_looking_ids() -> None:
    for slack_id in ("U01ABCDEF12", "C0123456789", "D024BE91L", "G0AB12CD3", "T12345678", "W0123ABCD"):
        assert to_slack(to_int(slack_id)) == slack_id


@pytest.mark.parametrize(
    "bad", ["", "u01abc", "U01ABCDEF12X3", "1ABC", "U01-ABC", "U01 ABC", "<@U01ABC>", "Ü01ABC"]
)
def test_an_id_that_does_not_fit_is_refused_with_what_an_id_looks_like(bad: str) -> None:
    with pytest.raises(SlackIdError, match="uppercase letter, then uppercase letters and digits"):
        to_int(bad)
    assert not is_slack_id(bad)


@given(st.integers())
def test_an_integer_no_id_maps_to_is_refused_and_any_other_comes_back(number: int) -> None:
    try:
        slack_id = to_slack(number)
    except SlackIdError:
        return
    assert to_int(slack_id) == number


def test_integers_that_are_not_stored_ids() -> None:
    for number in (0, 9, 36, -5, MAX_INT + 1, 2**63):  # 36 is "10": it starts with a digit
        with pytest.raises(SlackIdError):
            to_slack(number)
