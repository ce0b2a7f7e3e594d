"""Slack modals as Conductor builds them: the views, their inputs within Slack's limits, what was typed,
and answering a submission within Slack's 3 seconds.

Slack's limits (../shared/slack-api/NOTES.md): at most 100 blocks; title, submit and close at most 24
characters; `private_metadata` 3,000; a text input holds at most 3,000 characters. A submission must be
acknowledged within 3 s, with the errors to show under the inputs or the view to show instead; when the
work takes longer (a slow database, a post waiting out a rate limit), `reply_within` shows a "working"
view at once and puts the answer into the same window when it is ready.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.adapters.slack import limits
from bot.adapters.slack.mrkdwn import clean
from bot.core.errors import ConductorError

log = logging.getLogger(__name__)
Blocks = list[dict[str, Any]]

VIEW_TEXT_MAX = 24  # a modal's title, submit and close
METADATA_MAX = 3000
BLOCKS_MAX = 100
TEXT_INPUT_MAX = 3000  # a plain_text_input's max_length (and so its initial_value)
LABEL_MAX = 2000
#: What fits under an input in red: Slack publishes no limit, so errors are kept to a short sentence.
ERROR_MAX = 150
#: Acknowledge a submission by then (Slack shows the member an error after 3 s).
ACK_WITHIN = 2.0


def plain_text(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object cut to `limit` characters (never empty)."""
    shown, _ = limits.cut_plain(clean(text).strip(), limit)
    return {"type": "plain_text", "text": shown or "…", "emoji": True}


def view_text(*candidates: str) -> dict[str, Any]:
    """A title or button label: the first candidate that fits in 24 characters, else the last cut."""
    for text in candidates:
        if 0 < len(clean(text).strip()) <= VIEW_TEXT_MAX:
            return plain_text(text, VIEW_TEXT_MAX)
    return plain_text(candidates[-1], VIEW_TEXT_MAX)


def modal(
    callback_id: str,
    title: dict[str, Any],
    blocks: Blocks,
    *,
    submit: str | None = None,
    close: str = "Cancel",
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A modal view; blocks beyond Slack's 100 are left out with a line saying so."""
    if len(blocks) > BLOCKS_MAX:
        left_out = len(blocks) - (BLOCKS_MAX - 1)
        blocks = [
            *blocks[: BLOCKS_MAX - 1],
            context(f"… {left_out} more part(s) did not fit in this window."),
        ]
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": title,
        "close": view_text(close),
        "blocks": blocks,
    }
    if submit is not None:
        view["submit"] = view_text(submit)
    if metadata is not None:
        packed = json.dumps(dict(metadata), separators=(",", ":"), sort_keys=True)
        if len(packed) > METADATA_MAX:
            raise ValueError(f"private_metadata of {callback_id} is {len(packed)} characters (Slack: 3,000)")
        view["private_metadata"] = packed
    return view


async def open_view(client: Any, trigger_id: str, view: dict[str, Any]) -> None:
    """Open a window for the member who acted; a trigger Slack no longer takes is said as what to do."""
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        if error.response.get("error") in (
            "expired_trigger_id",
            "invalid_trigger_id",
            "exchanged_trigger_id",
        ):
            raise ConductorError(
                "Slack gives me only 3 seconds to open the window and that passed: please try again."
            ) from error
        raise


def metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    """The context a submitted view carries (empty when there is none or it cannot be read)."""
    try:
        found = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def context(mrkdwn_text: str) -> dict[str, Any]:
    """A small grey line of mrkdwn (already escaped)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn_text, "verbatim": True}]}


def text_input(
    block_id: str,
    label: str,
    *,
    value: str | None = None,
    multiline: bool = False,
    max_length: int = TEXT_INPUT_MAX,
    optional: bool = False,
    placeholder: str | None = None,
    hint: str | None = None,
) -> dict[str, Any]:
    """A text input block; what it shows at first (`value`) is cut to what it holds."""
    top = max(1, min(max_length, TEXT_INPUT_MAX))
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": block_id, "max_length": top}
    if multiline:
        element["multiline"] = True
    if value:
        element["initial_value"] = value[:top]
    if placeholder:
        element["placeholder"] = plain_text(placeholder, limits.PLACEHOLDER_MAX)
    return _input(block_id, label, element, optional, hint)


def select_input(
    block_id: str,
    label: str,
    options: Sequence[str],
    *,
    value: str | None = None,
    optional: bool = False,
    placeholder: str = "Choose one",
    hint: str | None = None,
) -> dict[str, Any]:
    """A menu of options (each one's value is its place in `options`, so any text fits Slack's 150)."""
    shown = [
        {"text": plain_text(text, limits.OPTION_TEXT_MAX), "value": str(i)}
        for i, text in enumerate(options[: limits.OPTIONS_MAX])
    ]
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": block_id,
        "placeholder": plain_text(placeholder, limits.PLACEHOLDER_MAX),
        "options": shown,
    }
    offered = list(options[: limits.OPTIONS_MAX])
    if value is not None and value in offered:
        element["initial_option"] = shown[offered.index(value)]
    return _input(block_id, label, element, optional, hint)


def _input(
    block_id: str, label: str, element: dict[str, Any], optional: bool, hint: str | None
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label, LABEL_MAX),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(hint, LABEL_MAX)
    return block


def typed(view: Mapping[str, Any], block_id: str, options: Sequence[str] = ()) -> str:
    """What was typed in a text input, or the option picked in a menu (its text), as submitted."""
    state = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    entry = state.get(block_id) or {}
    picked = entry.get("selected_option")
    if isinstance(picked, Mapping):
        index = str(picked.get("value", ""))
        return options[int(index)] if index.isdigit() and int(index) < len(options) else ""
    return str(entry.get("value") or "")


def error_text(text: str) -> str:
    """A problem as shown in red under an input: plain (Conductor's `**` dropped), one short sentence."""
    shown, _ = limits.cut_plain(" ".join(text.replace("**", "").split()), ERROR_MAX)
    return shown


@dataclass(frozen=True)
class Reply:
    """What a submitted modal comes to: errors under its inputs, a view to show instead, or nothing (close).

    With `errors`, `view` is the same form with the problems written above it and what was typed kept:
    what the window shows when the answer comes after the acknowledgement (errors go only with it).
    """

    view: dict[str, Any] | None = None
    errors: dict[str, str] | None = None

    def ack_args(self) -> dict[str, Any]:
        """The acknowledgement that shows this reply."""
        if self.errors:
            return {"response_action": "errors", "errors": self.errors}
        if self.view is not None:
            return {"response_action": "update", "view": self.view}
        return {}


Ack = Callable[..., Awaitable[None]]


async def reply_within(
    ack: Ack,
    client: Any,
    view_id: str,
    work: Coroutine[Any, Any, Reply],
    working: dict[str, Any],
    failed: dict[str, Any],
    what: str,
) -> None:
    """Acknowledge a submission with its reply, or, if that takes longer than `ACK_WITHIN` seconds, with
    the `working` view at once and the reply's view put into the same window when it is ready (`failed`
    shows when the work raised; a late reply without a view leaves the working view)."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=ACK_WITHIN)
    if task in done:
        await ack(**_outcome(task, failed, what).ack_args())
        return
    await ack(response_action="update", view=working)
    await asyncio.wait({task})
    reply = _outcome(task, failed, what)
    if reply.view is None:
        return
    try:
        await client.views_update(view_id=view_id, view=reply.view)
    except SlackApiError as error:  # closed meanwhile: what was stored stays stored
        log.warning("%s: could not show the answer in the window: %s", what, error.response.get("error"))


def _outcome(task: asyncio.Future[Reply], failed: dict[str, Any], what: str) -> Reply:
    error = task.exception()
    if error is None:
        return task.result()
    log.error("%s failed", what, exc_info=error)
    return Reply(view=failed)
