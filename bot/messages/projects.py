"""Project posts: the proposal cards, a group's room welcome, and the lines that describe a group.

Everything people typed (group names, titles, abstracts, reasons) is `UserText`: shown as typed, no
formatting, no mentions, no links (the posts also allow no pings beyond the named ids).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot.core.message import (
    Actions,
    Card,
    Field,
    Link,
    Mention,
    Message,
    Rich,
    Tone,
    UserText,
    bold,
    joined,
    rich,
)
from bot.core.projects import Group, OwnStatus, ProjectState, Proposal
from bot.messages.outbox import stored

CARDS_PER_POST = 10  # cards per message (Discord's limit); also kept under 6000 characters in all
POST_CHARS = 5500


def typed(text: str) -> UserText:
    """Text a student typed (a group name, a title, an abstract), shown as typed."""
    return UserText(text, multiline=True)


def who(user_ids: Sequence[int]) -> Rich:
    """Mentions of students (the posts' allowed mentions decide whether anyone is pinged)."""
    return joined([(Mention(u),) for u in user_ids]) or rich("nobody")


def project_of(state: ProjectState, group: Group) -> tuple[Rich, str]:
    """A group's project title and supervisors, as shown."""
    if group.proposal is not None:
        p = state.proposal(group.proposal)
        return rich(p.title), ", ".join(p.supervisors)
    if group.own is not None:
        label = {OwnStatus.APPROVED: "own project", OwnStatus.PENDING: "own, waiting for approval"}.get(
            group.own.status, "own, sent back"
        )
        return rich(typed(group.own.title), f" ({label})"), "to be assigned by an instructor"
    return rich("no project yet"), "-"


def card(state: ProjectState, p: Proposal, interest: int = 0) -> Card:
    """One proposal's card: title (a link to it, if any), supervisor(s), description, places taken."""
    taken = state.taken(p.key)
    places = f"{taken} of {p.max_groups} group places taken" + (" (full)" if taken >= p.max_groups else "")
    title = p.title[:256]
    return Card(
        title=(Link(p.link, title),) if p.link else rich(title),
        body=rich((p.description or "")[:2000]),
        fields=(
            Field(
                rich("Supervisor" + ("s" if len(p.supervisors) > 1 else "")),
                rich(", ".join(p.supervisors)),
                True,
            ),
            Field(rich("Groups"), rich(places), True),
        ),
        footer=rich(f"key: {p.key}" + (f" - {interest} interested" if interest else "")),
        tone=Tone.NOTICE,
    )


def _cards(state: ProjectState, keys: Sequence[str], interest: Mapping[str, int]) -> tuple[Card, ...]:
    return tuple(card(state, state.proposal(k), interest.get(k, 0)) for k in keys)


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
        head = ""
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
        keys = [p.key for p in chunk]
        actions = Actions("project-cards", {"keys": keys, "groups": n == len(chunks) - 1})
        posts.append(stored(Message(rich(head), _cards(state, keys, interest), actions=actions)))
    return posts


def recounted(state: ProjectState, posted: Message, interest: Mapping[str, int]) -> Message:
    """Proposal cards already posted, with today's places and interest (their text and buttons kept)."""
    keys = posted.actions.args.get("keys", []) if posted.actions else []
    return replace(posted, cards=_cards(state, keys, interest))


def group_line(state: ProjectState, g: Group) -> Rich:
    """One group in the status view."""
    title, sup = project_of(state, g)
    size = f"{len(g.members)}/{state.rules.max_size}"
    low = " - below the minimum" if len(g.members) < state.rules.min_size else ""
    return rich(
        bold(typed(g.name)), f" (code `{g.code}`, {size}{low}): ", who(g.members), "\n  ", title, f" - {sup}"
    )


def room_welcome(state: ProjectState, group: Group, chat: str | None) -> dict[str, Any]:
    """The first post in a group's room: members, project, supervisor, the weekly chat."""
    title, sup = project_of(state, group)
    text = rich(
        "Welcome, ",
        bold(typed(group.name)),
        ": ",
        who(group.members),
        ".\nProject: ",
        title,
        f"\nSupervisor: {sup}\n",
        f"Weekly supervisor chat: {chat}; I remind you here beforehand.\n" if chat else "",
        "This room is private to your group and your supervisor.",
    )
    return stored(Message(text, mentions=tuple(group.members)))
