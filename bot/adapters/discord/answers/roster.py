"""The class list as an embed: matched students, rows with no member in the server, students not listed."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.adapters.discord.inert import inert_code, inert_text
from bot.core.roster import Known, RosterView

COLOUR = discord.Colour.blurple()


def _listing(parts: Sequence[str], total: int) -> str:
    text = ", ".join(parts) or "nobody"
    if len(text) <= 1024:
        return text
    shown: list[str] = []
    for part in parts:  # whole entries only: a cut one could leave a code span open
        if len(", ".join([*shown, part])) > 990:
            break
        shown.append(part)
    return ", ".join(shown) + f", … ({total} in all)"


def _known(k: Known, with_member: bool) -> str:
    name = inert_text(k.name, 200)
    sid = inert_text(k.student_id, 64)
    who = f"<@{k.user_id}>" if with_member else f"`{inert_code(k.discord, 100)}`"
    return f"{sid} {name} ({who})"


def roster_embed(view: RosterView, title: str = "Class list") -> discord.Embed:
    """Who is known (student id, name, member), who is unmatched either way."""
    embed = discord.Embed(title=title, colour=COLOUR)
    embed.add_field(
        name=f"Matched to a member ({len(view.matched)})",
        value=_listing([_known(k, True) for k in view.matched], len(view.matched)),
        inline=False,
    )
    embed.add_field(
        name=f"In the class list, not in this server ({len(view.not_in_server)})",
        value=_listing([_known(k, False) for k in view.not_in_server], len(view.not_in_server)),
        inline=False,
    )
    embed.add_field(
        name=f"Students on Discord not in the class list ({len(view.not_in_roster)})",
        value=_listing([f"<@{u}>" for u in view.not_in_roster], len(view.not_in_roster)),
        inline=False,
    )
    embed.set_footer(
        text="Rows whose Discord user is not in the server match automatically once they join. "
        "Students not in the class list have no student id in exports: add them and import again."
    )
    return embed
