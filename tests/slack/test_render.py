"""What students and teachers see in Slack for a Conductor message: the words, the pings, the buttons.

Hostile text typed by users (names, form answers, links) goes into every kind of node; the post never
carries a live mention, broadcast, channel or link made from it, and never breaks one of Slack's limits.
"""

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack import limits
from bot.adapters.slack.actions import View, read_action
from bot.adapters.slack.ids import to_int
from bot.adapters.slack.render import Options, Rendered, render
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
    UserText,
    bold,
    lines,
    rich,
)

NOW = datetime(2024, 3, 12, 12, 45, tzinfo=UTC)  # 13:45 in Copenhagen
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
ANNA = to_int("U01ANNA0001")
BEN = to_int("U01BEN00002")
CLASS = to_int("C0READING01")
OPTIONS = Options(now=NOW, zone=COPENHAGEN)


def mrkdwn_texts(post: Rendered) -> list[str]:
    """Every text Slack parses as mrkdwn in the post (the fallback, sections, fields, context)."""
    out = [post.text]
    for block in post.blocks:
        if "text" in block and block["text"]["type"] == "mrkdwn":
            out.append(block["text"]["text"])
        out.extend(f["text"] for f in block.get("fields", []))
        out.extend(e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn")
    return out


# --- ordinary posts read right ------------------------------------------------------------------------


def test_a_phase_post_with_a_local_time_and_a_countdown_in_words() -> None:
    message = Message(
        text=lines(
            rich(bold("Do the role"), " starts now: 30 min, until ", Time(NOW + timedelta(minutes=30))),
            rich(
                "Next: **Discuss with your role-partner** ",
                Time(NOW + timedelta(minutes=30), TimeStyle.RELATIVE),
            ),
        )
    )
    post = render(message, OPTIONS)
    (section,) = post.blocks
    assert section["text"]["text"] == (
        "*Do the role* starts now: 30 min, until <!date^1710249300^{time}|14:15 CET>\n"
        "Next: *Discuss with your role-partner* in 30 min"
    )
    assert section["text"]["verbatim"] is True
    assert post.text == section["text"]["text"]  # the notification says the same
    assert post.unfurl_links is True and post.cuts == ()


def test_time_styles_and_their_fallback_in_utc_by_default() -> None:
    at = datetime(2024, 3, 12, 12, 50, 5, tzinfo=UTC)
    shown = {style: render(Message(text=(Time(at, style),)), Options(now=at)).text for style in TimeStyle}
    assert shown[TimeStyle.SHORT_TIME] == "<!date^1710247805^{time}|12:50 UTC>"
    assert shown[TimeStyle.LONG_TIME] == "<!date^1710247805^{time_secs}|12:50:05 UTC>"
    assert shown[TimeStyle.SHORT_DATE] == "<!date^1710247805^{date_num}|2024-03-12 UTC>"
    assert shown[TimeStyle.LONG_DATE] == "<!date^1710247805^{date}|12 March 2024 UTC>"
    assert shown[TimeStyle.SHORT_DATETIME] == "<!date^1710247805^{date} {time}|12 March 2024 12:50 UTC>"
    assert shown[TimeStyle.LONG_DATETIME] == (
        "<!date^1710247805^{date_long} {time}|Tuesday, 12 March 2024 12:50 UTC>"
    )
    # The same words for every reader (Slack has no countdown that updates itself: the post is refreshed).
    assert shown[TimeStyle.RELATIVE] == "now"
    late = render(Message(text=(Time(at, TimeStyle.RELATIVE),)), Options(now=at + timedelta(seconds=200)))
    assert late.text == "3 min 20 s ago"


def test_a_role_card_dm_with_its_buttons() -> None:
    session = 7
    message = Message(
        text=rich("Your role for today's reading group: **Scientific Peer Reviewer** on **Gemini**."),
        cards=(
            Card(
                title=rich("Scientific Peer Reviewer"),
                body=rich("Write a full review: summary, strengths, weaknesses, a rating."),
                fields=(
                    Field(
                        rich("Paper"), rich(UserText("Gemini: a family of multimodal models")), inline=True
                    ),
                    Field(rich("Partner"), rich(Mention(BEN)), inline=True),
                    Field(rich("Responsible teacher(s)"), rich("Aasa")),
                ),
                footer=rich("Press Got it so your teacher knows you have your role."),
            ),
        ),
        actions=Actions(
            "role-card", {"session": session, "form": "Fill in my Scientific Peer Reviewer form"}
        ),
    )
    post = render(message, Options(now=NOW, names={BEN: "Ben"}))
    kinds = [b["type"] for b in post.blocks]
    assert kinds == ["section", "header", "section", "section", "section", "context", "actions"]
    assert post.blocks[0]["text"]["text"].startswith(
        "Your role for today's reading group: *Scientific Peer Reviewer* on *Gemini*."
    )
    assert post.blocks[1]["text"] == {"type": "plain_text", "text": "Scientific Peer Reviewer", "emoji": True}
    assert [f["text"] for f in post.blocks[3]["fields"]] == [
        "*Paper*\nGemini: a family of multimodal models",
        "*Partner*\n@Ben",  # shown by name: this message does not ping Ben
    ]
    assert post.blocks[4]["text"]["text"] == "*Responsible teacher(s)*\nAasa"
    assert post.pinged == ()
    got_it, form = post.blocks[-1]["elements"]
    assert (got_it["text"]["text"], got_it["style"], got_it["action_id"]) == (
        "Got it",
        "primary",
        "conductor:role-card:ack",
    )
    assert json.loads(got_it["value"]) == {"session": session}
    assert form["text"]["text"] == "Fill in my Scientific Peer Reviewer form"
    pressed = read_action(form)
    assert pressed is not None and pressed.view is View.ROLE_CARD and pressed.args == {"session": session}


def test_pinged_people_are_mentioned_live_and_others_by_name() -> None:
    message = Message(
        text=rich(Mention(ANNA), " I could not DM you your role card. Your partner is ", Mention(BEN), "."),
        mentions=(ANNA,),
    )
    post = render(message, Options(now=NOW, names={ANNA: "Anna", BEN: "Ben <@U0X>"}))
    assert post.text == (
        "<@U01ANNA0001> I could not DM you your role card. Your partner is @Ben &lt;@U0X&gt;."
    )
    assert post.pinged == ("U01ANNA0001",)
    # Slack has no silent mention: without a name, a person is shown live, and the post says so.
    unnamed = render(message, OPTIONS)
    assert unnamed.pinged == ("U01ANNA0001", "U01BEN00002") and unnamed.unnamed == ("U01BEN00002",)
    # Only the reader sees an ephemeral answer: nobody is notified, so everyone is shown live.
    quiet = render(message, Options(now=NOW, names={BEN: "Ben"}, ephemeral=True))
    assert "<@U01BEN00002>" in quiet.text and quiet.pinged == ("U01ANNA0001", "U01BEN00002")
    assert quiet.unnamed == ()


def test_a_group_ping_uses_the_workspace_user_group_or_says_the_name() -> None:
    message = Message(text=rich("Slides are due in 10 min."), ping_group="Students")
    with_group = render(message, Options(now=NOW, groups={"Students": "S0STUDENTS"}))
    assert with_group.blocks[0]["text"]["text"] == "<!subteam^S0STUDENTS> Slides are due in 10 min."
    without = render(message, OPTIONS)
    assert without.blocks[0]["text"]["text"] == "*Students:* Slides are due in 10 min."


def test_conductors_links_channels_and_code_are_live_and_config_emphasis_is_slacks() -> None:
    message = Message(
        text=rich(
            "Projector page: ",
            Link("https://conductor.example/p/abc?x=1&y=2", "open it"),
            " · Posting to ",
            ChannelRef(CLASS),
            ". Steer with `/session pause`; *italics* and ~~old~~ and [the **paper**](https://arxiv.org/abs/2312.11805?v=2&x=__y__)",
            Em(rich("quietly")),
            " ",
            Code("a`b"),
        )
    )
    post = render(message, Options(now=NOW, command_prefix="cd-", commands=frozenset({"session"})))
    assert post.text == (
        "Projector page: <https://conductor.example/p/abc?x=1&amp;y=2|open it> · Posting to <#C0READING01>. "
        "Steer with `/cd-session pause`; _italics_ and ~old~ and <https://arxiv.org/abs/2312.11805?v=2&amp;x=__y__|the paper>"
        "_quietly_ `aˋb`"
    )
    assert post.unfurl_links is False  # a post with a link goes without a preview


def test_a_table_is_a_code_block_and_user_text_in_it_stays_text() -> None:
    card = Card(
        title=rich("Assignment"),
        preformatted=("Paper    Role      Student", "Gemini   Reviewer  <@U01ANNA0001> ```"),
    )
    post = render(Message(cards=(card,)), OPTIONS)
    assert post.blocks[1]["text"]["text"] == (
        "```\nPaper    Role      Student\nGemini   Reviewer  &lt;@U01ANNA0001&gt; ˋˋˋ\n```"
    )
    assert post.text == "Assignment"  # a message of cards notifies with their titles


def test_a_title_with_a_time_is_a_bold_line_not_a_header() -> None:
    card = Card(title=rich("Presentations from ", Time(NOW)))
    post = render(Message(cards=(card,)), OPTIONS)
    assert post.blocks == (
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Presentations from <!date^1710247500^{time}|13:45 CET>*",
                "verbatim": True,
            },
        },
    )


