"""What Slack does with an app's acknowledgement: a command's reply, a modal submission's answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .blockkit import view_problems
from .content import read_content
from .elements import with_ids
from .errors import SlackError
from .modals import MAX_STACK, View, new_hash
from .socket_mode import Envelope, EnvelopeType
from .workspace import SightKind

if TYPE_CHECKING:
    from .sandbox import SlackSandbox


def on_ack(sb: SlackSandbox, env: Envelope) -> None:
    """Show the member what the acknowledgement carried (only the first one counts)."""
    if env.type is EnvelopeType.SLASH_COMMANDS:
        _command_reply(sb, env)
    elif env.type is EnvelopeType.INTERACTIVE and env.payload.get("type") == "view_submission":
        _submission_answer(sb, env)


def _command_reply(sb: SlackSandbox, env: Envelope) -> None:
    reply = env.ack
    if not reply:
        return
    p = env.payload
    label = f"the acknowledgement of {p['command']} {p['text']}".rstrip()
    try:
        content = read_content(reply.get("text"), reply.get("blocks"))
    except SlackError as e:
        sb.problems.append(f"{label}: {e.error} {e.extra or ''}".rstrip())
        return
    channel = sb.workspace.channels[p["channel_id"]]
    in_channel = reply.get("response_type") == "in_channel"
    sb.post_reply(
        channel,
        p["user_id"],
        content,
        in_channel=in_channel,
        via="ack",
        echo=f"{p['command']} {p['text']}".rstrip(),
    )


def _submission_answer(sb: SlackSandbox, env: Envelope) -> None:
    modals = sb.modals
    view = modals.views.get(env.payload["view"]["id"])
    if view is None or not view.open:
        return
    answer: dict[str, Any] = env.ack or {}
    action = answer.get("response_action")
    ws = sb.workspace
    if action == "errors":
        errors = answer.get("errors")
        if not isinstance(errors, dict) or not errors:
            sb.problems.append(f"modal {view.callback_id!r}: response_action errors without errors")
            return
        inputs = {b.get("block_id") for b in view.blocks if b.get("type") == "input"}
        unknown = sorted(set(errors) - inputs)
        if unknown:
            sb.problems.append(
                f"modal {view.callback_id!r}: errors for blocks that are not inputs: {unknown}"
            )
        view.errors = {str(k): str(v) for k, v in errors.items()}
        ws.see(SightKind.MODAL_UPDATED, [view.user], view_id=view.id)
    elif action in ("update", "push"):
        definition = answer.get("view")
        problems = view_problems(definition)
        if problems:
            sb.problems.append(
                f"modal {view.callback_id!r}: response_action {action} with an invalid view: {problems}"
            )
            return
        assert isinstance(definition, dict)
        definition = {**definition, "blocks": with_ids(definition.get("blocks"))}
        if action == "update":
            view.replace(definition)
            ws.see(SightKind.MODAL_UPDATED, [view.user], view_id=view.id)
        elif len(modals.stacks.get(view.user) or []) >= MAX_STACK:
            sb.problems.append(f"modal {view.callback_id!r}: response_action push beyond {MAX_STACK} views")
        else:
            vid = ws.ids.next("V")
            modals.open(View(vid, view.user, definition, new_hash(), root_view_id=vid), push=True)
            ws.see(SightKind.MODAL_PUSHED, [view.user], view_id=vid)
    elif action == "clear":
        for closed in modals.close_all(view.user):
            ws.see(SightKind.MODAL_CLOSED, [view.user], view_id=closed.id)
    else:
        closed_view = modals.close_top(view.user)
        if closed_view is not None:
            ws.see(SightKind.MODAL_CLOSED, [view.user], view_id=closed_view.id)
