"""Session posts: run-of-show, phase starts, warnings, changes to the clock, the end, and `/session status`.

Every time is a `Time`, shown in each reader's own zone (and counting down where it is relative); the
configuration's names and texts are Conductor's own words; the people a post pings are its `mentions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.core.durations import duration
from bot.core.message import (
    Actions,
    Card,
    Field,
    Mention,
    Message,
    Plain,
    Rich,
    Time,
    TimeStyle,
    Tone,
    UserText,
    bold,
    joined,
    lines,
    rich,
)
from bot.core.timeline import Position, Step, Timeline, phase_blocks
from bot.messages.outbox import message_of, stored
from bot.messages.sizes import shown_length

MAX_PING_LINE = 1500  # characters of user mentions one post may carry (a post's text is at most 2000)
R = TimeStyle.RELATIVE


def pings(user_ids: Sequence[int]) -> Rich:
    """Mentions of the given users, in a stable order."""
    return joined([(Mention(u),) for u in sorted(set(user_ids))], " ")


def too_many_to_name(user_ids: Sequence[int]) -> bool:
    """Whether naming everyone would take more of a post than one line of pings may (then ping a group)."""
    return shown_length(pings(user_ids)) > MAX_PING_LINE


def _ends(end: datetime) -> Rich:
    return rich(Time(end), " (", Time(end, R), ")")


def run_of_show(plan_name: str, timeline: Timeline, phase_names: dict[str, str]) -> dict[str, Any]:
    """The whole afternoon at a glance, every start as a time in the reader's own zone."""
    rows = []
    for key, name, start, end, slots in phase_blocks(timeline):
        label = phase_names.get(key, name)
        extra = f" ({slots} talks of {duration((end - start) / max(slots, 1))})" if slots else ""
        rows.append(rich(Time(start), "-", Time(end), " ", bold(label), extra))
    card = Card(
        title=rich(f"Run-of-show: {plan_name}"),
        body=lines(*rows),
        footer=rich("Times are shown in your own time zone."),
        tone=Tone.NOTICE,
    )
    begins = timeline.started_at
    text = rich("The session starts ", Time(begins, R), " (", Time(begins, TimeStyle.LONG_DATETIME), ").")
    return stored(Message(text, (card,)))


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
    later: Sequence[Rich] | None = None,
) -> dict[str, Any]:
    """A step has started: what to do, when it ends (live countdown), what is next.

    `again` is where the session stands when the step restarts (`/session back`): the post then says
    "Back to ..." with the new end, and `later` lists the new times of the steps that follow.
    """
    _, end = window
    rows: list[Rich] = []
    if again is not None:
        rows.append(back_line(step, end, again))
    if previous:
        rows.append(rich("Time's up for ", bold(previous), "."))
    if slot is not None:
        who = joined([(Mention(u),) for u in slot.presenters]) or rich("nobody assigned")
        slides = rich(UserText(slot.slides, link=True)) if slot.slides else rich("no slides submitted")
        after = f"; next: {slot.next_name}" if slot.next_name else ""
        rows.append(rich(bold(f"Now: {step.name}"), " (", who, "), slides: ", slides, after))
    elif audience.user_ids:
        rows.append(pings(audience.user_ids))
    fields = [Field(rich("Ends"), _ends(end), inline=True)]
    if late > timedelta():
        said = rich(f"This started {duration(late)} ago while I was away; it still ends ", Time(end, R), ".")
        fields.append(Field(rich("Started late"), said))
    if missed:
        fields.append(Field(rich("Already over"), rich(", ".join(missed)[:1000])))
    if next_step is not None:
        name, at = next_step
        fields.append(Field(rich("Next"), rich(f"{name} at ", Time(at)), inline=True))
    if later:
        fields.append(Field(rich("New times"), lines(*later)))
    card = Card(
        title=rich(f"Now: {step.name}"),
        body=rich(text),
        fields=tuple(fields),
        footer=rich(audience.label),
        tone=Tone.RUNNING,
    )
    actions = None if view is None else Actions(view["name"], view.get("args", {}))
    mentions = (*audience.user_ids, *(slot.presenters if slot else ()))
    message = Message(lines(*rows), (card,), mentions, audience.ping_role, actions)
    return stored(message)


def _over(title: Rich) -> Rich:
    """A phase post's title once over: "Now: X" becomes "Over: X"."""
    if title and isinstance(title[0], Plain):
        title = (Plain(title[0].text.removeprefix("Now: ")), *title[1:])
    return rich("Over: ", title)


