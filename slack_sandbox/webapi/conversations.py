"""conversations.*: open (DMs and group DMs), create, invite, kick, archive, info, members, list."""

from __future__ import annotations

import re
from typing import Any

from ..errors import SlackError
from ..ratelimits import Tier
from ..workspace import Channel, Kind, User
from .call import READ_SCOPE, WRITE_SCOPE, Call, method, page

MAX_NAME = 80
MAX_GROUP_DM = 8  # people besides the app


def _id_only(call: Call, ch: Channel, *, full: bool) -> dict[str, Any]:
    return ch.payload(call.bot.id) if full else {"id": ch.id}


def open_im(call: Call, user: User) -> Channel:
    """The bot's DM with a member, opened if needed (`im:write`)."""
    call.require_scope("im:write")
    return call.ws.open_im(call.bot.id, user.id)


@method("conversations.open", Tier.TIER_3)
def conversations_open(call: Call) -> dict[str, Any]:
    """Open (or find) a DM with one member, or a group DM with up to 8."""
    full = call.flag("return_im")
    if call.arg("channel") and not call.ids("users"):
        ch = call.ws.channels.get(call.arg("channel") or "")
        if ch is None or ch.kind not in (Kind.IM, Kind.MPIM) or call.bot.id not in ch.members:
            raise SlackError("channel_not_found")
        return {"ok": True, "no_op": True, "already_open": True, "channel": _id_only(call, ch, full=full)}
    ids = [uid for uid in dict.fromkeys(call.ids("users")) if uid != call.bot.id]
    if not ids:
        raise SlackError("cannot_dm_bot" if call.ids("users") else "users_list_not_supplied")
    if len(ids) > MAX_GROUP_DM:
        raise SlackError("too_many_users")
    people = [call.person(uid) for uid in ids]
    if any(p.deleted for p in people):
        raise SlackError("user_disabled")
    if len(people) == 1:
        existing = call.ws.im_with(people[0].id)
        ch = open_im(call, people[0])
    else:
        call.require_scope("mpim:write")
        wanted = {call.bot.id, *ids}
        existing = next(
            (c for c in call.ws.channels.values() if c.kind is Kind.MPIM and set(c.members) == wanted), None
        )
        name = "mpdm-" + "--".join(sorted([call.bot.name, *(p.name for p in people)])) + "-1"
        ch = existing or call.ws.add_channel(Kind.MPIM, name, call.bot.id, ids)
    out: dict[str, Any] = {"ok": True, "channel": _id_only(call, ch, full=full)}
    if existing is not None:
        out.update(no_op=True, already_open=True)
    return out


def _check_name(call: Call, name: str) -> None:
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > MAX_NAME:
        raise SlackError("invalid_name_maxlength")
    # Lowercase letters of any script, digits, hyphens and underscores.
    if not all(c in "-_" or c.isdigit() or (c.isalpha() and c == c.lower()) for c in name):
        raise SlackError("invalid_name_specials")
    if not re.search(r"[^_\-]", name):
        raise SlackError("invalid_name_punctuation")
    if call.ws.named(name) is not None:
        raise SlackError("name_taken")


@method("conversations.create", Tier.TIER_2)
def create(call: Call) -> dict[str, Any]:
    """A new channel (private with `is_private`); the app is its creator and first member."""
    private = call.flag("is_private")
    call.require_scope("groups:write" if private else "channels:manage")
    name = call.arg("name") or ""
    _check_name(call, name)
    ch = call.ws.add_channel(Kind.PRIVATE if private else Kind.PUBLIC, name, call.bot.id)
    return {"ok": True, "channel": ch.payload(call.bot.id)}


def _managed(call: Call) -> Channel:
    """A channel the app changes: not a DM, not archived, and the app in it."""
    ch = call.channel(scope=lambda c: WRITE_SCOPE[c.kind])
    if ch.kind in (Kind.IM, Kind.MPIM):
        raise SlackError("method_not_supported_for_channel_type")
    if call.bot.id not in ch.members:
        raise SlackError("not_in_channel")
    return ch


