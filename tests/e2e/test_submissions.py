"""Collecting the work in a class of 20: slides links per group, the review form, /links, /deliverables, export."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main as cli_main
from bot.core.export import parse_students
from bot.storage.models import AssignmentRow, Submission
from discord_sandbox import InteractionResult, Member, Message, Sandbox, SandboxLimits
from tests.conftest import BOTH_DATABASES

from .conftest import Classroom, open_class, write_config
from .test_assign import confirm, seats

pytestmark = pytest.mark.e2e

# The shipped course, with a short plan whose second phase collects the slides.
COLLECT = """
[plans.collect]
phases = ["assign", "finalize", "break-2"]
"""

GOOD_SUMMARY = (
    "The paper replaces the U-Net backbone of diffusion models with a transformer. "
    "It operates on latent patches. "
    "Scaling the transformer improves sample quality consistently. "
    "The largest model sets a new state of the art on class-conditional ImageNet. "
    "The results suggest that architecture choices from language models transfer to image generation."
)
STRENGTHS = (
    "Clear scaling study across model sizes and patch sizes, with compute measured in Gflops; "
    "the experiments are thorough. @everyone <@123> **look** [click](https://evil.example)"
)
WEAKNESSES = (
    "Only class-conditional ImageNet is evaluated, so it is not clear the findings hold for text-to-image "
    "generation, and the compute cost is very high."
)
JUSTIFICATION = "Strong, well-validated results with a simple and general idea."


@pytest.fixture
def limits() -> SandboxLimits:
    """Discord's limits, with the DM-opening window shortened so 20 role cards go out quickly."""
    return SandboxLimits(dm_open_window=1.0)


@pytest.fixture
async def room(sandbox: Sandbox, tmp_path: Path, db_url: str) -> AsyncIterator[Classroom]:
    """20 students (one paper group of five per paper) in the shipped course, plan `collect`."""
    config = write_config(tmp_path, COLLECT, **{"warning_seconds = [120]": "warning_seconds = [1]"})
    room = await open_class(sandbox, tmp_path, config, students=20, database_url=db_url)
    try:
        yield room
    finally:
        await room.stop_bot()


async def assigned(room: Classroom) -> dict[int, tuple[str, str]]:
    """The instructor starts the session, assigns and confirms; returns each student's (paper, role)."""
    await room.run(room.instructor, "session start", plan="collect")
    await confirm(room, await room.run(room.instructor, "assign"))
    return await seats(room)


def group_of(room: Classroom, placed: dict[int, tuple[str, str]], paper: str) -> list[Member]:
    """The students of a paper group."""
    return [s for s in room.students if placed[s.id][0] == paper]


def thread(room: Classroom, name: str) -> list[Message]:
    """What the bot posted in a thread."""
    return room.posts(room.guild.thread_named(name))


async def stored(room: Classroom, kind: str = "slides") -> list[Submission]:
    assert room.bot is not None
    async with room.bot.db.session() as s:
        return list(
            await s.scalars(select(Submission).where(Submission.kind == kind).order_by(Submission.id))
        )


def pinged_nobody(message: Message) -> bool:
    """The message was sent with every kind of ping disabled."""
    allowed = message.allowed_mentions or {}
    return allowed.get("parse", []) == [] and not allowed.get("users") and not allowed.get("roles")


GROUPS = (
    "Diffusion Transformers - group",
    "Gemini - group",
    "ControlNet - group",
    "Universal Guided Diffusion - group",
)


