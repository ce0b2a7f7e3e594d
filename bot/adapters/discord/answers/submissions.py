"""`/links` and `/deliverables`: every group's slides link, every role's form, who is missing."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.adapters.discord.inert import cut, inert_link
from bot.adapters.discord.render import markdown, stamp
from bot.messages.session import pings
from bot.messages.submissions import DeliverableLine, LinkLine

DONE = discord.Colour.green()
MISSING = discord.Colour.orange()
FIELD_MAX = 1024


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
            value = f"no slides submitted\ngroup: {markdown(pings(x.members))}"
        embed.add_field(name=x.label[:256], value=_fit(value), inline=False)
    return embed


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
