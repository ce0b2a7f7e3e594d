"""A platform-neutral `Message` (bot.core.message) as Discord shows it: Markdown, embeds, pings, a view.

Conductor's own words (`Plain`) go as written; whatever a user typed (`UserText`, `Code`) goes through
the one escaping path (`bot.adapters.discord.inert`); times are Discord timestamps each reader sees in
their own zone; a card is an embed coloured by its tone. The result is the payload the outbox has always
sent (`content`, `embeds` as dicts, `mentions`, `view`, `ping_role`), cut to Discord's limits by
`fit_message` where it is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import discord

from bot.adapters.discord.inert import inert_code, inert_link, inert_text
from bot.core.message import (
    Card,
    ChannelRef,
    Code,
    Em,
    Link,
    Mention,
    Message,
    Plain,
    Rich,
    Strong,
    Time,
    TimeStyle,
    Tone,
    UserText,
    from_json,
    printable,
)

COLOURS: dict[Tone, discord.Colour | None] = {
    Tone.NOTICE: discord.Colour.blurple(),
    Tone.RUNNING: discord.Colour.green(),
    Tone.WARNING: discord.Colour.orange(),
    Tone.OVER: discord.Colour.light_grey(),
    Tone.CARD: discord.Colour.gold(),
    Tone.NEUTRAL: None,
}


def markdown(text: Rich) -> str:
    """Rich text as Discord Markdown: user text escaped, people as mentions, times as timestamps."""
    out: list[str] = []
    for node in text:
        match node:
            case Plain(text=t):
                out.append(t)
            case UserText(text=t, link=True):
                out.append(inert_link(t))
            case UserText(text=t, multiline=multiline, limit=limit):
                out.append(inert_text(t, limit, multiline=multiline))
            case Code(text=t):
                shown = inert_code(t)  # an empty span (``) would join the next one into a code block
                out.append(f"`{shown}`" if shown else "—")
            case Strong(children=c):
                out.append(f"**{markdown(c)}**")
            case Em(children=c):
                out.append(f"*{markdown(c)}*")
            case Mention(user_id=u):
                out.append(f"<@{u}>")
            case ChannelRef(channel_id=c_id):
                out.append(f"<#{c_id}>")
            case Link(url=url, label=label):
                out.append(f"[{label}]({url})" if label else url)
            case Time(at=at, style=style):
                out.append(discord.utils.format_dt(at, style.value))
    return "".join(out)


def _preformatted(lines: Sequence[str]) -> str:
    """Monospaced lines in a code block that nothing in them can close."""
    shown = (printable(line).replace("`", "'") for line in lines)
    return "```\n" + "\n".join(shown) + "\n```"


def embed(card: Card) -> discord.Embed:
    """A card as an embed: a title that is one link becomes the embed's link."""
    title, url = markdown(card.title), None
    if len(card.title) == 1 and isinstance(card.title[0], Link):
        title, url = card.title[0].label or card.title[0].url, card.title[0].url
    description = markdown(card.body)
    if card.preformatted:
        block = _preformatted(card.preformatted)
        description = f"{description}\n{block}" if description else block
    out = discord.Embed(
        title=title or None, description=description or None, url=url, colour=COLOURS[card.tone]
    )
    for field in card.fields:
        out.add_field(name=markdown(field.name), value=markdown(field.value), inline=field.inline)
    if card.footer:
        out.set_footer(text=markdown(card.footer))
    return out


def payload(message: Message) -> dict[str, Any]:
    """A message as the outbox sends it: content, embeds as dicts, who may be pinged, the view by name."""
    body: dict[str, Any] = {
        "content": markdown(message.text) or None,
        "embeds": [embed(card).to_dict() for card in message.cards],
        "mentions": sorted(set(message.mentions)),
        "view": None
        if message.actions is None
        else {"name": message.actions.name, "args": dict(message.actions.args)},
    }
    if message.ping_group:
        body["ping_role"] = message.ping_group
    return body


def stored_payload(stored: Mapping[str, Any]) -> dict[str, Any]:
    """An outbox payload ready to send: its message rendered, its envelope (target, notify...) kept.

    A post stored by an older version (`content` and `embeds`, no `message`) is sent as it was stored.
    """
    if "message" not in stored:
        return dict(stored)
    envelope = {k: v for k, v in stored.items() if k != "message"}
    return {**envelope, **payload(from_json(stored["message"]))}


def allowed_mentions(user_ids: Sequence[int]) -> discord.AllowedMentions:
    """Ping exactly these users; never @everyone, roles, or anyone a user typed."""
    users = [discord.Object(uid) for uid in user_ids]
    return discord.AllowedMentions(everyone=False, roles=False, users=users, replied_user=False)


def as_answer(message: Message) -> tuple[str, list[discord.Embed]]:
    """A message as an interaction answer: its text and its embeds (the view is the caller's)."""
    return markdown(message.text), [embed(card) for card in message.cards]


def stamp(when: datetime, style: str = "t") -> str:
    """A Discord timestamp (`<t:UNIX:STYLE>`) for an aware datetime, shown in each reader's own zone."""
    if when.tzinfo is None:
        raise ValueError("timestamps need aware datetimes")
    return markdown((Time(when, TimeStyle(style)),))
