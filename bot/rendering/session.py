"""Session posts as outbox payloads: run-of-show, phase starts, warnings, changes, the end.

A payload is plain JSON (`content`, `embeds` as Discord embed dicts, `mentions` user ids allowed to be
pinged, optional `view`), so it can be stored before it is sent and sent again unchanged after a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import discord

from bot.core.timeline import Position, Step, Timeline, phase_blocks
from bot.rendering.inert import inert_link
from bot.rendering.time import duration, stamp

MAX_PING_LINE = 1500  # characters of user mentions one post may carry (content is at most 2000)
RUNNING = discord.Colour.green()
WARNING = discord.Colour.orange()
OVER = discord.Colour.light_grey()
NOTICE = discord.Colour.blurple()


def payload(
    content: str | None = None,
    embed: discord.Embed | None = None,
    mentions: Sequence[int] = (),
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A storable message: content, embeds, who may be pinged, and a persistent view to attach."""
    return {
        "content": content,
        "embeds": [embed.to_dict()] if embed is not None else [],
        "mentions": sorted(set(mentions)),
        "view": view,
    }


def pings(user_ids: Sequence[int]) -> str:
    """Mentions of the given users, in a stable order."""
    return " ".join(f"<@{uid}>" for uid in sorted(set(user_ids)))


def _ends(end: datetime) -> str:
    return f"{stamp(end, 't')} ({stamp(end, 'R')})"


def run_of_show(plan_name: str, timeline: Timeline, phase_names: dict[str, str]) -> dict[str, Any]:
    """The whole afternoon at a glance, every start as a timestamp in the reader's own zone."""
    lines = []
    for key, name, start, end, slots in phase_blocks(timeline):
        label = phase_names.get(key, name)
        extra = f" ({slots} talks of {duration((end - start) / max(slots, 1))})" if slots else ""
        lines.append(f"{stamp(start, 't')}-{stamp(end, 't')} **{label}**{extra}")
    embed = discord.Embed(
        title=f"Run-of-show: {plan_name}",
        description="\n".join(lines),
        colour=NOTICE,
    )
    embed.set_footer(text="Times are shown in your own time zone.")
    begins = timeline.started_at
    return payload(f"The session starts {stamp(begins, 'R')} ({stamp(begins, 'F')}).", embed)


@dataclass(frozen=True)
class Audience:
    """One place a phase post goes: a channel or thread, the people it pings, and who they are."""

    channel_id: int
    label: str  # "" for the class channel, else e.g. "ControlNet - Reviewers"
    user_ids: tuple[int, ...] = ()
    ping_role: str | None = None  # a role to ping (by name) instead of naming everyone


@dataclass(frozen=True)
class SlotInfo:
    """What a presentation slot shows: who presents and their group's slides link."""

    presenters: tuple[int, ...]
    slides: str | None
    next_name: str | None


