"""auth.test, apps.connections.open (Socket Mode) and team.info."""

from __future__ import annotations

from typing import Any

from ..errors import SlackError
from ..ratelimits import Tier
from ..spec import TokenKind
from .call import Call, method


@method("auth.test", Tier.TIER_4)
def auth_test(call: Call) -> dict[str, Any]:
    """Who the token belongs to (Bolt calls this once before handling the first request)."""
    team = call.ws.team
    return {
        "ok": True,
        "url": f"https://{team.domain}.slack.com/",
        "team": team.name,
        "user": call.bot.name,
        "team_id": team.id,
        "user_id": call.bot.id,
        "bot_id": call.bot.bot_id,
        "is_enterprise_install": False,
    }


@method("apps.connections.open", Tier.TIER_3, "connections:write", TokenKind.APP)
def connections_open(call: Call) -> dict[str, Any]:
    """A one-use WebSocket URL for Socket Mode."""
    return {"ok": True, "url": call.sandbox.socket.issue_url()}


@method("team.info", Tier.TIER_3, "team:read")
def team_info(call: Call) -> dict[str, Any]:
    """The workspace."""
    team = call.arg("team")
    if team and team != call.ws.team.id:
        raise SlackError("team_not_found")
    return {"ok": True, "team": call.ws.team.payload()}