@method("conversations.invite", Tier.TIER_3)
def invite(call: Call) -> dict[str, Any]:
    """Add members to a channel; with any of them already in or unknown, nobody is added (unless `force`)."""
    ch = _managed(call)
    if ch.is_archived:
        raise SlackError("is_archived")
    ids = list(dict.fromkeys(call.ids("users")))
    if not ids:
        raise SlackError("no_user")
    if len(ids) > 1000:
        raise SlackError("too_many_users")
    errors: list[dict[str, Any]] = []
    fine: list[str] = []
    for uid in ids:
        user = call.ws.user(uid)
        error = (
            "cant_invite_self"
            if uid == call.bot.id
            else "user_not_found"
            if user is None
            else "already_in_channel"
            if uid in ch.members
            else None
        )
        if error is None:
            fine.append(uid)
        else:
            errors.append({"user": uid, "ok": False, "error": error})
    if errors and not call.flag("force"):
        raise SlackError(errors[0]["error"], errors=errors)
    ch.members.extend(fine)
    call.ws.changed()
    out: dict[str, Any] = {"ok": True, "channel": ch.payload(call.bot.id)}
    if errors:
        out["errors"] = errors
    return out


@method("conversations.kick", Tier.TIER_3)
def kick(call: Call) -> dict[str, Any]:
    """Remove a member from a channel."""
    ch = _managed(call)
    uid = call.arg("user") or ""
    if uid == call.bot.id:
        raise SlackError("cant_kick_self")
    call.person(uid)
    if ch.is_general:
        raise SlackError("cant_kick_from_general")
    if uid not in ch.members:
        raise SlackError("not_in_channel")
    ch.members.remove(uid)
    call.ws.changed()
    return {"ok": True}


@method("conversations.archive", Tier.TIER_2)
def archive(call: Call) -> dict[str, Any]:
    """Archive a channel: it stays readable, and nothing more can be posted in it."""
    ch = _managed(call)
    if ch.is_general:
        raise SlackError("cant_archive_general")
    if ch.is_archived:
        raise SlackError("already_archived")
    ch.is_archived = True
    call.ws.changed()
    return {"ok": True}


@method("conversations.info", Tier.TIER_3)
def info(call: Call) -> dict[str, Any]:
    """One conversation."""
    ch = call.channel(scope=lambda c: READ_SCOPE[c.kind])
    out = ch.payload(call.bot.id)
    if not call.flag("include_num_members"):
        out.pop("num_members", None)
    return {"ok": True, "channel": out}


@method("conversations.members", Tier.TIER_4)
def members(call: Call) -> dict[str, Any]:
    """A conversation's members, a page at a time."""
    ch = call.channel(scope=lambda c: READ_SCOPE[c.kind])
    chunk, nxt = page(list(ch.members), call)
    return {"ok": True, "members": chunk, "response_metadata": {"next_cursor": nxt}}


@method("conversations.list", Tier.TIER_2)
def conversations_list(call: Call) -> dict[str, Any]:
    """The conversations the app can see, of the `types` asked (default public channels)."""
    try:
        kinds = [Kind(t) for t in call.ids("types") or ["public_channel"]]
    except ValueError:
        raise SlackError("invalid_types") from None
    for kind in kinds:
        call.require_scope(READ_SCOPE[kind])
    skip_archived = call.flag("exclude_archived")
    seen = [
        c
        for c in call.ws.channels.values()
        if c.kind in kinds
        and (c.kind is Kind.PUBLIC or call.bot.id in c.members)
        and not (skip_archived and c.is_archived)
    ]
    chunk, nxt = page(seen, call)
    return {
        "ok": True,
        "channels": [c.payload(call.bot.id) for c in chunk],
        "response_metadata": {"next_cursor": nxt},
    }


@method("conversations.join", Tier.TIER_3, "channels:join")
def join(call: Call) -> dict[str, Any]:
    """The app joins a public channel."""
    ch = call.channel()
    if ch.kind is not Kind.PUBLIC:
        raise SlackError("method_not_supported_for_channel_type")
    if ch.is_archived:
        raise SlackError("is_archived")
    out: dict[str, Any] = {"ok": True}
    if call.bot.id in ch.members:
        out["warning"] = "already_in_channel"
    else:
        ch.members.append(call.bot.id)
        call.ws.changed()
    out["channel"] = ch.payload(call.bot.id)
    return out
