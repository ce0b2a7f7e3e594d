"""The payloads Slack sends an app when a member acts: slash commands, block actions, modal submissions.

Shapes follow Slack's interaction and slash-command payload references (as Socket Mode carries them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .modals import View
from .workspace import Channel, Kind, Message, User

if TYPE_CHECKING:
    from .sandbox import SlackSandbox


def _who(sb: SlackSandbox, user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": sb.workspace.team.id}


def _team(sb: SlackSandbox) -> dict[str, Any]:
    return {"id": sb.workspace.team.id, "domain": sb.workspace.team.domain}


def channel_name(channel: Channel) -> str:
    """The `channel_name` Slack sends: DMs are "directmessage", private channels "privategroup"."""
    return {Kind.IM: "directmessage", Kind.PRIVATE: "privategroup"}.get(channel.kind, channel.name)


def command_payload(
    sb: SlackSandbox,
    user: User,
    channel: Channel,
    command: str,
    text: str,
    trigger_id: str,
    response_url: str,
) -> dict[str, Any]:
    """A slash command: the command, everything typed after it as one `text`, and where."""
    team = sb.workspace.team
    return {
        "token": sb.verification_token,
        "team_id": team.id,
        "team_domain": team.domain,
        "channel_id": channel.id,
        "channel_name": channel_name(channel),
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": sb.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def action_payload(
    sb: SlackSandbox,
    user: User,
    action: dict[str, Any],
    trigger_id: str,
    *,
    channel: Channel | None = None,
    message: Message | None = None,
    view: View | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    """`block_actions`: a member pressed a button or picked an option, in a message or in a modal."""
    out: dict[str, Any] = {
        "type": "block_actions",
        "user": _who(sb, user),
        "api_app_id": sb.app_id,
        "token": sb.verification_token,
        "trigger_id": trigger_id,
        "team": _team(sb),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
    }
    if view is not None:
        out["container"] = {"type": "view", "view_id": view.id}
        out["view"] = view.payload(sb.workspace.team.id, sb.app_id, sb.bot.bot_id)
        out["state"] = {"values": view.values}
    if message is not None and channel is not None:
        ephemeral = message.ephemeral_to is not None
        out["container"] = {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": channel.id,
            "is_ephemeral": ephemeral,
        }
        out["channel"] = {"id": channel.id, "name": channel_name(channel)}
        if not ephemeral:  # Slack does not send an ephemeral message's content back
            out["message"] = message.payload(sb.workspace.team.id, sb.app_id)
        out["state"] = {"values": {}}
        out["response_url"] = response_url
    return out


def submission_payload(sb: SlackSandbox, user: User, view: View, trigger_id: str) -> dict[str, Any]:
    """`view_submission`: a member pressed a modal's submit button."""
    return {
        "type": "view_submission",
        "team": _team(sb),
        "user": _who(sb, user),
        "api_app_id": sb.app_id,
        "token": sb.verification_token,
        "trigger_id": trigger_id,
        "view": view.payload(sb.workspace.team.id, sb.app_id, sb.bot.bot_id),
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def closed_payload(sb: SlackSandbox, user: User, view: View, *, cleared: bool) -> dict[str, Any]:
    """`view_closed`: a member closed a modal whose view asked for `notify_on_close`."""
    return {
        "type": "view_closed",
        "team": _team(sb),
        "user": _who(sb, user),
        "api_app_id": sb.app_id,
        "token": sb.verification_token,
        "view": view.payload(sb.workspace.team.id, sb.app_id, sb.bot.bot_id),
        "is_cleared": cleared,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def event_payload(sb: SlackSandbox, event: dict[str, Any], event_id: str) -> dict[str, Any]:
    """An Events API `event_callback` around one event."""
    team = sb.workspace.team.id
    return {
        "token": sb.verification_token,
        "team_id": team,
        "api_app_id": sb.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(sb.clock.wall()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team,
                "user_id": sb.bot.id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
