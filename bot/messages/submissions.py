"""Submission posts: slides confirmations, reminders, and a student's form shown to their role-partners.

What students typed (links, form answers) is `UserText`: shown as typed, never live. Only reminders
ping, and only the group. The overviews (`/links`, `/deliverables`) are listed from `LinkLine` and
`DeliverableLine`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.message import (
    Actions,
    Card,
    Field,
    Mention,
    Message,
    Rich,
    Time,
    TimeStyle,
    Tone,
    UserText,
    rich,
)
from bot.core.plan import Field as FormField
from bot.core.plan import Paper, Role
from bot.messages.outbox import stored
from bot.messages.session import pings
from bot.messages.sizes import shown_length

FIELD_MAX = 1024


def group_label(paper: Paper, role: Role | None = None) -> str:
    """How a slides group is named: the paper's title, or "title - role plural" for a paper-role group."""
    return paper.title if role is None else f"{paper.title} - {role.plural}"


def slides_confirmation(
    paper: Paper, user_id: int, url: str, replaced: bool, role: Role | None = None
) -> dict[str, Any]:
    """One short line in the group's (or paper-role group's) thread, nobody pinged: who sent which link."""
    verb = "replaced the group's slides link with" if replaced else "submitted the group's slides:"
    text = rich(Mention(user_id), f" {verb} ", UserText(url, link=True), f" ({group_label(paper, role)}).")
    return stored(Message(text))


def slides_reminder(
    session_id: int, paper: Paper, members: Sequence[int], role: Role | None = None
) -> dict[str, Any]:
    """A ping to a group without slides, with the Submit slides button."""
    text = rich(
        pings(members),
        f" Reminder: **{group_label(paper, role)}** has no slides link yet. One of you, press "
        "**Submit slides** or use `/submit slides url:<link>`.",
    )
    actions = Actions("submit-slides", {"session": session_id})
    return stored(Message(text, mentions=tuple(members), actions=actions))


def form_problems(problems: Sequence[str]) -> str:
    """What to fix in a form that was not saved."""
    listed = "\n".join(f"- {p}" for p in problems)
    return f"Not saved yet: please fix this and send the form again.\n{listed}"


def shown_value(field: FormField, value: str, limit: int | None = None) -> Rich:
    """One stored field value as shown to others: a link as a link typed, text as typed, cut at `limit`."""
    if not value:
        return rich("—")
    if field.kind == "url":
        return rich(UserText(value, link=True))
    return rich(UserText(value, multiline=True, limit=limit))


def deliverable_post(
    paper: Paper, role: Role, user_id: int, values: Mapping[str, str], at: datetime, edited: bool
) -> dict[str, Any]:
    """A student's submitted form for their role-partners (a card: links in it do not unfurl)."""
    fields = []
    shortened = False
    for field in role.fields:
        value = values.get(field.key, "")
        shortened = shortened or shown_length(shown_value(field, value)) > FIELD_MAX
        fields.append(
            Field(rich(field.label[:256]), shown_value(field, value, FIELD_MAX), field.style != "long")
        )
    footer = (
        "Long answers are shortened here; the full text is in the instructor's export." if shortened else ""
    )
    card = Card(
        title=rich(f"{role.name} form: {paper.title}"[:256]),
        body=rich(
            "Submitted by ",
            Mention(user_id),
            " ",
            Time(at, TimeStyle.RELATIVE),
            " (edited)" if edited else "",
        ),
        fields=tuple(fields),
        footer=rich(footer),
        tone=Tone.RUNNING,
    )
    return stored(Message(cards=(card,)))


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


@dataclass(frozen=True)
class DeliverableLine:
    """One (paper, role) on `/deliverables`."""

    paper: Paper
    role: Role
    submitted: tuple[tuple[int, datetime], ...]
    missing: tuple[int, ...]
