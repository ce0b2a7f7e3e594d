"""A message stored in the outbox comes back the same: every node, every card, and what older versions stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.message import (
    Actions,
    Card,
    ChannelRef,
    Code,
    Em,
    Field,
    Link,
    Mention,
    Message,
    Plain,
    Strong,
    Time,
    TimeStyle,
    Tone,
    UserText,
    from_json,
    to_json,
)

TEXT = st.text(max_size=30)
# hypothesis bounds its datetimes with naive ones, then attaches the zone (UTC)
NAIVE_FROM = datetime(2000, 1, 1, tzinfo=UTC).replace(tzinfo=None)
NAIVE_TO = datetime(2100, 1, 1, tzinfo=UTC).replace(tzinfo=None)
LEAVES = st.one_of(
    st.builds(Plain, TEXT),
    st.builds(UserText, TEXT, st.booleans(), st.none() | st.integers(1, 4000), st.booleans()),
    st.builds(Code, TEXT),
    st.builds(Mention, st.integers(1, 2**63)),
    st.builds(ChannelRef, st.integers(1, 2**63)),
    st.builds(Link, st.text(min_size=1, max_size=40), st.none() | TEXT),
    st.builds(
        Time,
        st.datetimes(min_value=NAIVE_FROM, max_value=NAIVE_TO, timezones=st.just(UTC)),
        st.sampled_from(TimeStyle),
    ),
)
RICH = st.recursive(
    st.lists(LEAVES, max_size=4).map(tuple),
    lambda inner: st.lists(st.one_of(LEAVES, st.builds(Strong, inner), st.builds(Em, inner)), max_size=4).map(
        tuple
    ),
    max_leaves=12,
)
CARDS = st.builds(
    Card,
    RICH,
    RICH,
    st.lists(st.builds(Field, RICH, RICH, st.booleans()), max_size=3).map(tuple),
    RICH,
    st.sampled_from(Tone),
    st.lists(TEXT, max_size=3).map(tuple),
)
ACTIONS = st.none() | st.builds(
    Actions, st.sampled_from(["role-card", "checkin"]), st.fixed_dictionaries({"session": st.integers(1, 99)})
)
MESSAGES = st.builds(
    Message,
    RICH,
    st.lists(CARDS, max_size=3).map(tuple),
    st.sets(st.integers(1, 2**63), max_size=4).map(lambda ids: tuple(sorted(ids))),
    st.none() | st.just("Student"),
    ACTIONS,
)


@settings(max_examples=200, deadline=None)
@given(message=MESSAGES)
def test_a_stored_message_comes_back_the_same(message: Message) -> None:
    stored = json.loads(json.dumps(to_json(message)))  # as the outbox's JSON column keeps it
    assert from_json(stored) == message


def test_user_text_without_a_limit_or_a_link_is_stored_as_before() -> None:
    """The keys `limit` and `link` appear only when set: what older versions stored reads the same."""
    plain = {"t": "user", "text": "Ada", "multiline": False}
    assert to_json(Message((UserText("Ada"),)))["text"] == [plain]
    assert from_json({"text": [plain]}).text == (UserText("Ada"),)
    shown = to_json(Message((UserText("https://x.org", link=True), UserText("Ada", limit=10))))["text"]
    assert shown[0]["link"] is True and "limit" not in shown[0] and shown[1]["limit"] == 10
