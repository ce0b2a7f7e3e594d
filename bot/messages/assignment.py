"""Assignment posts: the table (as in the seed's spreadsheet), the preview, role cards, check-in and notices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.core.assignment import Assignment
from bot.core.cards import EMBED_DESCRIPTION_MAX, EMBED_TOTAL_MAX, EMBEDS_PER_MESSAGE, split_text
from bot.core.message import (
    Actions,
    Card,
    Field,
    Link,
    Mention,
    Message,
    Rich,
    Time,
    Tone,
    bold,
    joined,
    lines,
    printable,
    rich,
)
from bot.core.plan import Course, Paper, Role
from bot.messages.outbox import stored
from bot.messages.sizes import shown_length

CELL = 26  # characters per table cell (a paper title fits); longer names are shortened with "…"
FIELD_MAX = 1024  # characters of a card's field value


def _cell(text: str, width: int = CELL) -> str:
    clean = printable(text)
    return clean if len(clean) <= width else clean[: width - 1] + "…"


def table_lines(assignment: Assignment, course: Course, names: Mapping[int, str]) -> list[str]:
    """The table as monospaced lines: papers as columns, role slots ("Reviewer 2") as rows."""
    rows = []
    for label, cells in assignment.table():
        for i, row in enumerate(cells):
            rows.append([f"{label} {i + 1}", *[names.get(int(c), c) if c else "" for c in row]])
    headers = ["", *[course.paper(p).title for p in assignment.papers]]
    widths = [min(CELL, max(len(r[0]) for r in [headers, *rows]))]
    for col in range(1, len(headers)):
        widths.append(min(CELL, max(len(_cell(r[col])) for r in [headers, *rows])))
    out = []
    for r in [headers, *rows]:
        out.append(" | ".join(_cell(v, w).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
        if r is headers:
            out.append("-+-".join("-" * w for w in widths))
    return out


def table_cards(
    assignment: Assignment, course: Course, names: Mapping[int, str], title: str, footer: str | None = None
) -> list[Card]:
    """The table as monospaced lines, split over cards by lines when a class is too big for one."""
    table = table_lines(assignment, course, names)
    blocks: list[list[str]] = [[]]
    used = 0
    for line in table:
        if blocks[-1] and used + len(line) + 1 > EMBED_DESCRIPTION_MAX - 20:
            blocks.append([])
            used = 0
        blocks[-1].append(line)
        used += len(line) + 1
    kept: list[list[str]] = []
    total = 0
    shown = 0
    for block in blocks[:EMBEDS_PER_MESSAGE]:  # one message holds at most 6000 characters of cards
        while block and total + len("\n".join(block)) + 300 > EMBED_TOTAL_MAX:
            block = block[:-1]
        if not block:
            break
        total += len("\n".join(block)) + 10
        shown += len(block)
        kept.append(block)
    if shown < len(table):
        footer = f"Showing {shown} of {len(table)} table lines: the class is too large for one message. " + (
            footer or ""
        )
    cards = [
        Card(title=rich(title) if i == 0 else (), preformatted=tuple(block), tone=Tone.NOTICE)
        for i, block in enumerate(kept)
    ]
    sizes = ", ".join(f"{course.paper(p).title} {len(assignment.group(p))}" for p in assignment.papers)
    cards[-1] = replace(cards[-1], footer=rich(footer or f"{len(assignment.seats)} students: {sizes}"))
    return cards


TABLE_LINE = "Every student has a paper and a role: `/myrole` shows yours, only to you."


def table_post(
    assignment: Assignment,
    course: Course,
    names: Mapping[int, str],
    notify: int,
    edited: bool = False,
    content: str | None = None,
) -> dict[str, Any]:
    """The table for the class channel (no pings: everyone gets their own card); `content` says how it went."""
    title = "Roles for today" + (" (updated)" if edited else "")
    cards = table_cards(assignment, course, names, title)
    return stored(Message(rich(content or TABLE_LINE), tuple(cards)), notify=notify)


def preview(
    assignment: Assignment,
    course: Course,
    names: Mapping[int, str],
    seed: int,
    replacing: bool,
    footer: str,
) -> Message:
    """What the instructor checks before Confirm: the table, and that nothing has been sent yet."""
    said = (
        "Nothing has been sent yet. **Confirm** posts the table, opens the threads and DMs every student "
        "their role card; **Reshuffle** tries another seed."
    )
    if replacing:
        said += " Confirming **replaces** the assignment students already have: those whose seat changes get a new card."
    cards = table_cards(assignment, course, names, f"Preview (seed {seed})")
    cards[0] = replace(cards[0], body=rich(said))
    cards[-1] = replace(cards[-1], footer=rich(footer))
    return Message(cards=tuple(cards))


@dataclass(frozen=True)
class CardInfo:
    """Everything a student's role card says."""

    session_id: int
    user_id: int
    paper: Paper
    role: Role
    partners: tuple[int, ...]
    teachers: tuple[str, ...]
    timeline: tuple[tuple[str, datetime, datetime], ...]  # (phase name, start, end)


