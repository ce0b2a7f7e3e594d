"""users.info, users.list and users.lookupByEmail."""

from __future__ import annotations

from typing import Any

from ..errors import SlackError
from ..ratelimits import Tier
from .call import Call, method, page


def _user(call: Call, user_id: str) -> dict[str, Any]:
    user = call.person(user_id)
    return user.payload(
        call.ws.team.id, with_email="users:read.email" in call.scopes, now=call.sandbox.clock.wall()
    )


@method("users.info", Tier.TIER_4, "users:read")
def users_info(call: Call) -> dict[str, Any]:
    """One member."""
    return {"ok": True, "user": _user(call, call.arg("user") or "")}


@method("users.list", Tier.TIER_2, "users:read")
def users_list(call: Call) -> dict[str, Any]:
    """Every member, a page at a time (`cursor`, `limit`)."""
    ids = list(call.ws.users)
    chunk, nxt = page(ids, call, default=1000)
    return {
        "ok": True,
        "members": [_user(call, uid) for uid in chunk],
        "cache_ts": int(call.sandbox.clock.wall()),
        "response_metadata": {"next_cursor": nxt},
    }


@method("users.lookupByEmail", Tier.TIER_3, "users:read.email")
def users_lookup_by_email(call: Call) -> dict[str, Any]:
    """A member by email address."""
    user = call.ws.by_email(call.arg("email") or "")
    if user is None or user.deleted:
        raise SlackError("users_not_found")
    return {"ok": True, "user": _user(call, user.id)}
