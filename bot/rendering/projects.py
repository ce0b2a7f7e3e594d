"""Project proposals, groups and the instructor's status as Discord payloads; the CSV and Markdown export.

Everything people typed (group names, titles, abstracts, reasons) is escaped so it shows as typed:
no formatting, no mentions, no links that ping (the posts also allow no mentions beyond the named ids).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

import discord

from bot.core.export import BOM, csv_cell, md_text
from bot.core.projects import Group, GroupStatus, OwnStatus, ProjectState, Proposal
from bot.rendering.inert import inert_text

CARDS_PER_POST = 10  # embeds per message (Discord's limit); also kept under 6000 characters in all
POST_CHARS = 5500
COLOR = 0x2B6CB0


def inert(text: str) -> str:
    """User-typed text shown as typed, through the one escaping path (`bot.rendering.inert`)."""
    return inert_text(text, multiline=True)


def who(user_ids: Sequence[int]) -> str:
    """Mentions of students (the posts' allowed mentions decide whether anyone is pinged)."""
    return ", ".join(f"<@{u}>" for u in user_ids) or "nobody"


def project_of(state: ProjectState, group: Group) -> tuple[str, str]:
    """A group's project title and supervisors, as shown (the own project's title escaped)."""
    if group.proposal is not None:
        p = state.proposal(group.proposal)
        return p.title, ", ".join(p.supervisors)
    if group.own is not None:
        label = {OwnStatus.APPROVED: "own project", OwnStatus.PENDING: "own, waiting for approval"}.get(
            group.own.status, "own, sent back"
        )
        return f"{inert(group.own.title)} ({label})", "to be assigned by an instructor"
    return "no project yet", "-"


def card(state: ProjectState, p: Proposal, interest: int = 0) -> dict[str, Any]:
    """One proposal's card: title, supervisor(s), description, link, places taken."""
    taken = state.taken(p.key)
    places = f"{taken} of {p.max_groups} group places taken" + (" (full)" if taken >= p.max_groups else "")
    embed: dict[str, Any] = {
        "title": p.title[:256],
        "description": (p.description or "")[:2000],
        "color": COLOR,
        "fields": [
            {
                "name": "Supervisor" + ("s" if len(p.supervisors) > 1 else ""),
                "value": ", ".join(p.supervisors),
                "inline": True,
            },
            {"name": "Groups", "value": places, "inline": True},
        ],
        "footer": {"text": f"key: {p.key}" + (f" - {interest} interested" if interest else "")},
    }
    if p.link:
        embed["url"] = p.link
    return embed


def proposal_posts(state: ProjectState, interest: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
    """The proposals as outbox payloads: a few cards per post, each with its Interested and Choose buttons."""
    interest = interest or {}
    posts = []
    items = list(state.proposals)
    chunks: list[list[Proposal]] = [[]]
    size = 0
    for p in items:
        chars = len(p.title) + len(p.description) + 200
        if len(chunks[-1]) == CARDS_PER_POST or (chunks[-1] and size + chars > POST_CHARS):
            chunks.append([])
            size = 0
        chunks[-1].append(p)
        size += chars
    for n, chunk in enumerate(chunks):
        head = None
        if n == 0:
            r = state.rules
            head = (
                f"**Project proposals** ({len(items)}). Form a group of up to {r.max_size} students "
                f"(we recommend {r.recommended_size}), then choose a proposal: each one takes at most "
                f"{max(p.max_groups for p in items)} groups."
                + (" Or propose your own project with `/project propose`." if r.own_allowed else "")
                + " Start a group with `/project create` or the button below, join one with its code, and "
                "choose with the menus under the cards."
            )
        posts.append(
            {
                "content": head,
                "embeds": [card(state, p, interest.get(p.key, 0)) for p in chunk],
                "mentions": [],
                "view": {
                    "name": "project-cards",
                    "args": {"keys": [p.key for p in chunk], "groups": n == len(chunks) - 1},
                },
            }
        )
    return posts


def list_embed(state: ProjectState, interest: Mapping[str, int]) -> discord.Embed:
    """Every proposal with its places (for `/project list`)."""
    lines = []
    for p in state.proposals:
        taken = state.taken(p.key)
        mark = "full" if taken >= p.max_groups else f"{p.max_groups - taken} free"
        extra = f", {interest[p.key]} interested" if interest.get(p.key) else ""
        lines.append(
            f"`{p.key}` **{p.title}** ({', '.join(p.supervisors)}): {taken}/{p.max_groups}, {mark}{extra}"
        )
    return discord.Embed(title="Project proposals", description="\n".join(lines)[:4000], color=COLOR)


def group_line(state: ProjectState, g: Group) -> str:
    """One group in the status view."""
    title, sup = project_of(state, g)
    size = f"{len(g.members)}/{state.rules.max_size}"
    low = " - below the minimum" if len(g.members) < state.rules.min_size else ""
    return f"**{inert(g.name)}** (code `{g.code}`, {size}{low}): {who(g.members)}\n  {title} - {sup}"


def status_pages(state: ProjectState, students: Sequence[int]) -> list[list[discord.Embed]]:
    """The instructor's view, in messages under Discord's limits: every group, then proposals with free
    places, own projects waiting and students without a group."""
    groups = sorted(state.groups, key=lambda g: g.name.casefold())
    chunks: list[str] = []
    for g in groups:
        line = group_line(state, g)
        if chunks and len(chunks[-1]) + len(line) + 1 <= 2000:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line[:4000])
    embeds = [
        discord.Embed(title="Project groups" if i == 0 else None, description=text, color=COLOR)
        for i, text in enumerate(chunks or ["No groups yet."])
    ]
    waiting = [g for g in groups if g.status == GroupStatus.WAITING]
    free = [f"`{p.key}` ({p.max_groups - state.taken(p.key)} free)" for p in state.free()]
    grouped = {u for g in state.groups for u in g.members}
    alone = [u for u in students if u not in grouped]
    summary = discord.Embed(color=COLOR)
    summary.add_field(name="Proposals with free places", value=_fit(", ".join(free)) or "none", inline=False)
    own = "\n".join(f"**{inert(g.name)}**: {inert(g.own.title)}" for g in waiting if g.own)
    summary.add_field(
        name=f"Own projects waiting for approval ({len(waiting)})", value=_fit(own) or "none", inline=False
    )
    summary.add_field(name=f"Students without a group ({len(alone)})", value=_fit(who(alone)), inline=False)
    embeds.append(summary)
    pages: list[list[discord.Embed]] = [[]]
    size = 0
    for embed in embeds:  # at most 2,000 + 3 x 1,024 characters each: two per message stay under 6,000
        chars = len(embed)
        if pages[-1] and (size + chars > 5500 or len(pages[-1]) == 10):
            pages.append([])
            size = 0
        pages[-1].append(embed)
        size += chars
    return pages


def _fit(text: str, limit: int = 1024) -> str:
    """Text cut to an embed field's limit at a comma or line break, saying how much was left out."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind(", ", 0, limit - 20), text.rfind("\n", 0, limit - 20))
    return text[: max(cut, 0)] + " and more"


def own_embed(group: Group) -> discord.Embed:
    """A group's own project proposal as filed (escaped)."""
    assert group.own is not None
    embed = discord.Embed(
        title=inert(group.own.title)[:256], description=inert(group.own.abstract)[:4000], color=COLOR
    )
    embed.set_footer(text=f"Group: {group.name}"[:2048])
    return embed


def room_welcome(state: ProjectState, group: Group, chat: str | None) -> dict[str, Any]:
    """The first post in a group's room: members, project, supervisor, the weekly chat."""
    title, sup = project_of(state, group)
    text = (
        f"Welcome, **{inert(group.name)}**: {who(group.members)}.\nProject: {title}\nSupervisor: {sup}\n"
        + (f"Weekly supervisor chat: {chat}; I remind you here beforehand.\n" if chat else "")
        + "This room is private to your group and your supervisor."
    )
    return {"content": text, "embeds": [], "mentions": list(group.members)}


def export_files(state: ProjectState, names: Mapping[int, str], students: Sequence[int]) -> dict[str, str]:
    """`projects.csv` (one row per student) and `projects.md` (one section per group)."""
    buf = io.StringIO()
    buf.write(BOM)  # Excel then reads accents right
    rows = csv.writer(buf, lineterminator="\r\n")

    def write(row: Sequence[object]) -> None:  # group names are typed by students: no cell runs as a formula
        rows.writerow([csv_cell(str(cell)) for cell in row])

    write(["user_id", "name", "group", "group_size", "project", "project_kind", "supervisors", "status"])
    grouped = set()
    for g in sorted(state.groups, key=lambda g: g.name.casefold()):
        title = state.proposal(g.proposal).title if g.proposal else (g.own.title if g.own else "")
        kind = "proposal" if g.proposal else ("own" if g.own else "")
        sup = ", ".join(state.proposal(g.proposal).supervisors) if g.proposal else ""
        for u in g.members:
            grouped.add(u)
            write([u, names.get(u, ""), g.name, len(g.members), title, kind, sup, g.status.value])
    for u in students:
        if u not in grouped:
            write([u, names.get(u, ""), "", 0, "", "", "", "no group"])
    md = ["# Course projects", ""]
    for g in sorted(state.groups, key=lambda g: g.name.casefold()):
        md.append(f"## {md_text(g.name)}")
        md.append("")
        md.append(
            f"- Members ({len(g.members)}): " + ", ".join(md_text(names.get(u, str(u))) for u in g.members)
        )
        if g.proposal:
            p = state.proposal(g.proposal)
            md.append(f"- Project: {p.title} (proposal `{p.key}`), supervisor(s): {', '.join(p.supervisors)}")
        elif g.own:
            md.append(f"- Own project ({g.own.status.value}): {md_text(g.own.title)}")
            md.append(f"  - Abstract: {md_text(' '.join(g.own.abstract.split()))}")
            if g.own.reason:
                md.append(f"  - Sent back: {md_text(g.own.reason)}")
        else:
            md.append("- Project: none yet")
        md.append("")
    md.append("## Proposals")
    md.append("")
    for p in state.proposals:
        md.append(f"- {p.title} ({', '.join(p.supervisors)}): {state.taken(p.key)} of {p.max_groups} places")
    alone = [md_text(names.get(u, str(u))) for u in students if u not in grouped]
    md += ["", f"## Students without a group ({len(alone)})", "", *(f"- {n}" for n in alone)]
    return {"projects.csv": buf.getvalue(), "projects.md": "\n".join(md) + "\n"}