@BOTH_DATABASES
async def test_a_group_submits_resubmits_and_another_group_cannot_overwrite(room: Classroom) -> None:
    placed = await assigned(room)
    dit = group_of(room, placed, "dit")
    gemini = group_of(room, placed, "gemini")

    await room.run(room.instructor, "session next")  # Finalize slides: posted in every group thread
    finalize = await room.sandbox.wait_for(
        lambda: [m for m in thread(room, "Diffusion Transformers - group") if "Finalize slides" in m.text],
        what="the finalize post in the group thread",
    )
    assert [label for label, _ in finalize[-1].buttons] == ["Submit slides"]

    opened = await room.sandbox.click(dit[0], finalize[-1], finalize[-1].buttons[0][1])
    sent = await room.sandbox.submit_modal(
        dit[0], opened, {"url": "  HTTPS://Docs.Google.com/presentation/d/AbC  "}
    )
    await sent.wait_followup()
    assert sent.ephemeral and "Saved your group's slides link" in sent.text
    assert "`https://docs.google.com/presentation/d/AbC`" in sent.text

    def confirmations() -> list[Message]:
        return [
            m
            for m in thread(room, "Diffusion Transformers - group")
            if "slides" in m.content and "<@" in m.content and "Reminder:" not in m.content
        ]

    await room.sandbox.wait_for(lambda: len(confirmations()) == 1, what="one confirmation in the thread")
    first = confirmations()[0]
    assert (
        f"<@{dit[0].id}>" in first.content and "`https://docs.google.com/presentation/d/AbC`" in first.content
    )
    assert pinged_nobody(first)

    again = await room.run(dit[1], "submit slides", url="https://slides.example.org/dit-v2")
    assert "Replaced your group's slides link" in again.text
    await room.sandbox.wait_for(lambda: len(confirmations()) == 2, what="a second confirmation")
    assert "`https://slides.example.org/dit-v2`" in confirmations()[1].content

    other = await room.run(gemini[0], "submit slides", url="https://slides.example.org/gemini")
    assert "Gemini" in other.text
    rows = await stored(room)
    current = {r.group_key: (r.payload["url"], r.user_id) for r in rows if r.current}
    assert current == {
        "dit": ("https://slides.example.org/dit-v2", dit[1].id),
        "gemini": ("https://slides.example.org/gemini", gemini[0].id),
    }
    assert [r.payload["url"] for r in rows if r.group_key == "dit"] == [
        "https://docs.google.com/presentation/d/AbC",
        "https://slides.example.org/dit-v2",
    ]  # history kept
    assert len(confirmations()) == 2  # the Gemini group's link said nothing in the DiT thread

    links = await room.run(room.instructor, "links")
    embed = links.messages[-1].embeds[0]
    assert embed["title"] == "Slides: 2 of 4 groups submitted"
    assert embed["description"] == "Missing: **ControlNet**, **Universal Guided Diffusion**"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert f"by <@{dit[1].id}> <t:" in fields["Diffusion Transformers"]
    for s in group_of(room, placed, "controlnet"):
        assert f"<@{s.id}>" in fields["ControlNet"]
    assert "no slides submitted" in fields["Universal Guided Diffusion"]

    # The finalize phase's start reminded every group (none had slides yet); the reminder at its
    # warning (called here directly) goes only to the groups still missing a link.
    assert room.bot is not None
    session_id = rows[0].session_id

    def reminders(name: str) -> list[Message]:
        return [m for m in thread(room, name) if "Reminder:" in m.content]

    before = {name: len(reminders(name)) for name in GROUPS}
    assert all(count == 1 for count in before.values())
    await room.bot.submissions.remind_missing_slides(session_id, room.bot.clock.now())

    await room.sandbox.wait_for(lambda: len(reminders("ControlNet - group")) == 2, what="a second reminder")
    ping = reminders("ControlNet - group")[-1]
    assert {int(u) for u in ping.allowed_mentions["users"]} == {
        s.id for s in group_of(room, placed, "controlnet")
    }
    assert [label for label, _ in ping.buttons] == ["Submit slides"]
    assert len(reminders("Universal Guided Diffusion - group")) == 2
    assert len(reminders("Diffusion Transformers - group")) == 1 and len(reminders("Gemini - group")) == 1