def test_user_links_are_shown_in_code_and_never_previewed() -> None:
    post = render(
        Message(
            text=rich(
                "Slides from ", UserText("Anna"), ": ", UserText("https://docs.google.com/presentation/d/x")
            )
        ),
        OPTIONS,
    )
    assert post.text == "Slides from Anna: `https://docs.google.com/presentation/d/x`"
    assert post.unfurl_links is False
    assert post.post_args()["unfurl_links"] is False and post.post_args()["unfurl_media"] is False


def test_user_text_formats_nothing_but_reads_the_same() -> None:
    typed = "*Team* _Rocket_ ~x~ `rm` > not a quote @here snake_case_name evil.example a&b"
    post = render(Message(text=(UserText(typed, multiline=True),)), OPTIONS)
    assert post.text.replace("\u200b", "") == (
        "*Team* _Rocket_ ~x~ ˋrmˋ &gt; not a quote @here snake_case_name `evil.example` a&amp;b"
    )
    assert "snake_case_name" in post.text  # no invisible characters inside words
    quoted = render(Message(text=(UserText("first\n> second", multiline=True),)), OPTIONS)
    assert quoted.text == "first\n\u200b&gt; second"


def test_strong_around_several_lines_is_bold_on_each() -> None:
    post = render(Message(text=(Strong(rich("one\n", "two ")), Plain("after"))), OPTIONS)
    assert post.text == "*one*\n*two* after"


