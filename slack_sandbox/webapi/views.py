"""views.open, views.push and views.update: modals, opened with a trigger id within 3 s of an action."""

from __future__ import annotations

from typing import Any

from ..blockkit import view_problems
from ..elements import with_ids
from ..errors import SlackError, invalid_arguments
from ..modals import MAX_STACK, View, new_hash
from ..ratelimits import Tier
from ..workspace import SightKind
from .call import Call, method


def _definition(call: Call) -> dict[str, Any]:
    view = call.structured("view", error="invalid_arguments")
    if view is None:
        raise invalid_arguments("[ERROR] missing required field: view")
    problems = view_problems(view)
    if problems:
        raise invalid_arguments(*problems)
    assert isinstance(view, dict)
    view = {**view, "blocks": with_ids(view.get("blocks"))}
    external_id = view.get("external_id")
    if external_id and call.sandbox.modals.by_external_id(str(external_id)) is not None:
        raise SlackError("duplicate_external_id")
    return view


def _trigger(call: Call) -> tuple[str, str | None]:
    """The member a trigger id was issued to, and the view it came from; Slack's errors otherwise."""
    tid = call.arg("trigger_id") or call.arg("interactivity_pointer")
    trigger = call.sandbox.modals.triggers.get(tid or "")
    if trigger is None:
        raise SlackError("invalid_trigger_id")
    if call.sandbox.clock.monotonic() - trigger.issued > call.sandbox.trigger_lifetime:
        raise SlackError("expired_trigger_id")
    if trigger.used:
        raise SlackError("exchanged_trigger_id")
    trigger.used = True
    return trigger.user, trigger.view_id


def _answer(call: Call, view: View) -> dict[str, Any]:
    return {"ok": True, "view": view.payload(call.ws.team.id, call.sandbox.app_id, call.bot.bot_id)}


def new_view(call: Call, user: str, definition: dict[str, Any]) -> View:
    """A view to show a member."""
    vid = call.ws.ids.next("V")
    return View(vid, user, definition, new_hash(), root_view_id=vid)


@method("views.open", Tier.TIER_4)
def views_open(call: Call) -> dict[str, Any]:
    """Open a modal for the member whose action issued the trigger id."""
    definition = _definition(call)
    user, _ = _trigger(call)
    view = new_view(call, user, definition)
    call.sandbox.modals.open(view, push=False)
    call.ws.see(SightKind.MODAL_OPENED, [user], view_id=view.id)
    return _answer(call, view)


@method("views.push", Tier.TIER_4)
def views_push(call: Call) -> dict[str, Any]:
    """Put a modal on top of the one the member acted in (at most 3 deep)."""
    definition = _definition(call)
    user, from_view = _trigger(call)
    top = call.sandbox.modals.top(user)
    if from_view is None or top is None:
        raise SlackError("not_found")
    if len(call.sandbox.modals.stacks[user]) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    view = new_view(call, user, definition)
    call.sandbox.modals.open(view, push=True)
    call.ws.see(SightKind.MODAL_PUSHED, [user], view_id=view.id)
    return _answer(call, view)


@method("views.update", Tier.TIER_4)
def views_update(call: Call) -> dict[str, Any]:
    """Change an open modal, by `view_id` or `external_id`; a stale `hash` is refused."""
    modals = call.sandbox.modals
    vid, external_id = call.arg("view_id"), call.arg("external_id")
    view = modals.views.get(vid) if vid else modals.by_external_id(external_id) if external_id else None
    if view is None or not view.open:
        raise SlackError("not_found")
    given = call.arg("hash")
    if given and given != view.hash:
        raise SlackError("hash_conflict")
    definition = call.structured("view", error="invalid_arguments")
    problems = view_problems(definition)
    if problems:
        raise invalid_arguments(*problems)
    assert isinstance(definition, dict)
    view.replace({**definition, "blocks": with_ids(definition.get("blocks"))})
    call.ws.see(SightKind.MODAL_UPDATED, [view.user], view_id=view.id)
    return _answer(call, view)
