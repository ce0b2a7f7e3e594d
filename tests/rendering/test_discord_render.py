"""The Discord renderer: a neutral message becomes the post students have always seen on Discord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.discord.render import COLOURS, markdown, payload, stored_payload
from bot.config import load_config
from bot.core.message import (
    Card,
    ChannelRef,
    Em,
    Link,
    Mention,
    Message,
    Plain,
    Strong,
    Time,
    TimeStyle,
    Tone,
    rich,
)
from bot.core.steps import build_steps
from bot.core.timeline import Timeline
from bot.messages import session as sessions
from bot.messages.sizes import shown_length

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_config(ROOT / "config.toml")
AT = datetime(2024, 3, 12, 13, 0, tzinfo=UTC)
# hypothesis bounds its datetimes with naive ones, then attaches the zone (UTC)
NAIVE_FROM = datetime(1990, 1, 1, tzinfo=UTC).replace(tzinfo=None)
NAIVE_TO = datetime(2200, 1, 1, tzinfo=UTC).replace(tzinfo=None)
ANNA, BEN = 111111111111111111, 222222222222222222


def test_a_phase_post_reads_as_the_class_has_always_seen_it() -> None:
    """The post of a phase's start: who is pinged, what to do, a live countdown, what comes next."""
    tl = Timeline(build_steps(COURSE, COURSE.plan("afternoon")), AT)
    start, end = tl.windows()[1]
    body = sessions.announce(
        tl.steps[1],
        "Work alone on your role.",
        (start, end),
        audience=sessions.Audience(channel_id=1, label="Gemini - group", user_ids=(BEN, ANNA)),
        late=timedelta(minutes=3),
        missed=(),
        previous=tl.steps[0].name,
        next_step=(tl.steps[2].name, tl.windows()[2][0]),
        view={"name": "submit-slides", "args": {"session": 7}},
    )
    body["notify"] = 9
    sent = stored_payload(body)
    ends, nxt = int(end.timestamp()), int(tl.windows()[2][0].timestamp())
    assert sent["content"] == f"Time's up for **{tl.steps[0].name}**.\n<@{ANNA}> <@{BEN}>"
    assert sent["mentions"] == [ANNA, BEN] and sent["notify"] == 9
    assert sent["view"] == {"name": "submit-slides", "args": {"session": 7}}
    assert sent["embeds"] == [
        {
            "type": "rich",
            "flags": 0,
            "title": f"Now: {tl.steps[1].name}",
            "description": "Work alone on your role.",
            "color": 0x2ECC71,
            "fields": [
                {"name": "Ends", "value": f"<t:{ends}:t> (<t:{ends}:R>)", "inline": True},
                {
                    "name": "Started late",
                    "value": f"This started 3 min ago while I was away; it still ends <t:{ends}:R>.",
                    "inline": False,
                },
                {"name": "Next", "value": f"{tl.steps[2].name} at <t:{nxt}:t>", "inline": True},
            ],
            "footer": {"text": "Gemini - group"},
        }
    ]


def test_a_phase_post_marked_over_keeps_its_words_and_drops_its_pings_and_buttons() -> None:
    tl = Timeline(build_steps(COURSE, COURSE.plan("afternoon")), AT)
    posted = sessions.announce(
        tl.steps[0],
        "Check your DMs.",
        tl.windows()[0],
        audience=sessions.Audience(channel_id=1, label="", user_ids=(ANNA,)),
        late=timedelta(),
        missed=(),
        previous=None,
        next_step=None,
        view={"name": "submit-slides", "args": {"session": 7}},
    )
    over = stored_payload(sessions.mark_over(posted, AT))
    (embed,) = over["embeds"]
    assert over["content"] == f"<@{ANNA}>" and over["mentions"] == [] and over["view"] is None
    assert embed["title"] == f"Over: {tl.steps[0].name}" and embed["description"] == "Check your DMs."
    assert embed["color"] == COLOURS[Tone.OVER].value  # type: ignore[union-attr]
    assert embed["fields"] == [{"name": "Ended", "value": f"<t:{int(AT.timestamp())}:t>", "inline": True}]


def test_a_post_stored_by_an_older_version_is_sent_as_stored_and_can_still_be_marked_over() -> None:
    """Posts written before the neutral messages (Discord's own words) go out, and are edited, unchanged."""
    legacy = {
        "content": "Time's up for **Welcome**.",
        "embeds": [{"title": "Now: Do the role!", "description": "Alone.", "color": 3066993, "fields": []}],
        "mentions": [ANNA],
        "view": None,
        "notify": 9,
    }
    assert stored_payload(legacy) == legacy
    over = stored_payload(sessions.mark_over(legacy, AT))
    assert over["content"] == legacy["content"] and over["embeds"][0]["title"] == "Over: Do the role!"
    assert over["embeds"][0]["description"] == "Alone."


def test_times_show_in_each_readers_zone_and_tones_as_colours() -> None:
    shown = markdown(rich("ends ", Time(AT, TimeStyle.RELATIVE), " at ", Time(AT)))
    assert shown == f"ends <t:{int(AT.timestamp())}:R> at <t:{int(AT.timestamp())}:t>"
    cards = tuple(Card(title=rich(t.value), tone=t) for t in Tone)
    colours = [e.get("color") for e in payload(Message(cards=cards))["embeds"]]
    assert colours == [None if COLOURS[t] is None else COLOURS[t].value for t in Tone]  # type: ignore[union-attr]
    assert colours[list(Tone).index(Tone.NEUTRAL)] is None


def test_a_card_titled_by_a_link_is_an_embed_that_links_there() -> None:
    card = Card(title=(Link("https://arxiv.org/abs/1", "DiT"),), body=rich(Strong((Em(rich("new")),))))
    (embed,) = payload(Message(cards=(card,)))["embeds"]
    assert (embed["title"], embed["url"], embed["description"]) == (
        "DiT",
        "https://arxiv.org/abs/1",
        "***new***",
    )


OWN_WORDS = st.one_of(
    st.builds(Plain, st.text(max_size=30)),
    st.builds(Mention, st.integers(10**16, 10**19)),
    st.builds(ChannelRef, st.integers(10**16, 10**19)),
    st.builds(Link, st.text(min_size=1, max_size=30), st.none() | st.text(min_size=1, max_size=10)),
    st.builds(
        Time,
        st.datetimes(min_value=NAIVE_FROM, max_value=NAIVE_TO, timezones=st.just(UTC)),
        st.sampled_from(TimeStyle),
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    text=st.recursive(
        st.lists(OWN_WORDS, max_size=4).map(tuple),
        lambda inner: st.lists(
            st.one_of(OWN_WORDS, st.builds(Strong, inner), st.builds(Em, inner)), max_size=4
        ).map(tuple),
        max_leaves=10,
    )
)
def test_conductors_own_words_are_measured_as_discord_shows_them(text: tuple[object, ...]) -> None:
    """Builders keep whole lines within a limit by this length: it must be exact for Conductor's words."""
    assert shown_length(text) == len(markdown(text))  # type: ignore[arg-type]
