"""Submission posts and overviews: confirmations, reminders, reviews in pair threads, `/links`, `/deliverables`.

Student text is shown through `bot.rendering.inert` (`inert_text`, `inert_link`): nothing they typed can
ping, format, mask a link, or be clicked. Only reminders ping, and only the group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import discord

from bot.core.plan import Field, Paper, Role
from bot.rendering.inert import cut, inert_link, inert_text
from bot.rendering.session import payload, pings
from bot.rendering.time import stamp

__all__ = [
    "DeliverableLine",
    "LinkLine",
    "deliverable_post",
    "deliverables_embed",
    "form_problems",
    "group_label",
    "links_embed",
    "render_value",
    "slides_confirmation",
    "slides_reminder",
]

DONE = discord.Colour.green()
MISSING = discord.Colour.orange()
FIELD_MAX = 1024


def group_label(paper: Paper, role: Role | None = None) -> str:
    """How a slides group is named: the paper's title, or "title - role plural" for a paper-role group."""
    return paper.title if role is None else f"{paper.title} - {role.plural}"


def slides_confirmation(
    paper: Paper, user_id: int, url: str, replaced: bool, role: Role | None = None
) -> dict[str, Any]:
    """One short line in the group's (or paper-role group's) thread, nobody pinged: who sent which link."""
    verb = "replaced the group's slides link with" if replaced else "submitted the group's slides:"
    return payload(f"<@{user_id}> {verb} {inert_link(url)} ({group_label(paper, role)}).")


def slides_reminder(
    session_id: int, paper: Paper, members: Sequence[int], role: Role | None = None
) -> dict[str, Any]:
    """A ping to a group without slides, with the Submit slides button."""
    return payload(
        f"{pings(members)} Reminder: **{group_label(paper, role)}** has no slides link yet. One of you, press "
        "**Submit slides** or use `/submit slides url:<link>`.",
        mentions=members,
        view={"name": "submit-slides", "args": {"session": session_id}},
    )


def form_problems(problems: Sequence[str]) -> str:
    """What to fix in a form that was not saved."""
    lines = "\n".join(f"- {p}" for p in problems)
    return f"Not saved yet: please fix this and send the form again.\n{lines}"


def render_value(field: Field, value: str, limit: int | None = None) -> str:
    """One stored field value as shown to others: a link in a code span, text escaped, cut at `limit`."""
    if not value:
        return "—"
    if field.kind == "url":
        return inert_link(value)
    return inert_text(value, limit, multiline=True)


def deliverable_post(
    paper: Paper, role: Role, user_id: int, values: Mapping[str, str], at: datetime, edited: bool
) -> dict[str, Any]:
    """A student's submitted form for their role-partners (an embed: links in it do not unfurl)."""
    embed = discord.Embed(
        title=f"{role.name} form: {paper.title}"[:256],
        description=f"Submitted by <@{user_id}> {stamp(at, 'R')}" + (" (edited)" if edited else ""),
        colour=DONE,
    )
    cut = False
    for field in role.fields:
        value = render_value(field, values.get(field.key, ""), FIELD_MAX)
        cut = cut or value != render_value(field, values.get(field.key, ""))
        embed.add_field(name=field.label[:256], value=value, inline=field.style != "long")
    if cut:
        embed.set_footer(text="Long answers are shortened here; the full text is in the instructor's export.")
    body = payload(None, embed)
    return body


@dataclass(frozen=True)
class LinkLine:
    """One slides group on `/links`: a paper group, or a paper-role group (`role` set)."""

    paper: Paper
    url: str | None
    by: int | None
    at: datetime | None
    members: tuple[int, ...]
    role: Role | None = None

    @property
    def label(self) -> str:
        """The group's name as shown."""
        return group_label(self.paper, self.role)


def _fit(text: str) -> str:
    return cut(text, FIELD_MAX)


def links_embed(lines: Sequence[LinkLine]) -> discord.Embed:
    """Every group, its link, who submitted it and when, and who is missing, in one embed."""
    done = [x for x in lines if x.url]
    missing = [x for x in lines if not x.url]
    embed = discord.Embed(
        title=f"Slides: {len(done)} of {len(lines)} groups submitted", colour=MISSING if missing else DONE
    )
    embed.description = (
        "Missing: " + ", ".join(f"**{x.label}**" for x in missing)
        if missing
        else "Every group has submitted."
    )
    for x in lines[:25]:
        if x.url and x.at is not None:
            value = f"{inert_link(x.url)}\nby <@{x.by}> {stamp(x.at, 'R')}"
        else:
            value = f"no slides submitted\ngroup: {pings(x.members)}"
        embed.add_field(name=x.label[:256], value=_fit(value), inline=False)
    return embed


@dataclass(frozen=True)
class DeliverableLine:
    """One (paper, role) on `/deliverables`."""

    paper: Paper
    role: Role
    submitted: tuple[tuple[int, datetime], ...]
    missing: tuple[int, ...]


def deliverables_embed(lines: Sequence[DeliverableLine]) -> discord.Embed:
    """Per paper and role with a form: who has submitted (when) and who is missing."""
    total = sum(len(x.submitted) + len(x.missing) for x in lines)
    done = sum(len(x.submitted) for x in lines)
    embed = discord.Embed(title=f"Deliverables: {done} of {total} submitted", colour=DONE)
    by_paper: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for x in lines:
        titles[x.paper.key] = x.paper.title
        parts = [f"<@{u}> {stamp(at, 'R')}" for u, at in x.submitted]
        text = f"**{x.role.plural}**: " + (", ".join(parts) or "none yet")
        if x.missing:
            text += f"; missing {' '.join(f'<@{u}>' for u in x.missing)}"
        by_paper.setdefault(x.paper.key, []).append(text)
    for key, texts in list(by_paper.items())[:25]:
        embed.add_field(name=titles[key][:256], value=_fit("\n".join(texts)), inline=False)
    if not lines:
        embed.description = "No one in this session holds a role with a form."
    return embed