def _card_size(card: Card) -> int:
    """The characters of a card that count towards a message's total."""
    size = shown_length(card.title) + shown_length(card.body) + shown_length(card.footer)
    return size + sum(shown_length(f.name) + shown_length(f.value) for f in card.fields)


def role_cards(card: CardInfo) -> list[Card]:
    """The card: paper and role up front, then the full brief (split cleanly), partners, teachers, times."""
    role, paper = card.role, card.paper
    partners = joined([(Mention(u),) for u in card.partners]) or rich(
        "none: you hold this role alone in your group"
    )
    fields = [
        Field(rich("Role-partner(s)"), partners),
        Field(rich("Responsible teacher(s)"), rich((", ".join(card.teachers) or "—")[:FIELD_MAX])),
    ]
    if card.timeline:
        rows: list[Rich] = []
        used = 0
        for name, start, end in card.timeline:  # whole lines only
            row = rich(Time(start), "-", Time(end), f" {name}")
            if used + shown_length(row) + 1 > FIELD_MAX:
                break
            rows.append(row)
            used += shown_length(row) + 1
        fields.append(Field(rich("Today (your local time)"), lines(*rows)))
    head = Card(
        title=rich(f"Your role: {role.name}"),
        body=rich("Paper: ", bold(Link(paper.link, paper.title)), f"\n{paper.link}"),
        fields=tuple(fields),
        footer=rich("Press Got it once you have read your role."),
        tone=Tone.CARD,
    )
    budget = EMBED_TOTAL_MAX - _card_size(head) - 200
    cards = [head]
    chunks = split_text(role.brief, EMBED_DESCRIPTION_MAX)
    for i, chunk in enumerate(chunks[: EMBEDS_PER_MESSAGE - 1]):
        if budget - len(chunk) < 0:
            break
        budget -= len(chunk)
        title = "Your brief" if i == 0 else "Your brief (continued)"
        cards.append(Card(title=rich(title), body=rich(chunk), tone=Tone.CARD))
    return cards


def form_label(role: Role) -> str | None:
    """The label of the role card's button that opens the role's form, or None for a role without one."""
    return f"Fill in my {role.name} form"[:80] if role.fields else None


def card_message(card: CardInfo, content: str | None = None) -> Message:
    """The role card, with the Got it button (and Fill in my form, for a role with one)."""
    args: dict[str, Any] = {"session": card.session_id}
    label = form_label(card.role)
    if label:
        args["form"] = label
    text = content or f"Your role for today's reading group: **{card.role.name}** on **{card.paper.title}**."
    return Message(rich(text), tuple(role_cards(card)), actions=Actions("role-card", args))


def card_post(card: CardInfo, content: str | None = None) -> dict[str, Any]:
    """The role card as a DM, with its persistent buttons."""
    return stored(card_message(card, content))


def slides_prompt(session_id: int, paper: Paper) -> dict[str, Any]:
    """The group thread's first post: where the group's slides link goes, with the Submit slides button."""
    text = rich(
        f"This is the **{paper.title}** group thread. When your slides are ready, submit the link here: "
        "press **Submit slides** (or use `/submit slides url:<link>`)."
    )
    return stored(Message(text, actions=Actions("submit-slides", {"session": session_id})))


def fallback_post(session_id: int, user_id: int, notify: int) -> dict[str, Any]:
    """In the group thread: a student whose DMs are closed gets their card from a button instead."""
    text = rich(
        Mention(user_id),
        " I could not DM you your role card (your DMs are closed). Press **Show my role** to "
        "see it here, only to you.",
    )
    message = Message(text, mentions=(user_id,), actions=Actions("show-role", {"session": session_id}))
    return stored(message, notify=notify)


def checkin_post(session_id: int, notify: int) -> dict[str, Any]:
    """The class channel's check-in: students press I'm here, and `/assign` seats only them."""
    text = rich("**Check-in for today's reading group.** Press **I'm here** so you get a paper and a role.")
    return stored(Message(text, actions=Actions("checkin", {"session": session_id})), notify=notify)


def change_post(user_ids: Sequence[int], text: str | Rich, notify: int) -> dict[str, Any]:
    """A short notice in a thread (e.g. a partner left or joined), pinging those it concerns."""
    return stored(Message(rich(text), mentions=tuple(user_ids)), notify=notify)


@dataclass(frozen=True)
class StatusLine:
    """One student on `/roles status`."""

    user_id: int
    seat: str
    delivery: str
    acknowledged: datetime | None
