"""The buttons and menus a message carries (`Message.actions`), as Slack Block Kit elements, and back.

Each named view of the Discord front end has one builder here. An element's `action_id` is
`conductor:<name>:<verb>` and its `value` the compact JSON of what it acts on, so a click that arrives
after a restart says everything needed (`read_action`). Labels and values are kept within Slack's limits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.adapters.slack import limits
from bot.adapters.slack.mrkdwn import clean

PREFIX = "conductor"


class View(StrEnum):
    """The named sets of buttons (the names the outbox stores, as the Discord side registers them)."""

    CHECKIN = "checkin"
    ROLE_CARD = "role-card"
    SHOW_ROLE = "show-role"
    SUBMIT_SLIDES = "submit-slides"
    PROJECT_CARDS = "project-cards"
    ASSIGN_PREVIEW = "assign-preview"
    ASSIGN_REPLACE = "assign-replace"


class Verb(StrEnum):
    """What pressing (or picking) does."""

    HERE = "here"  # check in
    ACK = "ack"  # "Got it" on a role card
    FORM = "form"  # open the role's form
    SHOW = "show"  # show my role card, only to me
    SLIDES = "slides"  # open the slides link form
    CHOOSE = "choose"  # choose a proposal for my group
    INTEREST = "interest"  # note interest in a proposal
    CREATE = "create"  # open the create-a-group form
    JOIN = "join"  # open the join-with-a-code form
    CONFIRM = "confirm"
    RESHUFFLE = "reshuffle"
    CANCEL = "cancel"
    REPLACE = "replace"  # make a new assignment over a confirmed one
    KEEP = "keep"  # keep the confirmed one


class Style(StrEnum):
    """A button's colour."""

    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True)
class Pressed:
    """A click or pick read back from Slack: which view, what it does, and what it acts on."""

    view: View
    verb: Verb
    args: dict[str, Any]


@dataclass(frozen=True)
class Built:
    """The elements of one actions block, and what had to be cut or left out to fit."""

    elements: tuple[dict[str, Any], ...]
    cuts: tuple[str, ...] = ()


def action_id(view: View, verb: Verb) -> str:
    """`conductor:<view>:<verb>`."""
    return f"{PREFIX}:{view.value}:{verb.value}"


def encode(args: Mapping[str, Any]) -> str:
    """What an element acts on, as compact JSON (keys sorted, so the same args give the same value)."""
    return json.dumps(dict(args), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _label(text: str, cuts: list[str]) -> dict[str, Any]:
    shown, was_cut = limits.cut_plain(clean(text), limits.BUTTON_TEXT_MAX)
    if was_cut:
        cuts.append(f"button label cut to {limits.BUTTON_TEXT_MAX} characters")
    return {"type": "plain_text", "text": shown or "…", "emoji": True}


def button(
    view: View, verb: Verb, label: str, args: Mapping[str, Any], cuts: list[str], style: Style = Style.DEFAULT
) -> dict[str, Any] | None:
    """A button, or None (said in `cuts`) when what it acts on does not fit Slack's value limit."""
    value = encode(args)
    if len(value) > limits.VALUE_MAX:
        cuts.append(f"{action_id(view, verb)} left out: its value is over {limits.VALUE_MAX} characters")
        return None
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id(view, verb),
        "text": _label(label, cuts),
        "value": value,
    }
    if style is not Style.DEFAULT:
        element["style"] = style.value
    return element


def select(
    view: View,
    verb: Verb,
    placeholder: str,
    options: Sequence[tuple[str, Mapping[str, Any]]],
    cuts: list[str],
) -> dict[str, Any] | None:
    """A static menu of (label, args) options, or None when no option fits; extra options are left out."""
    out = []
    for label, args in options:
        value = encode(args)
        if len(value) > limits.OPTION_VALUE_MAX:
            cuts.append(
                f"{action_id(view, verb)}: an option is left out (value over {limits.OPTION_VALUE_MAX})"
            )
            continue
        out.append({"text": _label(label, cuts), "value": value})
    if len(out) > limits.OPTIONS_MAX:
        cuts.append(f"{action_id(view, verb)}: {len(out) - limits.OPTIONS_MAX} options left out")
        out = out[: limits.OPTIONS_MAX]
    if not out:
        return None
    shown, _ = limits.cut_plain(placeholder, limits.PLACEHOLDER_MAX)
    return {
        "type": "static_select",
        "action_id": action_id(view, verb),
        "placeholder": {"type": "plain_text", "text": shown, "emoji": True},
        "options": out,
    }


# --- one builder per named view -----------------------------------------------------------------------

Builder = Callable[[Mapping[str, Any], Mapping[str, str], list[str]], list[dict[str, Any] | None]]


def _session(args: Mapping[str, Any]) -> dict[str, Any]:
    return {"session": args["session"]}


def _checkin(
    args: Mapping[str, Any], labels: Mapping[str, str], cuts: list[str]
) -> list[dict[str, Any] | None]:
    return [button(View.CHECKIN, Verb.HERE, "I'm here", _session(args), cuts, Style.PRIMARY)]


def _role_card(
    args: Mapping[str, Any], labels: Mapping[str, str], cuts: list[str]
) -> list[dict[str, Any] | None]:
    out = [button(View.ROLE_CARD, Verb.ACK, "Got it", _session(args), cuts, Style.PRIMARY)]
    if args.get("form"):
        out.append(button(View.ROLE_CARD, Verb.FORM, str(args["form"]), _session(args), cuts))
    return out