# --- limits -------------------------------------------------------------------------------------------


def test_a_long_body_is_split_into_sections_and_an_overlong_line_is_cut_and_said() -> None:
    body = lines(*(rich(f"Line {i}: " + "x" * 90) for i in range(100)), rich("y" * 5000))
    post = render(Message(cards=(Card(body=body),)), OPTIONS)
    texts = [b["text"]["text"] for b in post.blocks]
    assert all(len(t) <= limits.SECTION_TEXT_MAX for t in texts)
    assert texts[0].startswith("Line 0:") and "Line 99:" in texts[-2]
    assert texts[-1].endswith("…")
    assert post.cuts == ("a card: a line cut to 3000 characters",)


def test_more_than_fifty_blocks_keeps_the_buttons_and_says_what_was_left_out() -> None:
    cards = tuple(Card(title=rich(f"Paper {i}"), body=rich("About it.")) for i in range(40))
    post = render(Message(cards=cards, actions=Actions("checkin", {"session": 1})), OPTIONS)
    assert len(post.blocks) == limits.BLOCKS_MAX
    assert post.blocks[-1]["type"] == "actions"
    note = post.blocks[-2]
    assert note["type"] == "context" and "did not fit in Slack" in note["elements"][0]["text"]
    assert any("blocks left out" in c for c in post.cuts)


