"""Assignment posts as outbox payloads: the table (as in the seed's spreadsheet), role cards, the preview."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import discord

from bot.core.assignment import Assignment
from bot.core.cards import EMBED_DESCRIPTION_MAX, EMBED_TOTAL_MAX, EMBEDS_PER_MESSAGE, split_text
from bot.core.plan import Course, Paper, Role
from bot.rendering.inert import inert_code
from bot.rendering.session import payload
from bot.rendering.time import stamp

TABLE = discord.Colour.blurple()
CARD = discord.Colour.gold()
CELL = 26  # characters per table cell (a paper title fits); longer names are shortened with "…"


def _cell(text: str, width: int = CELL) -> str:
    clean = inert_code(text)
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


def table_embeds(
    assignment: Assignment, course: Course, names: Mapping[int, str], title: str, footer: str | None = None
) -> list[discord.Embed]:
    """The table in code blocks, split over embeds by lines when a class is too big for one."""
    lines = table_lines(assignment, course, names)
    blocks: list[list[str]] = [[]]
    used = 0
    for line in lines:
        if blocks[-1] and used + len(line) + 1 > EMBED_DESCRIPTION_MAX - 20:
            blocks.append([])
            used = 0
        blocks[-1].append(line)
        used += len(line) + 1
    kept: list[list[str]] = []
    total = 0
    shown = 0
    for block in blocks[:EMBEDS_PER_MESSAGE]:  # one message holds at most 6000 characters of embeds
        while block and total + len("\n".join(block)) + 300 > EMBED_TOTAL_MAX:
            block = block[:-1]
        if not block:
            break
        total += len("\n".join(block)) + 10
        shown += len(block)
        blocks[len(kept)] = block
        kept.append(block)
    if shown < len(lines):
        footer = f"Showing {shown} of {len(lines)} table lines: the class is too large for one message. " + (
            footer or ""
        )
    blocks = kept
    embeds: list[discord.Embed] = []
    for i, block in enumerate(blocks):
        embed = discord.Embed(
            title=title if i == 0 else None, description="```\n" + "\n".join(block) + "\n```", colour=TABLE
        )
        embeds.append(embed)
    sizes = ", ".join(f"{course.paper(p).title} {len(assignment.group(p))}" for p in assignment.papers)
    embeds[-1].set_footer(text=footer or f"{len(assignment.seats)} students: {sizes}")
    return embeds


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
    body = payload(content or TABLE_LINE)
    body["embeds"] = [e.to_dict() for e in table_embeds(assignment, course, names, title)]
    body["notify"] = notify
    return body


def preview_embeds(
    assignment: Assignment, course: Course, names: Mapping[int, str], seed: int, replacing: bool
) -> list[discord.Embed]:
    """What the instructor checks before Confirm: the table, and that nothing has been sent yet."""
    note = (
        "Nothing has been sent yet. **Confirm** posts the table, opens the threads and DMs every student "
        "their role card; **Reshuffle** tries another seed."
    )
    if replacing:
        note += " Confirming **replaces** the assignment students already have: those whose seat changes get a new card."
    embeds = table_embeds(assignment, course, names, f"Preview (seed {seed})")
    embeds[0].description = f"{note}\n{embeds[0].description}"
    return embeds


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


ACK_PREFIX = "conductor:ack:"
SHOW_PREFIX = "conductor:card:"


def card_embeds(card: CardInfo) -> list[discord.Embed]:
    """The card: paper and role up front, then the full brief (split cleanly), partners, teachers, times."""
    role, paper = card.role, card.paper
    head = discord.Embed(
        title=f"Your role: {role.name}",
        description=f"Paper: **[{paper.title}]({paper.link})**\n{paper.link}",
        colour=CARD,
    )
    partners = ", ".join(f"<@{u}>" for u in card.partners) or "none: you hold this role alone in your group"
    head.add_field(name="Role-partner(s)", value=partners[:1024], inline=False)
    head.add_field(
        name="Responsible teacher(s)", value=(", ".join(card.teachers) or "—")[:1024], inline=False
    )
    if card.timeline:
        lines = [f"{stamp(start, 't')}-{stamp(end, 't')} {name}" for name, start, end in card.timeline]
        value = ""
        for line in lines:
            if len(value) + len(line) + 1 > 1024:
                break
            value += line + "\n"
        head.add_field(name="Today (your local time)", value=value.strip(), inline=False)
    head.set_footer(text="Press Got it once you have read your role.")
    budget = EMBED_TOTAL_MAX - len(head) - 200
    embeds = [head]
    chunks = split_text(role.brief, EMBED_DESCRIPTION_MAX)
    for i, chunk in enumerate(chunks[: EMBEDS_PER_MESSAGE - 1]):
        if budget - len(chunk) < 0:
            break
        budget -= len(chunk)
        embeds.append(
            discord.Embed(
                title="Your brief" if i == 0 else "Your brief (continued)", description=chunk, colour=CARD
            )
        )
    return embeds


def form_label(role: Role) -> str | None:
    """The label of the role card's button that opens the role's form, or None for a role without one."""
    return f"Fill in my {role.name} form"[:80] if role.fields else None


def card_post(card: CardInfo, content: str | None = None) -> dict[str, Any]:
    """The role card as a DM, with the persistent Got it button (and Fill in my form, for a role with one)."""
    args: dict[str, Any] = {"session": card.session_id}
    label = form_label(card.role)
    if label:
        args["form"] = label
    body = payload(
        content or f"Your role for today's reading group: **{card.role.name}** on **{card.paper.title}**.",
        view={"name": "role-card", "args": args},
    )
    body["embeds"] = [e.to_dict() for e in card_embeds(card)]
    return body


def slides_prompt(session_id: int, paper: Paper) -> dict[str, Any]:
    """The group thread's first post: where the group's slides link goes, with the Submit slides button."""
    return payload(
        f"This is the **{paper.title}** group thread. When your slides are ready, submit the link here: "
        "press **Submit slides** (or use `/submit slides url:<link>`).",
        view={"name": "submit-slides", "args": {"session": session_id}},
    )


def fallback_post(session_id: int, user_id: int, notify: int) -> dict[str, Any]:
    """In the group thread: a student whose DMs are closed gets their card from a button instead."""
    body = payload(
        f"<@{user_id}> I could not DM you your role card (your DMs are closed). Press **Show my role** to "
        "see it here, only to you.",
        mentions=[user_id],
        view={"name": "show-role", "args": {"session": session_id}},
    )
    body["notify"] = notify
    return body


def checkin_post(session_id: int, notify: int) -> dict[str, Any]:
    """The class channel's check-in: students press I'm here, and `/assign` seats only them."""
    body = payload(
        "**Check-in for today's reading group.** Press **I'm here** so you get a paper and a role.",
        view={"name": "checkin", "args": {"session": session_id}},
    )
    body["notify"] = notify
    return body


def change_post(user_ids: Sequence[int], text: str, notify: int) -> dict[str, Any]:
    """A short notice in a thread (e.g. a partner left or joined), pinging those it concerns."""
    body = payload(text, mentions=list(user_ids))
    body["notify"] = notify
    return body


@dataclass(frozen=True)
class StatusLine:
    """One student on `/roles status`."""

    user_id: int
    seat: str
    delivery: str
    acknowledged: datetime | None


def status_embed(lines: Sequence[StatusLine]) -> discord.Embed:
    """Who acknowledged, whose DM failed (and got the thread fallback), and who has not yet."""
    acked = [x for x in lines if x.acknowledged]
    fallback = [x for x in lines if not x.acknowledged and x.delivery in {"fallback", "failed"}]
    waiting = [x for x in lines if not x.acknowledged and x.delivery not in {"fallback", "failed"}]
    embed = discord.Embed(title=f"Role cards: {len(acked)} of {len(lines)} acknowledged", colour=TABLE)

    def listing(items: Sequence[StatusLine], with_time: bool = False) -> str:
        parts = []
        for x in items:
            when = f" {stamp(x.acknowledged, 'R')}" if with_time and x.acknowledged else ""
            extra = " (no DM: thread button)" if x.delivery == "fallback" else ""
            extra = " (could not reach)" if x.delivery == "failed" else extra
            parts.append(f"<@{x.user_id}>{extra}{when}")
        text = ", ".join(parts) or "nobody"
        return text if len(text) <= 1024 else text[:1000].rsplit(",", 1)[0] + f", … ({len(items)} in all)"

    embed.add_field(name=f"DM failed ({len(fallback)})", value=listing(fallback), inline=False)
    embed.add_field(name=f"Not yet acknowledged ({len(waiting)})", value=listing(waiting), inline=False)
    embed.add_field(name=f"Acknowledged ({len(acked)})", value=listing(acked, True), inline=False)
    return embed
