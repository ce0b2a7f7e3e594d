"""Hostile user text in every message kind: nothing a user typed becomes live, nothing exceeds Discord's limits.

Each message is built twice, from the same facts: once with harmless user text ("Max") and once with
hostile text, then rendered for Discord and fitted exactly as the outbox and interaction answers send it
(`stored_payload`, `fit_message`). What is live in the hostile message (links and mentions by target;
headings, quotes, lists, code and spoilers by count) must be no more than what is live in the harmless
one, and Discord's limits must hold (checked by the sandbox's validator, which answers as Discord does).
The Discord renderer is also driven directly, with hostile user text in every node of a message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.discord.answers import assignment as role_answers
from bot.adapters.discord.answers import roster as roster_render
from bot.adapters.discord.answers import submissions as sub_answers
from bot.adapters.discord.inert import (
    CONTENT_MAX,
    cut,
    fit_message,
    inert_code,
    inert_link,
    inert_text,
)
from bot.adapters.discord.render import markdown, payload, stored_payload
from bot.config import load_config
from bot.core.assignment import RoleSlot, solve
from bot.core.clocktime import parse_start
from bot.core.errors import ConductorError
from bot.core.message import (
    Card,
    Code,
    Em,
    Message,
    Rich,
    Strong,
    Tone,
    UserText,
    bold,
    rich,
)
from bot.core.message import Field as CardField
from bot.core.plan import Field, Role
from bot.core.projects import Group, OwnProposal, ProjectRules, ProjectState, Proposal
from bot.core.roster import Known, RosterView, parse_roster
from bot.core.steps import build_steps
from bot.core.submissions import check_form
from bot.core.timeline import Timeline
from bot.messages import assignment as cards
from bot.messages import projects
from bot.messages import session as sessions
from bot.messages import submissions as subs
from bot.services.assignments import ClassList, in_words, shown_name
from discord_sandbox.errors import ApiError
from discord_sandbox.validation import validate_message

from .liveness import census, live

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_config(ROOT / "config.toml")
AT = datetime(2024, 3, 12, 13, 0, tzinfo=UTC)
USER = 111111111111111111
ROLE_ID = 222222222222222222
FRAGMENTS = (
    ">",
    ">>> ",
    "](",
    "[Slides](https://evil.example/phish)",
    "#>[Slides](https://evil.example/phish)",
    "`",
    "```",
    "``` x ```",
    f"<@{USER}>",
    f"<@!{USER}>",
    f"<@&{ROLE_ID}>",
    f"<#{ROLE_ID}>",
    f"</session:{ROLE_ID}>",
    "<t:1710248400:R>",
    f"<:emo:{ROLE_ID}>",
    "<id:customize>",
    "@everyone",
    "@here",
    "||",
    "||secret||",
    "# ",
    "## ",
    "-# ",
    "- ",
    "* ",
    "1. ",
    "> ",
    "\n",
    "\r\n",
    "\n# Heading\n",
    "https://evil.example/x",
    "HTTPS://EVIL.EXAMPLE/y",
    "<https://evil.example>",
    "\\",
    "*",
    "**",
    "_",
    "~~",
    "\u202e",
    "\u200b",
    " ",
    "Max",
    "é",
)
HOSTILE = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12).map("".join),
    st.text(min_size=1, max_size=40),
    st.builds(
        lambda parts, n: ("".join(parts) * n)[:4000],
        st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6),
        st.integers(200, 4000),
    ),
    st.just(f"<@&{ROLE_ID}> Max"),
    st.just("https://slides.example.org/deck#>[Slides](https://evil.example/phish)"),
)
HARMLESS = "Max"


def timeline() -> Timeline:
    """The shipped afternoon: its steps include the presentation slots."""
    return Timeline(build_steps(COURSE, COURSE.plan("afternoon")), AT)


def slot_post(text: str) -> dict[str, Any]:
    """The presentation conductor's class-wide slot post, with a group's slides link."""
    tl = timeline()
    index = next(i for i, s in enumerate(tl.steps) if s.kind == "slot")
    step = tl.steps[index]
    return sessions.announce(
        step,
        "Present.",
        tl.windows()[index],
        audience=sessions.Audience(channel_id=1, label=""),
        late=timedelta(),
        missed=(),
        previous=None,
        next_step=(tl.steps[index + 1].name, tl.windows()[index + 1][0]),
        slot=sessions.SlotInfo(presenters=(USER, USER + 1), slides=text, next_name=tl.steps[index + 1].name),
    )


def phase_post(text: str) -> dict[str, Any]:
    """A phase post for a partner thread (the label and text are the configuration's)."""
    tl = timeline()
    return sessions.announce(
        tl.steps[0],
        tl.steps[0].name,
        tl.windows()[0],
        audience=sessions.Audience(channel_id=1, label="Gemini - group", user_ids=(USER,)),
        late=timedelta(minutes=3),
        missed=("Proposals",),
        previous="Welcome",
        next_step=(tl.steps[1].name, tl.windows()[1][0]),
    )


def role_card(text: str) -> dict[str, Any]:
    """A student's role card (configuration text and ids only)."""
    paper, role = COURSE.papers[0], COURSE.roles[0]
    info = cards.CardInfo(1, USER, paper, role, (USER + 1,), paper.teachers, (("Read", AT, AT),))
    return cards.card_post(info)


def table(text: str) -> dict[str, Any]:
    """The assignment table in the class channel, students shown by their display names."""
    ids = [str(USER + i) for i in range(24)]
    a = solve(ids, [p.key for p in COURSE.papers], [cards_slot(r) for r in COURSE.roles], seed=1)
    names = {int(u): f"{text} {i}" for i, u in enumerate(ids)}
    return cards.table_post(a, COURSE, names, USER)


def cards_slot(role: Role) -> RoleSlot:
    """A configured role as a solver slot."""
    return RoleSlot(role.key, role.min, role.max, role.name)


def notice(text: str) -> dict[str, Any]:
    """A partner notice in a group thread naming a student by their display name."""
    name = shown_name(ClassList({USER: text}), USER)
    said = rich(bold(name), " is absent today and no longer holds Reviewer.")
    return cards.change_post([USER + 1], said, USER)


def edit_answer(text: str) -> dict[str, Any]:
    """The instructor's answer to `/roles swap` (names of both students) and a reworded solver refusal."""
    roster = ClassList({USER: text, USER + 1: text})
    said = in_words(f"Cannot seat {USER} and {USER + 1} in dit", {"dit": "DiT"}, {}, roster.students)
    names = rich("Swapped ", bold(shown_name(roster, USER)), " and ", bold(shown_name(roster, USER + 1)))
    return {"content": markdown(rich(names, ". ", said))}


def confirmation(text: str) -> dict[str, Any]:
    """The group thread's slides confirmation, and the student's own answer."""
    body = stored_payload(subs.slides_confirmation(COURSE.papers[0], USER, text, replaced=True))
    answer = rich("Saved your group's slides link for ", bold("DiT"), ": ", UserText(text, link=True), ".")
    body["content"] += "\n" + markdown(answer)
    return body


def links(text: str) -> dict[str, Any]:
    """`/links`: every group's link."""
    lines = [
        subs.LinkLine(p, text if i % 2 == 0 else None, USER, AT, (USER, USER + 1))
        for i, p in enumerate(COURSE.papers)
    ]
    return {"content": "", "embeds": [sub_answers.links_embed(lines).to_dict()]}


def deliverables(text: str) -> dict[str, Any]:
    """`/deliverables` (ids and configuration only)."""
    lines = [subs.DeliverableLine(COURSE.papers[0], r, ((USER, AT),), (USER + 1,)) for r in COURSE.roles]
    return {"content": "", "embeds": [sub_answers.deliverables_embed(lines).to_dict()]}


def review(text: str) -> dict[str, Any]:
    """A reviewer's form shown in the partner thread, every answer the hostile text."""
    role = next(r for r in COURSE.roles if r.fields)
    values = {f.key: text for f in role.fields}
    return subs.deliverable_post(COURSE.papers[0], role, USER, values, AT, edited=True)


def form_refused(text: str) -> dict[str, Any]:
    """What to fix in a form that was not saved (a link field and a long text field)."""
    fields = (Field("link", "Link", kind="url"), Field("summary", "Summary", max_length=100, min_sentences=2))
    problems = check_form(fields, {"link": text, "summary": text}).problems
    return {"content": subs.form_problems(problems) if problems else "ok"}


def checkin(text: str) -> dict[str, Any]:
    """The check-in post."""
    return cards.checkin_post(1, USER)


def roster_list(text: str) -> dict[str, Any]:
    """`/roster list`: student ids, names and Discord names from the CSV."""
    known = tuple(Known(f"{text}{i}", text, text, USER + i) for i in range(3))
    away = tuple(Known(text, text, f"{text}{i}", None) for i in range(40))
    embed = roster_render.roster_embed(RosterView(known, away, (USER,)))
    return {"content": "", "embeds": [embed.to_dict()]}


def roster_refused(text: str) -> dict[str, Any]:
    """A refused CSV import: duplicate ids and Discord users echoed in the problems."""
    csv = "\n".join(f'"{v}","{v}","{v}"' for v in (text.replace('"', "'"),) * 2)
    problems = parse_roster("student id,name,discord\n" + csv).problems
    return {"content": "\n".join(f"- {p}" for p in problems) or "ok"}


def typed_time(text: str) -> dict[str, Any]:
    """A `/session start at:` the bot could not read, echoed back."""
    try:
        parse_start(text, AT, ZoneInfo("Europe/Copenhagen"))
    except ConductorError as error:
        return {"content": str(error)}
    return {"content": "ok"}


def status(text: str) -> dict[str, Any]:
    """`/roles status` (ids only)."""
    lines = [cards.StatusLine(USER + i, "seat", "dm", AT if i % 2 else None) for i in range(300)]
    return {"content": "", "embeds": [role_answers.status_embed(lines).to_dict()]}


def clock_posts(text: str) -> dict[str, Any]:
    """The run-of-show, a warning, a change notice, a post marked over and the end (configuration only)."""
    tl = timeline()
    audience = sessions.Audience(channel_id=1, label="")
    parts = [
        stored_payload(body)
        for body in (
            sessions.run_of_show("afternoon", tl, {}),
            sessions.warning(tl.steps[0], tl.windows()[0][1], timedelta(minutes=2), audience),
            sessions.change_notice("Paused", tl, tl.position(AT + timedelta(minutes=5))),
            sessions.mark_over(phase_post(text), AT),
            sessions.finished("Wrap-up", ("Break",), stopped=False),
        )
    ]
    return {
        "content": "\n".join(p["content"] or "" for p in parts),
        "embeds": [e for p in parts for e in p["embeds"]],
    }


def thread_prompts(text: str) -> dict[str, Any]:
    """The group thread's prompt, a slides reminder and a closed-DM fallback (ids and configuration)."""
    parts = [
        stored_payload(body)
        for body in (
            cards.slides_prompt(1, COURSE.papers[0]),
            subs.slides_reminder(1, COURSE.papers[0], (USER, USER + 1)),
            cards.fallback_post(1, USER, USER),
        )
    ]
    return {"content": "\n".join(p["content"] for p in parts), "embeds": []}


def project_posts(text: str) -> dict[str, Any]:
    """A group's room welcome and its own project filed, every name and title typed by students."""
    own = OwnProposal(text, text, reason=text)
    group = Group(1, text, "AAAAAA", (USER, USER + 1), None, own)
    state = ProjectState((Proposal("p1", "Proposal", ("Aasa",), "d"),), ProjectRules(), (group,))
    welcome = stored_payload(projects.room_welcome(state, group, "Mondays at 10:00"))
    line = projects.group_line(state, group)
    welcome["content"] += "\n" + markdown(rich(line, "\n>>> ", UserText(text, multiline=True, limit=1500)))
    return welcome


KINDS: dict[str, Callable[[str], dict[str, Any]]] = {
    "project posts": project_posts,
    "clock posts": clock_posts,
    "thread prompts": thread_prompts,
    "presentation slot": slot_post,
    "phase post": phase_post,
    "role card": role_card,
    "assignment table": table,
    "partner notice": notice,
    "roles answer": edit_answer,
    "slides confirmation": confirmation,
    "/links": links,
    "/deliverables": deliverables,
    "review in partner thread": review,
    "form refused": form_refused,
    "check-in": checkin,
    "/roster list": roster_list,
    "roster import refused": roster_refused,
    "typed time refused": typed_time,
    "/roles status": status,
}


def sent(body: dict[str, Any]) -> dict[str, Any]:
    """The body as it leaves for Discord: rendered (an outbox post) and fitted (posts and answers alike)."""
    shown = stored_payload(body)
    return fit_message({"content": shown.get("content"), "embeds": shown.get("embeds") or []})


def within_limits(body: dict[str, Any]) -> None:
    """Discord would accept it (the sandbox's validator answers as Discord does)."""
    try:
        validate_message({"content": body["content"] or "x", "embeds": body["embeds"]})
    except ApiError as error:  # pragma: no cover - the message says which limit
        raise AssertionError(f"Discord would refuse it: {error} {getattr(error, 'errors', '')}") from error


@pytest.mark.parametrize("kind", sorted(KINDS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=HOSTILE)
def test_no_user_text_becomes_live_and_every_message_fits(kind: str, text: str) -> None:
    build = KINDS[kind]
    harmless, hostile = sent(build(HARMLESS)), sent(build(text))
    within_limits(hostile)
    extra = census(hostile) - census(harmless)
    assert not extra, f"{kind}: user text became live: {dict(extra)}"


@settings(max_examples=200, deadline=None)
@given(text=HOSTILE, limit=st.integers(1, 300))
def test_inert_text_shows_nothing_live_at_any_length(text: str, limit: int) -> None:
    for multiline in (False, True):
        shown = inert_text(text, limit, multiline=multiline)
        assert len(shown) <= limit and live(shown) == []
        assert live(f"**{shown}** joins") == [] and live(f"# x\n{shown}")[1:] == []
    assert live(inert_link(text)) == [("code", inert_link(text)[1:-1])] or inert_link(text) == "—"
    assert "`" not in inert_code(text) and "\n" not in inert_code(text)


@settings(max_examples=200, deadline=None)
@given(text=HOSTILE, limit=st.integers(1, 2100))
def test_cutting_a_message_never_opens_what_it_closed(text: str, limit: int) -> None:
    message = f"slides: {inert_link(text)} by <@{USER}>\n```\n{inert_code(text)}\n```\n{inert_text(text)}"
    whole = {k for k, _ in live(message)} - {"mention"}
    shortened = cut(message, limit)
    assert len(shortened) <= limit
    assert {k for k, _ in live(shortened)} - {"mention", "code", "code block"} <= whole - {
        "code",
        "code block",
    }


def test_the_issue_link_is_shown_whole_and_inert_in_the_slot_post() -> None:
    link = "https://slides.example.org/deck#>[Slides](https://evil.example/phish)"
    body = sent(slot_post(link))
    assert f"slides: `{link}`" in body["content"]
    assert census(body) == census(sent(slot_post("https://slides.example.org/deck")))
    assert not any(kind == "link" for kind, _ in census(body))


def test_a_role_mention_in_a_name_is_shown_as_text_not_as_a_chip() -> None:
    name = f"<@&{ROLE_ID}> Max"
    shown = markdown(shown_name(ClassList({USER: name}), USER))
    assert live(shown) == [] and discord.utils.remove_markdown(shown.replace("\u200b", "")).endswith("Max")
    assert markdown(shown_name(ClassList({}), USER)) == f"<@{USER}>"  # unknown: the bot's own mention


def test_what_others_see_shows_markdown_as_typed() -> None:
    shown = inert_text("@everyone <@123> <@&55> **bold** [click](https://evil.example) `code`")
    assert "@everyone" not in shown and "<@123>" not in shown and "<@&55>" not in shown
    assert "**" not in shown and "](" not in shown and "\\*\\*bold\\*\\*" in shown
    assert inert_link("https://x.org/a>b c`d") == "`https://x.org/a>b%20c%60d`"


def test_a_message_over_every_limit_is_cut_not_refused() -> None:
    huge = "<@&1> " * 2000
    body = {
        "content": huge,
        "embeds": [
            {
                "title": huge,
                "description": huge,
                "fields": [{"name": huge, "value": huge}] * 30,
                "footer": {"text": huge},
            }
        ]
        * 12,
    }
    within_limits(fit_message(body))
    assert len(fit_message(body)["content"]) == CONTENT_MAX


def every_node(text: str) -> Message:
    """A message with `text`, typed by a user, in every place rich text can carry it."""
    typed = (
        UserText(text),
        UserText(text, multiline=True),
        UserText(text, limit=50),
        UserText(text, link=True),
        Code(text),
    )

    def mixed() -> Rich:
        return rich("Conductor's words ", *typed, Strong(typed), Em(typed), Strong((Em(typed),)), ".")

    card = Card(
        title=rich(*typed),
        body=mixed(),
        fields=(CardField(mixed(), mixed(), inline=True), CardField(rich(UserText(text)), mixed())),
        footer=mixed(),
        tone=Tone.CARD,
        preformatted=(text, f"| {text} |"),
    )
    return Message(text=mixed(), cards=(card, card), mentions=(USER,))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=HOSTILE)
def test_the_discord_renderer_shows_user_text_inert_in_every_node(text: str) -> None:
    harmless, hostile = (fit_message(payload(every_node(t))) for t in (HARMLESS, text))
    within_limits(hostile)
    extra = census(hostile) - census(harmless)
    assert not extra, f"user text became live: {dict(extra)}"
    assert hostile["mentions"] == [USER]  # only the message's own mentions may ping