def test_unknown_buttons_are_left_out_and_said() -> None:
    post = render(Message(text=rich("Hi"), actions=Actions("no-such-view", {})), OPTIONS)
    assert [b["type"] for b in post.blocks] == ["section"]
    assert post.cuts == ("no Slack buttons for 'no-such-view': left out",)


# --- hostile user text everywhere ---------------------------------------------------------------------

HOSTILE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "<@U0EVIL>",
            "<!here>",
            "<!channel|x>",
            "<!everyone>",
            "<#C0EVIL>",
            "<https://evil.example|click>",
            "<mailto:a@b.example>",
            "<!date^1^{time}|x>",
            "<!subteam^S1>",
            "@here @channel",
            "&lt;@U1&gt;",
            "*bold*",
            "_it_",
            "~s~",
            "`code`",
            "```block```",
            "> quote",
            "\n> quote",
            "http://evil.example/login",
            "www.evil.example",
            "someone@evil.example",
            "\u202etxet",
            "\x00\x1b",
            "|>",
            "x" * 3500,
        ]
    ),
)
USER = st.lists(HOSTILE, min_size=1, max_size=4).map("".join)
NODE = st.deferred(
    lambda: st.one_of(
        USER.map(UserText),
        st.builds(UserText, USER, st.booleans()),
        USER.map(Code),
        st.just(Plain("Conductor says ")),
        st.just(Mention(ANNA)),
        st.just(ChannelRef(CLASS)),
        st.just(Time(NOW, TimeStyle.RELATIVE)),
        st.just(Link("https://conductor.example/p/tok", "projector")),
        st.lists(NODE, max_size=3).map(lambda n: Strong(tuple(n))),
        st.lists(NODE, max_size=3).map(lambda n: Em(tuple(n))),
    )
)
RICH = st.lists(NODE, max_size=5).map(tuple)
FIELD = st.builds(Field, RICH, RICH, st.booleans())
CARD = st.builds(
    Card,
    title=RICH,
    body=RICH,
    fields=st.lists(FIELD, max_size=12).map(tuple),
    footer=RICH,
    preformatted=st.lists(USER, max_size=5).map(tuple),
)
ACTIONS = st.one_of(
    st.none(),
    st.builds(
        Actions, st.just("role-card"), st.fixed_dictionaries({"session": st.integers(1, 10**9), "form": USER})
    ),
    st.builds(
        Actions,
        st.just("project-cards"),
        st.fixed_dictionaries(
            {"keys": st.lists(st.from_regex(r"\A[a-z0-9-]{1,32}\Z"), max_size=120), "groups": st.booleans()}
        ),
    ),
    st.builds(
        Actions,
        st.just("assign-preview"),
        st.fixed_dictionaries({"session": st.integers(1, 10**9), "seed": st.integers(0, 2**63)}),
    ),
)
MESSAGE = st.builds(
    Message,
    text=RICH,
    cards=st.lists(CARD, max_size=4).map(tuple),
    mentions=st.sampled_from([(), (ANNA,)]),
    ping_group=st.one_of(st.none(), USER),
    actions=ACTIONS,
)

# The only `<…>` tokens allowed: the ones Conductor's own nodes above make.
ALLOWED_TOKEN = re.compile(
    r"<@U01ANNA0001>|<#C0READING01>|<https://conductor\.example/p/tok\|projector>"
    r"|<!date\^1710247500\^\{date_short_pretty\} at \{time\}\|12 Mar 2024 at 13:45 CET>"
)