def announce(
    step: Step,
    text: str,
    window: tuple[datetime, datetime],
    *,
    audience: Audience,
    late: timedelta,
    missed: Sequence[str],
    previous: str | None,
    next_step: tuple[str, datetime] | None,
    slot: SlotInfo | None = None,
    view: dict[str, Any] | None = None,
    again: Position | None = None,
    later: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A step has started: what to do, when it ends (live countdown), what is next.

    `again` is where the session stands when the step restarts (`/session back`): the post then says
    "Back to ..." with the new end, and `later` lists the new times of the steps that follow.
    """
    _, end = window
    lines = []
    if again is not None:
        lines.append(back_line(step, end, again))
    if previous:
        lines.append(f"Time's up for **{previous}**.")
    if slot is not None:
        who = ", ".join(f"<@{u}>" for u in slot.presenters) or "nobody assigned"
        slides = inert_link(slot.slides) if slot.slides else "no slides submitted"
        after = f"; next: {slot.next_name}" if slot.next_name else ""
        lines.append(f"**Now: {step.name}** ({who}), slides: {slides}{after}")
    elif audience.user_ids:
        lines.append(pings(audience.user_ids))
    embed = discord.Embed(title=f"Now: {step.name}", description=text or None, colour=RUNNING)
    embed.add_field(name="Ends", value=_ends(end), inline=True)
    if late > timedelta():
        embed.add_field(
            name="Started late",
            value=f"This started {duration(late)} ago while I was away; it still ends {stamp(end, 'R')}.",
            inline=False,
        )
    if missed:
        embed.add_field(name="Already over", value=", ".join(missed)[:1000], inline=False)
    if next_step is not None:
        name, at = next_step
        embed.add_field(name="Next", value=f"{name} at {stamp(at, 't')}", inline=True)
    if later:
        embed.add_field(name="New times", value="\n".join(later), inline=False)
    if audience.label:
        embed.set_footer(text=audience.label)
    mentions = [*audience.user_ids, *(slot.presenters if slot else ())]
    body = payload("\n".join(lines) or None, embed, mentions, view)
    if audience.ping_role:
        body["ping_role"] = audience.ping_role
    return body


def mark_over(original: dict[str, Any], ended: datetime) -> dict[str, Any]:
    """The edit that marks an earlier phase post as over, so the channel reads cleanly afterwards."""
    embeds = []
    for data in original.get("embeds", []):
        embed = discord.Embed.from_dict(data)
        embed.title = f"Over: {(embed.title or '').removeprefix('Now: ')}"
        embed.colour = OVER
        embed.clear_fields()
        embed.add_field(name="Ended", value=stamp(ended, "t"), inline=True)
        embeds.append(embed.to_dict())
    return {"content": original.get("content"), "embeds": embeds, "mentions": [], "view": None}


def warning(step: Step, end: datetime, remaining: timedelta, audience: Audience) -> dict[str, Any]:
    """A phase ends soon."""
    text = f"**{duration(remaining)} left** of {step.name}: it ends {stamp(end, 'R')} ({stamp(end, 't')})."
    return payload(text, mentions=())


def finished(last: str | None, missed: Sequence[str], stopped: bool) -> dict[str, Any]:
    """The session is over."""
    lines = []
    if last:
        lines.append(f"Time's up for **{last}**.")
    lines.append("The session was stopped." if stopped else "That's the end of the session. Thank you all!")
    if missed:
        lines.append(f"Also over: {', '.join(missed)}.")
    return payload("\n".join(lines))


def back_line(step: Step, end: datetime, position: Position) -> str:
    """The line that tells the class a step runs again after `/session back`, and until when."""
    if position.state == "paused":
        left = duration(position.remaining or timedelta())
        return f"Back to **{step.name}**: the clock is paused, {left} left when it restarts."
    return f"Back to **{step.name}**: it now ends {stamp(end, 'R')} ({stamp(end, 't')})."


def later_times(timeline: Timeline, index: int, limit: int = 6) -> list[str]:
    """The new start times of the steps after `index` (at most `limit`), one line each."""
    pairs = list(zip(timeline.steps, timeline.windows(), strict=True))[index + 1 :]
    return [f"{stamp(start, 't')} {step.name}" for step, (start, _) in pairs[:limit]]


def change_notice(headline: str, timeline: Timeline, position: Position, limit: int = 6) -> dict[str, Any]:
    """A change to the clock (pause, resume, extend, back), with the new times of what follows."""
    embed = discord.Embed(title=headline, colour=NOTICE)
    if position.step is not None and position.end is not None:
        if position.state == "paused":
            embed.description = f"**{position.step.name}**: {duration(position.remaining or timedelta())} left when the clock restarts."
        else:
            embed.description = f"**{position.step.name}** now ends {_ends(position.end)}."
    upcoming = later_times(timeline, position.index, limit)
    if upcoming and position.state != "paused":
        embed.add_field(name="New times", value="\n".join(upcoming), inline=False)
    if position.state != "paused":
        embed.set_footer(text="Later phases have moved accordingly.")
        embed.add_field(name="Session ends", value=stamp(timeline.ends_at, "t"), inline=True)
    return payload(None, embed)


def status_embed(plan_name: str, timeline: Timeline, position: Position) -> discord.Embed:
    """`/session status`: the current phase, time left, what is next, and whether the clock is paused."""
    embed = discord.Embed(title=f"Session: {plan_name}", colour=RUNNING)
    if position.state == "scheduled":
        embed.description = f"Starts {stamp(timeline.started_at, 'R')} ({stamp(timeline.started_at, 't')})."
    elif position.step is None:
        embed.description = "The session is over."
        embed.colour = OVER
    else:
        left = duration(position.remaining or timedelta())
        if position.state == "paused":
            embed.description = f"**Paused** during **{position.step.name}** ({left} left when resumed)."
            embed.colour = WARNING
        else:
            assert position.end is not None
            embed.description = f"Now: **{position.step.name}**, {left} left, ends {_ends(position.end)}."
    if position.next_step is not None and 0 <= position.index + 1 < len(timeline.steps):
        start = timeline.windows()[position.index + 1][0]
        when = "after the pause" if position.state == "paused" else stamp(start, "t")
        embed.add_field(name="Next", value=f"{position.next_step.name} ({when})", inline=False)
    embed.add_field(name="Session ends", value=stamp(timeline.ends_at, "t"), inline=True)
    embed.add_field(
        name="Progress", value=f"step {max(position.index + 1, 0)} of {len(timeline.steps)}", inline=True
    )
    return embed