def _show_role(
    args: Mapping[str, Any], labels: Mapping[str, str], cuts: list[str]
) -> list[dict[str, Any] | None]:
    return [button(View.SHOW_ROLE, Verb.SHOW, "Show my role", _session(args), cuts, Style.PRIMARY)]


def _submit_slides(
    args: Mapping[str, Any], labels: Mapping[str, str], cuts: list[str]
) -> list[dict[str, Any] | None]:
    return [button(View.SUBMIT_SLIDES, Verb.SLIDES, "Submit slides", _session(args), cuts, Style.PRIMARY)]


def _project_cards(
    args: Mapping[str, Any], labels: Mapping[str, str], cuts: list[str]
) -> list[dict[str, Any] | None]:
    keys = [str(k) for k in args.get("keys", [])]
    options = [(labels.get(k, k), {"proposal": k}) for k in keys]
    out = [
        select(View.PROJECT_CARDS, Verb.CHOOSE, "Choose this project for my group", options, cuts),
        select(View.PROJECT_CARDS, Verb.INTEREST, "I'm interested in...", options, cuts),
    ]
    if args.get("groups"):
        out.append(button(View.PROJECT_CARDS, Verb.CREATE, "Create a group", {}, cuts, Style.PRIMARY))
        out.append(button(View.PROJECT_CARDS, Verb.JOIN, "Join with a code", {}, cuts, Style.PRIMARY))
    return out


def _assign_preview(
    args: Mapping[str, Any], labels: Mapping[str, str], cuts: list[str]
) -> list[dict[str, Any] | None]:
    on = {"session": args["session"], "seed": args["seed"]}
    return [
        button(View.ASSIGN_PREVIEW, Verb.CONFIRM, "Confirm", on, cuts, Style.PRIMARY),
        button(View.ASSIGN_PREVIEW, Verb.RESHUFFLE, "Reshuffle", on, cuts),
        button(View.ASSIGN_PREVIEW, Verb.CANCEL, "Cancel", on, cuts, Style.DANGER),
    ]


def _assign_replace(
    args: Mapping[str, Any], labels: Mapping[str, str], cuts: list[str]
) -> list[dict[str, Any] | None]:
    return [
        button(
            View.ASSIGN_REPLACE, Verb.REPLACE, "Make a new assignment", _session(args), cuts, Style.DANGER
        ),
        button(View.ASSIGN_REPLACE, Verb.KEEP, "Keep it", _session(args), cuts),
    ]


BUILDERS: dict[View, Builder] = {
    View.CHECKIN: _checkin,
    View.ROLE_CARD: _role_card,
    View.SHOW_ROLE: _show_role,
    View.SUBMIT_SLIDES: _submit_slides,
    View.PROJECT_CARDS: _project_cards,
    View.ASSIGN_PREVIEW: _assign_preview,
    View.ASSIGN_REPLACE: _assign_replace,
}

#: The verbs each view's elements carry (what `read_action` accepts).
VERBS: dict[View, frozenset[Verb]] = {
    View.CHECKIN: frozenset({Verb.HERE}),
    View.ROLE_CARD: frozenset({Verb.ACK, Verb.FORM}),
    View.SHOW_ROLE: frozenset({Verb.SHOW}),
    View.SUBMIT_SLIDES: frozenset({Verb.SLIDES}),
    View.PROJECT_CARDS: frozenset({Verb.CHOOSE, Verb.INTEREST, Verb.CREATE, Verb.JOIN}),
    View.ASSIGN_PREVIEW: frozenset({Verb.CONFIRM, Verb.RESHUFFLE, Verb.CANCEL}),
    View.ASSIGN_REPLACE: frozenset({Verb.REPLACE, Verb.KEEP}),
}


def build(name: str, args: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> Built:
    """The elements for the named view (`labels`: shown names of option keys, e.g. proposal titles)."""
    cuts: list[str] = []
    try:
        view = View(name)
    except ValueError:
        return Built((), (f"no Slack buttons for {name!r}: left out",))
    try:
        made = BUILDERS[view](args, labels or {}, cuts)
    except (KeyError, TypeError):
        return Built((), (f"the {name!r} buttons lack what they act on ({sorted(args)}): left out",))
    elements = tuple(e for e in made if e is not None)
    if len(elements) > limits.ACTIONS_ELEMENTS_MAX:
        cuts.append(f"{len(elements) - limits.ACTIONS_ELEMENTS_MAX} buttons left out")
        elements = elements[: limits.ACTIONS_ELEMENTS_MAX]
    return Built(elements, tuple(cuts))


def read_action(action: Mapping[str, Any]) -> Pressed | None:
    """The click or pick in one `block_actions` entry, or None when it is not one of Conductor's."""
    parts = str(action.get("action_id", "")).split(":")
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    try:
        view, verb = View(parts[1]), Verb(parts[2])
    except ValueError:
        return None
    if verb not in VERBS[view]:
        return None
    selected = action.get("selected_option")
    raw = selected.get("value") if isinstance(selected, Mapping) else action.get("value")
    try:
        args = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return None
    return Pressed(view, verb, args) if isinstance(args, dict) else None
