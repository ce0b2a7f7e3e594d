"""What members see of a message, and what in it is live (would ping, notify or link)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.web.async_client import AsyncWebClient

from slack_sandbox import LiveKind, SlackSandbox
from slack_sandbox.mrkdwn import Names, render

from .conftest import Klass

NAMES = Names(
    user=lambda uid: {"U1": "Alice"}.get(uid),
    channel=lambda cid: {"C1": "reading-group"}.get(cid),
    handle=lambda h: {"alice": "U1"}.get(h),
)


def escape(text: str) -> str:
    """Slack's three escapes: what the app must do to every user-typed text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_sequences_are_shown_as_a_reader_sees_them() -> None:
    shown = render(
        "<@U1> see <#C1>, <https://arxiv.org/abs/1|the paper> at <!date^1710249000^{time}|13:50> &amp; more",
        NAMES,
    )
    assert shown.text == "@Alice see #reading-group, the paper at 13:50 & more"
    assert [(p.kind, p.target) for p in shown.live] == [
        (LiveKind.MENTION, "U1"),
        (LiveKind.CHANNEL, "C1"),
        (LiveKind.LINK, "https://arxiv.org/abs/1"),
    ]
    assert shown.dates == [1710249000]


def test_broadcasts_and_bare_links_are_live_but_not_inside_code() -> None:
    shown = render("<!here> slides at https://evil.example/x or `https://in.code/x` mail a@b.dk", NAMES)
    assert [(p.kind, p.target) for p in shown.live] == [
        (LiveKind.BROADCAST, "here"),
        (LiveKind.LINK, "https://evil.example/x"),
        (LiveKind.LINK, "mailto:a@b.dk"),
    ]


def test_bare_at_names_notify_only_with_link_names() -> None:
    assert render("@here @alice", NAMES).live == []
    assert [p.target for p in render("@here @alice", NAMES, link_names=True).live] == ["here", "U1"]
    assert [p.target for p in render("@channel @alice", NAMES, bare_broadcasts=True).live] == ["channel"]


def test_plain_text_is_shown_as_sent_and_nothing_in_it_is_live() -> None:
    shown = render("<@U1> https://x.example", NAMES, plain=True)
    assert (shown.text, shown.live) == ("<@U1> https://x.example", [])


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_escaped_user_text_reads_back_unchanged_and_pings_nobody(typed: str) -> None:
    shown = render(escape(typed), NAMES)
    assert shown.text == typed
    assert all(p.kind is LiveKind.LINK for p in shown.live)  # only bare URLs: escaping does not stop those


async def test_a_post_carrying_unescaped_user_text_is_caught_by_the_live_check(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    typed = "<!channel> my slides: <https://evil.example|official slides>"
    await web.chat_postMessage(channel=klass.room.id, text=f"Slides from Bob: {typed}")
    await web.chat_postMessage(
        channel=klass.room.id, text=f"Slides from Bob: `{escape(typed)}`", unfurl_links=False
    )
    careless, careful = klass.alice.posts(klass.room)
    assert [p.kind for p in careless.live] == [LiveKind.BROADCAST, LiveKind.LINK]
    assert careless.unfurls == ("https://evil.example",)
    assert careful.live == () and careful.unfurls == ()
    assert careful.text == f"Slides from Bob: `{typed}`"


async def test_blocks_are_what_is_shown_and_text_only_the_notification(
    sb: SlackSandbox, web: AsyncWebClient, klass: Klass
) -> None:
    await web.chat_postMessage(
        channel=klass.room.id,
        text="Phase 2 started",
        blocks=[
            {"type": "header", "text": {"type": "plain_text", "text": "Do the role!"}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Ends <!date^1710250800^{time}|14:20>, <@" + klass.alice.id + ">",
                },
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "20 min"}]},
        ],
    )
    shown = klass.bob.posts(klass.room)[0]
    assert shown.text == "Do the role!\nEnds 14:20, @Alice\n20 min"
    assert shown.dates == (1710250800,) and [p.target for p in shown.of(LiveKind.MENTION)] == [klass.alice.id]