async def test_bad_links_and_wrong_people_are_refused_and_nothing_is_stored(room: Classroom) -> None:
    no_session = await room.run(room.students[0], "submit slides", url="https://slides.example.org/x")
    assert "No session is running" in no_session.text
    placed = await assigned(room)
    student = room.students[0]
    paper = room.course.paper(placed[student.id][0]).title
    before = len(thread(room, f"{paper} - group"))
    refusals = {
        "docs.google.com/presentation/d/x": "starting with `https://`",
        "ftp://files.example.org/slides.pdf": "Only web links",
        "javascript:alert(document.cookie)": "`javascript:` links are not accepted",
        "data:text/html;base64,PHNjcmlwdD4=": "`data:` links are not accepted",
        "https://": "no website",
        "https:///just/a/path": "no website",
        "https://slides.example.org/" + "x" * 600: "Discord allows at most 512",
        "https://slides.example.org/a b": "cannot contain spaces",
    }
    for url, why in refusals.items():
        it = await room.run(student, "submit slides", url=url)
        assert it.ephemeral and why in it.text, (url, it.text)
    stranger = room.guild.add_member("Visitor", username="visitor")
    nobody = await room.run(stranger, "submit slides", url="https://slides.example.org/v")
    assert "You have no group in this session" in nobody.text
    assert await stored(room) == []
    assert len(thread(room, f"{paper} - group")) == before

    # The group thread opens with the Submit slides button; a form opened before the session ends is
    # refused in words when sent after it, and anything unexpected gets the apology with a reference.
    prompt = thread(room, f"{paper} - group")[0]
    assert "submit the link here" in prompt.content and prompt.buttons[0][0] == "Submit slides"
    opened = await room.sandbox.click(student, prompt, prompt.buttons[0][1])
    assert room.bot is not None
    service = room.bot.submissions

    async def broken(**_: object) -> str:
        raise RuntimeError("database on fire")

    service.submit_slides = broken  # type: ignore[method-assign]
    try:
        crashed = await room.sandbox.submit_modal(student, opened, {"url": "https://slides.example.org/x"})
        await crashed.wait_followup()
    finally:
        del service.submit_slides
    assert crashed.ephemeral and f"reference {crashed.id}" in crashed.text and "fire" not in crashed.text

    reopened = await room.sandbox.click(student, prompt, prompt.buttons[0][1])
    await room.run(room.instructor, "session stop")
    closed = await room.run(student, "submit slides", url="https://slides.example.org/late")
    assert "submissions are closed" in closed.text
    late = await room.sandbox.submit_modal(student, reopened, {"url": "https://slides.example.org/late"})
    await late.wait_followup()
    assert late.ephemeral and "submissions are closed" in late.text
    assert await stored(room) == []


def modal_fields(it: InteractionResult) -> dict[str, dict]:
    """The inputs of the modal the bot opened, by custom id (labels unwrapped)."""
    assert it.modal is not None
    out = {}
    for c in it.modal["components"]:
        inner = c.get("component") or c["components"][0]
        out[inner["custom_id"]] = {**inner, "label": c.get("label") or inner.get("label")}
    return out


