"""Block Kit elements as a member's client uses them: find one to press, fill a modal's inputs.

What Slack's client itself enforces (a required input left empty, a text shorter or longer than the
input allows, an option not offered) is raised here as `ValueError`: such a submission never reaches
the app, so a test asking for one is wrong, not the app.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

Pair = tuple[dict[str, Any], dict[str, Any]]  # (block, element)


def elements(blocks: list[dict[str, Any]]) -> Iterator[Pair]:
    """Every interactive element with the block holding it."""
    for block in blocks:
        kind = block.get("type")
        if kind == "actions":
            for el in block.get("elements") or []:
                yield block, el
        elif kind == "section" and isinstance(block.get("accessory"), dict):
            yield block, block["accessory"]
        elif kind == "input" and isinstance(block.get("element"), dict):
            yield block, block["element"]


def find(blocks: list[dict[str, Any]], action_id: str) -> Pair:
    """The element with this action_id (LookupError naming those there are)."""
    found = [(b, e) for b, e in elements(blocks) if e.get("action_id") == action_id]
    if not found:
        have = [e.get("action_id") for _b, e in elements(blocks) if e.get("type") != "image"]
        raise LookupError(f"no element with action_id {action_id!r} (there are {have})")
    return found[0]


def _options(el: dict[str, Any]) -> list[dict[str, Any]]:
    opts = list(el.get("options") or [])
    for group in el.get("option_groups") or []:
        opts.extend(group.get("options") or [])
    return opts


def _option(el: dict[str, Any], value: str) -> dict[str, Any]:
    for opt in _options(el):
        if opt.get("value") == value:
            return opt
    offered = [o.get("value") for o in _options(el)]
    raise ValueError(f"{el.get('action_id')!r} offers no option {value!r} (offered: {offered})")


def _values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def selection(el: dict[str, Any], value: Any) -> dict[str, Any]:
    """The fields Slack sends for a chosen value of an element, in an action or in a view's state."""
    kind = el.get("type")
    if kind in ("static_select", "external_select", "radio_buttons", "overflow"):
        return {"selected_option": None if value is None else _option(el, str(value))}
    if kind in ("multi_static_select", "multi_external_select", "checkboxes"):
        return {"selected_options": [] if value is None else [_option(el, v) for v in _values(value)]}
    simple = {
        "users_select": "selected_user",
        "conversations_select": "selected_conversation",
        "channels_select": "selected_channel",
        "datepicker": "selected_date",
        "timepicker": "selected_time",
        "datetimepicker": "selected_date_time",
    }
    if kind in simple:
        return {simple[kind]: value}
    multi = {
        "multi_users_select": "selected_users",
        "multi_conversations_select": "selected_conversations",
        "multi_channels_select": "selected_channels",
    }
    if kind in multi:
        return {multi[kind]: [] if value is None else _values(value)}
    return {"value": None if value is None else str(value)}


def action(block: dict[str, Any], el: dict[str, Any], value: Any, action_ts: str) -> dict[str, Any]:
    """One entry of `block_actions.actions`."""
    out: dict[str, Any] = {
        "type": el.get("type"),
        "action_id": el.get("action_id"),
        "block_id": block.get("block_id"),
        "action_ts": action_ts,
    }
    if el.get("type") == "button":
        out["text"] = el.get("text")
        if "value" in el:
            out["value"] = el["value"]
        if "style" in el:
            out["style"] = el["style"]
        return out
    if value is None:
        raise ValueError(f"{el.get('action_id')!r} is a {el.get('type')}: say which value is picked")
    if "placeholder" in el:
        out["placeholder"] = el["placeholder"]
    out.update(selection(el, value))
    return out


def _initial(el: dict[str, Any]) -> Any:
    if "initial_value" in el:
        return el["initial_value"]
    if "initial_option" in el:
        return el["initial_option"].get("value")
    if "initial_options" in el:
        return [o.get("value") for o in el["initial_options"]]
    for key in ("initial_user", "initial_conversation", "initial_channel", "initial_date", "initial_time"):
        if key in el:
            return el[key]
    for key in ("initial_users", "initial_conversations", "initial_channels"):
        if key in el:
            return list(el[key])
    return None


def fill(
    blocks: list[dict[str, Any]], given: dict[str, dict[str, Any]]
) -> dict[str, dict[str, dict[str, Any]]]:
    """A view's `state.values` after a member typed `given` ({block_id: {action_id: value}})."""
    inputs = [
        (block, block["element"])
        for block in blocks
        if block.get("type") == "input" and isinstance(block.get("element"), dict)
    ]
    known = {(str(b.get("block_id")), str(e.get("action_id"))) for b, e in inputs}
    unknown = {(b, a) for b, acts in given.items() for a in acts} - known
    if unknown:
        raise ValueError(f"the modal has no input(s) {sorted(unknown)} (it has {sorted(known)})")
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block, el in inputs:
        block_id, action_id = str(block.get("block_id")), str(el.get("action_id"))
        label = (block.get("label") or {}).get("text", block_id)
        value = given.get(block_id, {}).get(action_id, _initial(el))
        empty = value is None or value == "" or value == []
        if empty and not block.get("optional", False):
            raise ValueError(f"{label!r} ({block_id}/{action_id}) is required")
        if el.get("type") == "plain_text_input" and not empty:
            lo, hi = el.get("min_length", 0), el.get("max_length", 3000)
            if not lo <= len(str(value)) <= hi:
                raise ValueError(f"{label!r} takes {lo} to {hi} characters, got {len(str(value))}")
        state = {"type": el.get("type"), **selection(el, None if empty else value)}
        values.setdefault(block_id, {})[action_id] = state
    return values


def with_ids(blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """The blocks as Slack stores them: each block and interactive element given an id if it had none."""
    if blocks is None:
        return None
    out = []
    for i, block in enumerate(blocks):
        block = dict(block)
        block.setdefault("block_id", f"b{i}{secrets.token_hex(2)}")
        for key in ("elements",) if block.get("type") == "actions" else ("accessory", "element"):
            if key == "elements":
                block[key] = [_with_action_id(el) for el in block.get(key) or []]
            elif isinstance(block.get(key), dict):
                block[key] = _with_action_id(block[key])
        out.append(block)
    return out


def _with_action_id(el: Any) -> Any:
    if not isinstance(el, dict) or el.get("type") == "image" or "action_id" in el:
        return el
    return {**el, "action_id": secrets.token_hex(3)}