def mark_over(original: dict[str, Any], ended: datetime) -> dict[str, Any]:
    """The edit that marks an earlier phase post as over, so the channel reads cleanly afterwards."""
    message = message_of(original)
    ended_field = (Field(rich("Ended"), rich(Time(ended)), inline=True),)
    cards = tuple(
        replace(card, title=_over(card.title), tone=Tone.OVER, fields=ended_field) for card in message.cards
    )
    return stored(Message(message.text, cards))


def warning(step: Step, end: datetime, remaining: timedelta, audience: Audience) -> dict[str, Any]:
    """A phase ends soon."""
    text = rich(
        bold(f"{duration(remaining)} left"), f" of {step.name}: it ends ", Time(end, R), " (", Time(end), ")."
    )
    return stored(Message(text))


def finished(last: str | None, missed: Sequence[str], stopped: bool) -> dict[str, Any]:
    """The session is over."""
    rows = []
    if last:
        rows.append(rich("Time's up for ", bold(last), "."))
    rows.append(
        rich("The session was stopped." if stopped else "That's the end of the session. Thank you all!")
    )
    if missed:
        rows.append(rich(f"Also over: {', '.join(missed)}."))
    return stored(Message(lines(*rows)))


def back_line(step: Step, end: datetime, position: Position) -> Rich:
    """The line that tells the class a step runs again after `/session back`, and until when."""
    if position.state == "paused":
        left = duration(position.remaining or timedelta())
        return rich("Back to ", bold(step.name), f": the clock is paused, {left} left when it restarts.")
    return rich("Back to ", bold(step.name), ": it now ends ", Time(end, R), " (", Time(end), ").")


def later_times(timeline: Timeline, index: int, limit: int = 6) -> list[Rich]:
    """The new start times of the steps after `index` (at most `limit`), one line each."""
    pairs = list(zip(timeline.steps, timeline.windows(), strict=True))[index + 1 :]
    return [rich(Time(start), f" {step.name}") for step, (start, _) in pairs[:limit]]


def change_notice(headline: str, timeline: Timeline, position: Position, limit: int = 6) -> dict[str, Any]:
    """A change to the clock (pause, resume, extend, back), with the new times of what follows."""
    body: Rich = ()
    if position.step is not None and position.end is not None:
        if position.state == "paused":
            left = duration(position.remaining or timedelta())
            body = rich(bold(position.step.name), f": {left} left when the clock restarts.")
        else:
            body = rich(bold(position.step.name), " now ends ", _ends(position.end), ".")
    fields = []
    upcoming = later_times(timeline, position.index, limit)
    if upcoming and position.state != "paused":
        fields.append(Field(rich("New times"), lines(*upcoming)))
    footer: Rich = ()
    if position.state != "paused":
        footer = rich("Later phases have moved accordingly.")
        fields.append(Field(rich("Session ends"), rich(Time(timeline.ends_at)), inline=True))
    card = Card(title=rich(headline), body=body, fields=tuple(fields), footer=footer, tone=Tone.NOTICE)
    return stored(Message(cards=(card,)))


def status(plan_name: str, timeline: Timeline, position: Position) -> Message:
    """`/session status`: the current phase, time left, what is next, and whether the clock is paused."""
    tone = Tone.RUNNING
    if position.state == "scheduled":
        body = rich("Starts ", Time(timeline.started_at, R), " (", Time(timeline.started_at), ").")
    elif position.step is None:
        body, tone = rich("The session is over."), Tone.OVER
    else:
        left = duration(position.remaining or timedelta())
        if position.state == "paused":
            body = rich(bold("Paused"), " during ", bold(position.step.name), f" ({left} left when resumed).")
            tone = Tone.WARNING
        else:
            assert position.end is not None
            body = rich("Now: ", bold(position.step.name), f", {left} left, ends ", _ends(position.end), ".")
    fields = []
    if position.next_step is not None and 0 <= position.index + 1 < len(timeline.steps):
        start = timeline.windows()[position.index + 1][0]
        when = rich("after the pause") if position.state == "paused" else rich(Time(start))
        fields.append(Field(rich("Next"), rich(f"{position.next_step.name} (", when, ")")))
    fields.append(Field(rich("Session ends"), rich(Time(timeline.ends_at)), inline=True))
    progress = f"step {max(position.index + 1, 0)} of {len(timeline.steps)}"
    fields.append(Field(rich("Progress"), rich(progress), inline=True))
    card = Card(title=rich(f"Session: {plan_name}"), body=body, fields=tuple(fields), tone=tone)
    return Message(cards=(card,))