async def test_a_reviewer_files_and_edits_a_review_and_the_export_matches(
    room: Classroom, tmp_path: Path
) -> None:
    placed = await assigned(room)
    reviewer = next(s for s in room.students if placed[s.id] == ("dit", "reviewer"))
    partners_thread = "Diffusion Transformers - Reviewers"

    card = next(m for m in room.sandbox.dms(reviewer) if m.buttons)
    form_button = "Fill in my Scientific Peer Reviewer form"
    assert [label for label, _ in card.buttons] == ["Got it", form_button]
    opened = await room.sandbox.click(reviewer, card, card.buttons[1][1])  # the same form as /review
    inputs = modal_fields(opened)
    assert list(inputs) == ["summary", "strengths", "weaknesses", "rating", "justification"]
    assert [o["label"] for o in inputs["rating"]["options"]] == [
        "Accept",
        "Weak Accept",
        "Borderline",
        "Weak Reject",
        "Reject",
    ]
    typed = {
        "summary": "The paper swaps the U-Net of latent diffusion for a transformer over latent patches, "
        "and it studies how quality scales with compute across many model sizes. It works well. "
        "That is the whole summary, in three sentences where the form asks for five to seven.",
        "strengths": STRENGTHS,
        "weaknesses": WEAKNESSES,
        "rating": ["Weak Accept"],
        "justification": JUSTIFICATION,
    }
    refused = await room.sandbox.submit_modal(reviewer, opened, typed)
    await refused.wait_followup()
    assert "Not saved yet" in refused.text and "3 sentence(s); the guidance is 5-7 sentences" in refused.text
    assert await stored(room, "deliverable") == []
    fix = refused.messages[-1]
    reopened = await room.sandbox.click(reviewer, fix, fix.buttons[0][1])
    assert modal_fields(reopened)["summary"]["value"] == typed["summary"]  # what they typed, not lost
    assert any(o.get("default") for o in modal_fields(reopened)["rating"]["options"])

    filed = await room.sandbox.submit_modal(reviewer, reopened, {**typed, "summary": GOOD_SUMMARY})
    await filed.wait_followup()
    assert "Submitted your Scientific Peer Reviewer form" in filed.text

    def reviews() -> list[Message]:
        return [
            m for m in thread(room, partners_thread) if m.embeds and "form" in m.embeds[0].get("title", "")
        ]

    await room.sandbox.wait_for(reviews, what="the review in the pair thread")
    posted = reviews()[0]
    assert pinged_nobody(posted)
    shown = posted.text
    assert "Weak Accept" in shown and "scaling study" in shown
    assert "@everyone" not in shown and "<@123>" not in shown and "**look**" not in shown
    assert "](https://evil" not in shown

    edit = await room.run(reviewer, "review")
    assert modal_fields(edit)["summary"]["value"] == GOOD_SUMMARY  # the draft comes back
    edited = await room.sandbox.submit_modal(reviewer, edit, {"rating": ["Accept"]})
    await edited.wait_followup()
    assert "Updated" in edited.text
    await room.sandbox.wait_for(lambda: "(edited)" in reviews()[0].text, what="the review edited in place")
    assert len(reviews()) == 1 and "Accept" in reviews()[0].text
    rows = await stored(room, "deliverable")
    assert [r.current for r in rows] == [False, True] and rows[1].payload["fields"]["rating"] == "Accept"
    assert rows[1].payload["fields"]["strengths"] == STRENGTHS  # stored as typed

    spotlight = next(s for s in room.students if placed[s.id][1] == "spotlight")
    assert "no form to fill in" in (await room.run(spotlight, "deliverable")).text
    spotlight_card = next(m for m in room.sandbox.dms(spotlight) if m.buttons)
    assert [label for label, _ in spotlight_card.buttons] == ["Got it"]

    status = await room.run(room.instructor, "deliverables")
    embed = status.messages[-1].embeds[0]
    assert embed["title"] == "Deliverables: 1 of 16 submitted"  # 4 papers x 4 roles with a form
    dit_field = next(f["value"] for f in embed["fields"] if f["name"] == "Diffusion Transformers")
    assert f"**Reviewers**: <@{reviewer.id}> <t:" in dit_field
    archaeologist = next(s for s in room.students if placed[s.id] == ("dit", "archaeologist"))
    assert f"**Archaeologists**: none yet; missing <@{archaeologist.id}>" in dit_field

    await room.run(reviewer, "submit slides", url="https://slides.example.org/dit")
    exported = await room.run(room.instructor, "export")
    files = {a.filename: a.text for a in exported.messages[-1].attachments}
    csv_name = next(n for n in files if n.endswith(".csv"))
    report = files[next(n for n in files if n.endswith(".md"))]
    rows_csv = parse_students(files[csv_name])
    assert room.bot is not None
    async with room.bot.db.session() as s:
        db_seats = {
            r.user_id: r
            for r in await s.scalars(select(AssignmentRow).where(AssignmentRow.status == "confirmed"))
        }
    assert {int(r["discord_id"]) for r in rows_csv} == set(db_seats)
    for r in rows_csv:
        seat = db_seats[int(r["discord_id"])]
        assert r["paper"] == room.course.paper(seat.paper_key).title
        assert r["role"] == room.course.role(seat.role_key).name
        member = room.guild.member(seat.user_id)
        assert member is not None and r["name"] == member.name
        expected = "https://slides.example.org/dit" if seat.paper_key == "dit" else ""
        assert r["slides_link"] == expected
    mine = next(r for r in rows_csv if int(r["discord_id"]) == reviewer.id)
    assert mine["deliverables_submitted"] == "Scientific Peer Reviewer form; slides link"
    partner_names = {
        room.guild.member(u).name
        for u, seat in placed.items()
        if seat == ("dit", "reviewer") and u != reviewer.id
    }  # type: ignore[union-attr]
    assert set(filter(None, mine["partners"].split("; "))) == partner_names

    assert "## Timeline as it ran" in report and "Introduce and assign roles" in report
    assert "@everyone" not in report and "<@123>" not in report and "**look**" not in report
    assert "@\u200beveryone" in report and "`https://slides.example.org/dit`" in report

    # The same files from the command line.
    out = tmp_path / "export"
    os.environ["DATABASE_URL"] = str(room.settings.database_url)
    try:
        argv = ["export", str(rows[0].session_id), "--out", str(out)]
        code = await asyncio.to_thread(cli_main, [*argv, "--config", str(room.settings.conductor_config)])
    finally:
        del os.environ["DATABASE_URL"]
    assert code == 0
    cli_rows = parse_students((out / csv_name).read_text())
    assert [(r["discord_id"], r["paper"], r["role"], r["slides_link"]) for r in cli_rows] == [
        (r["discord_id"], r["paper"], r["role"], r["slides_link"]) for r in rows_csv
    ]