def within_limits(post: Rendered) -> None:
    assert len(post.text) <= limits.FALLBACK_TEXT_MAX
    assert len(post.blocks) <= limits.BLOCKS_MAX
    for block in post.blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= limits.HEADER_TEXT_MAX
        if block["type"] in ("section", "context") and "text" in block:
            assert len(block["text"]["text"]) <= limits.SECTION_TEXT_MAX
        assert len(block.get("fields", [])) <= limits.FIELDS_MAX
        assert all(len(f["text"]) <= limits.FIELD_TEXT_MAX for f in block.get("fields", []))
        for e in block.get("elements", []):
            if e["type"] == "mrkdwn":
                assert len(e["text"]) <= limits.SECTION_TEXT_MAX
            if e["type"] == "button":
                assert len(e["text"]["text"]) <= limits.BUTTON_TEXT_MAX
                assert len(e["value"]) <= limits.VALUE_MAX
            if "action_id" in e:
                assert len(e["action_id"]) <= limits.ACTION_ID_MAX
            for o in e.get("options", []):
                assert len(o["text"]["text"]) <= limits.OPTION_TEXT_MAX
                assert len(o["value"]) <= limits.OPTION_VALUE_MAX
            assert len(e.get("options", [])) <= limits.OPTIONS_MAX


@settings(max_examples=100, deadline=None)
@given(MESSAGE, st.dictionaries(st.sampled_from([BEN]), USER))
def test_hostile_user_text_never_becomes_live_and_no_limit_is_broken(
    message: Message, names: dict[int, str]
) -> None:
    post = render(message, Options(now=NOW, zone=COPENHAGEN, names=names))
    within_limits(post)
    for text in mrkdwn_texts(post):
        tokens = re.findall(r"<[^<>]*>", text)
        assert all(ALLOWED_TOKEN.fullmatch(t) for t in tokens), tokens
        bare = re.sub(r"<[^<>]*>", "", text)
        assert "<" not in bare and ">" not in bare, text
        # Nothing a user typed is left where Slack would auto-link it (links sit in code spans).
        outside_code = re.sub(r"```.*?```|`[^`]*`", "", bare, flags=re.S)
        assert not re.search(r"(?i)https?://|www\.", outside_code), text
    for block in post.blocks:
        for e in block.get("elements", []):
            assert read_action(e) is not None if "action_id" in e else True


@given(USER)
def test_hostile_user_text_reads_as_typed(typed: str) -> None:
    post = render(Message(text=(Plain("Typed: "), UserText(typed))), OPTIONS)
    shown = (
        post.text.removeprefix("Typed:")
        .replace("\u200b", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )
    # Every letter and digit the user typed is there, in order (links in code spans, markers kept).
    typed_words = re.sub(r"[^A-Za-z0-9]", "", typed.replace("`", ""))
    if len(typed) < 400:  # longer pieces may be cut links
        assert re.sub(r"[^A-Za-z0-9]", "", shown) == typed_words


def test_action_values_round_trip() -> None:
    message = Message(actions=Actions("assign-preview", {"session": 12, "seed": 987654321}))
    elements: list[dict[str, Any]] = render(message, OPTIONS).blocks[-1]["elements"]
    assert [e["text"]["text"] for e in elements] == ["Confirm", "Reshuffle", "Cancel"]
    assert [e.get("style") for e in elements] == ["primary", None, "danger"]
    for e in elements:
        pressed = read_action(e)
        assert pressed is not None and pressed.args == {"session": 12, "seed": 987654321}
    assert read_action({"action_id": "conductor:checkin:confirm", "value": "{}"}) is None  # wrong verb
    assert read_action({"action_id": "other:checkin:here", "value": "{}"}) is None
    assert read_action({"action_id": "conductor:checkin:here", "value": "not json"}) is None


def test_project_cards_offer_menus_with_the_proposal_titles() -> None:
    message = Message(actions=Actions("project-cards", {"keys": ["dit", "gemini"], "groups": True}))
    post = render(message, OPTIONS, labels={"dit": "Diffusion Transformers"})
    choose, interest, create, join = post.blocks[-1]["elements"]
    assert choose["type"] == "static_select"
    assert [o["text"]["text"] for o in choose["options"]] == ["Diffusion Transformers", "gemini"]
    picked = read_action({"action_id": choose["action_id"], "selected_option": choose["options"][1]})
    assert picked is not None and picked.verb == "choose" and picked.args == {"proposal": "gemini"}
    assert interest["placeholder"]["text"] == "I'm interested in..."
    assert (create["text"]["text"], join["text"]["text"]) == ("Create a group", "Join with a code")
