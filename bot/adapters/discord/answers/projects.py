"""`/project list`, `/project status` and a group's own proposal, for the instructor and students."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import discord

from bot.adapters.discord.inert import inert_text
from bot.adapters.discord.render import markdown
from bot.core.projects import Group, GroupStatus, ProjectState
from bot.messages.projects import group_line, who

COLOUR = 0x2B6CB0


def inert(text: str) -> str:
    """User-typed text shown as typed (multi-line), through the one escaping path."""
    return inert_text(text, multiline=True)


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
    return discord.Embed(title="Project proposals", description="\n".join(lines)[:4000], color=COLOUR)


def status_pages(state: ProjectState, students: Sequence[int]) -> list[list[discord.Embed]]:
    """The instructor's view, in messages under Discord's limits: every group, then proposals with free
    places, own projects waiting and students without a group."""
    groups = sorted(state.groups, key=lambda g: g.name.casefold())
    chunks: list[str] = []
    for g in groups:
        line = markdown(group_line(state, g))
        if chunks and len(chunks[-1]) + len(line) + 1 <= 2000:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line[:4000])
    embeds = [
        discord.Embed(title="Project groups" if i == 0 else None, description=text, color=COLOUR)
        for i, text in enumerate(chunks or ["No groups yet."])
    ]
    waiting = [g for g in groups if g.status == GroupStatus.WAITING]
    free = [f"`{p.key}` ({p.max_groups - state.taken(p.key)} free)" for p in state.free()]
    grouped = {u for g in state.groups for u in g.members}
    alone = [u for u in students if u not in grouped]
    summary = discord.Embed(color=COLOUR)
    summary.add_field(name="Proposals with free places", value=_fit(", ".join(free)) or "none", inline=False)
    own = "\n".join(f"**{inert(g.name)}**: {inert(g.own.title)}" for g in waiting if g.own)
    summary.add_field(
        name=f"Own projects waiting for approval ({len(waiting)})", value=_fit(own) or "none", inline=False
    )
    summary.add_field(
        name=f"Students without a group ({len(alone)})", value=_fit(markdown(who(alone))), inline=False
    )
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
        title=inert(group.own.title)[:256], description=inert(group.own.abstract)[:4000], color=COLOUR
    )
    embed.set_footer(text=f"Group: {group.name}"[:2048])
    return embed