async def test_with_slides_per_role_each_paper_role_group_submits_its_own_link(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    talks = """
[[phases]]
key = "fast-present"
name = "Present slides"
kind = "presentation"
seconds = 960
slot_seconds = 60

[plans.talks]
phases = ["assign", "fast-present"]
"""
    config = write_config(tmp_path, COLLECT + talks, **{"[session]": '[session]\nslides_per = "role"'})
    room = await open_class(sandbox, tmp_path, config, students=20)
    assert room.course.slides_per == "role"
    try:
        await room.run(room.instructor, "session start", plan="talks")
        await confirm(room, await room.run(room.instructor, "assign"))
        placed = await seats(room)
        dit = group_of(room, placed, "dit")
        first = next(s for s in dit if placed[s.id][1] == "spotlight")  # presents in the first slot
        second = next(s for s in dit if placed[s.id][1] != "spotlight")
        roles = {s.id: room.course.role(placed[s.id][1]) for s in (first, second)}
        threads = {s.id: f"Diffusion Transformers - {roles[s.id].plural}" for s in (first, second)}

        one = await room.run(first, "submit slides", url="https://slides.example.org/one")
        assert "Saved your group's slides link" in one.text and "pair thread" in one.text
        two = await room.run(second, "submit slides", url="https://slides.example.org/two")
        assert "Saved your group's slides link" in two.text

        def confirmations(name: str) -> list[Message]:
            return [m for m in thread(room, name) if "slides" in m.content and "<@" in m.content]

        for student, url in ((first, "one"), (second, "two")):
            shown = await room.sandbox.wait_for(
                lambda s=student: confirmations(threads[s.id]), what="the confirmation in the pair thread"
            )
            assert len(shown) == 1 and f"<@{student.id}>" in shown[0].content
            assert f"`https://slides.example.org/{url}`" in shown[0].content and pinged_nobody(shown[0])
        assert confirmations("Diffusion Transformers - group") == []

        current = {r.group_key: r.payload["url"] for r in await stored(room) if r.current}
        assert current == {
            f"dit/{placed[first.id][1]}": "https://slides.example.org/one",
            f"dit/{placed[second.id][1]}": "https://slides.example.org/two",
        }

        links = await room.run(room.instructor, "links")
        embed = links.messages[-1].embeds[0]
        assert embed["title"] == f"Slides: 2 of {len(set(placed.values()))} groups submitted"
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert "`https://slides.example.org/one`" in fields[threads[first.id]]
        assert "`https://slides.example.org/two`" in fields[threads[second.id]]

        await room.run(room.instructor, "session next")  # the first talk: DiT's Spotlight Presenters
        slot = await room.sandbox.wait_for(
            lambda: [m for m in room.posts() if "Now: Diffusion Transformers - Spotlight" in m.content],
            what="the first talk's slot",
        )
        assert "slides: `https://slides.example.org/one`" in slot[0].content
    finally:
        await room.stop_bot()
