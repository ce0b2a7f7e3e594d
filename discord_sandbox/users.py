"""Scripted users: build the INTERACTION_CREATE payloads a Discord client would cause."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from .permissions import DEFAULT_BOT, Perm
from .state import Attachment, Channel, Guild, Member, Message, Role, Thread, User, snowflake, walk_components

if TYPE_CHECKING:
    from .server import Sandbox

DM_PERMISSIONS = int(
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.ADD_REACTIONS
)


class CommandError(LookupError):
    """A scripted command that does not match what the bot synced."""


def find_command(
    sb: Sandbox, guild: Guild | None, name: str
) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """Resolve "cmd", "group sub" or "group subgroup sub" to (command, path, leaf node)."""
    parts = name.split()
    if not parts:
        raise CommandError("empty command name")
    scopes = ([guild.id] if guild is not None else []) + [None]
    cmd = None
    for scope in scopes:
        cmd = next(
            (c for c in sb.synced.get(scope, []) if c["name"] == parts[0] and c.get("type", 1) == 1), None
        )
        if cmd is not None:
            break
    if cmd is None:
        known = sorted({c["name"] for s in scopes for c in sb.synced.get(s, [])})
        raise CommandError(f"/{parts[0]} is not a synced command here (synced: {known})")
    node = cmd
    for part in parts[1:]:
        subs = [o for o in node.get("options") or [] if o["type"] in (1, 2)]
        nxt = next((o for o in subs if o["name"] == part), None)
        if nxt is None:
            raise CommandError(f"/{name}: no subcommand {part!r} (have {[o['name'] for o in subs]})")
        node = nxt
    if any(o["type"] in (1, 2) for o in node.get("options") or []):
        subs = [o["name"] for o in node["options"]]
        raise CommandError(f"/{name} is a group; pick one of {subs}")
    return cmd, parts, node


def _user_of(value: Any) -> User:
    if isinstance(value, Member):
        return value.user
    if isinstance(value, User):
        return value
    raise CommandError(f"expected a Member or User, got {value!r}")


def build_options(
    sb: Sandbox,
    guild: Guild | None,
    channel: Channel,
    label: str,
    node: dict[str, Any],
    given: dict[str, Any],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Convert python values into typed `data.options` plus `resolved` using the synced schema."""
    schema = {o["name"]: o for o in node.get("options") or []}
    unknown = set(given) - set(schema)
    if unknown:
        raise CommandError(f"/{label}: unknown option(s) {sorted(unknown)}; known: {sorted(schema)}")
    missing = [n for n, o in schema.items() if o.get("required") and n not in given]
    if missing:
        raise CommandError(f"/{label}: required option(s) missing: {missing}")
    resolved: dict[str, dict[str, Any]] = {}
    out = []
    for name, value in given.items():
        opt = schema[name]
        t = opt["type"]
        v: Any
        if t == 3:
            v = str(value)
        elif t == 4:
            if isinstance(value, bool) or not isinstance(value, int):
                raise CommandError(f"/{label}: option {name} needs an int, got {value!r}")
            v = value
        elif t == 5:
            v = bool(value)
        elif t == 10:
            v = float(value)
        elif t == 6 or (t == 9 and not isinstance(value, Role)):
            user = _user_of(value)
            v = str(user.id)
            resolved.setdefault("users", {})[v] = user.payload()
            member = guild.member(user.id) if guild is not None else None
            if guild is not None and member is not None:
                mp = member.payload(with_user=False)
                mp["permissions"] = str(guild.permissions_in(member, channel))
                resolved.setdefault("members", {})[v] = mp
        elif t in (8, 9):
            if not isinstance(value, Role):
                raise CommandError(f"/{label}: option {name} needs a Role, got {value!r}")
            v = str(value.id)
            resolved.setdefault("roles", {})[v] = value.payload()
        elif t == 7:
            if not isinstance(value, Channel):
                raise CommandError(f"/{label}: option {name} needs a Channel, got {value!r}")
            v = str(value.id)
            cp: dict[str, Any] = {
                "id": v,
                "name": value.name,
                "type": value.type,
                "permissions": str(DEFAULT_BOT),
                "guild_id": str(value.guild_id),
                "parent_id": str(value.parent_id) if value.parent_id else None,
            }
            if isinstance(value, Thread):
                cp["thread_metadata"] = value.payload()["thread_metadata"]
            resolved.setdefault("channels", {})[v] = cp
        elif t == 11:
            if not isinstance(value, Attachment):
                raise CommandError(f"/{label}: option {name} needs sb.upload(...), got {value!r}")
            v = str(value.id)
            resolved.setdefault("attachments", {})[v] = value.payload()
        else:
            raise CommandError(f"/{label}: option type {t} not supported")
        choices = opt.get("choices")
        if choices and v not in [c["value"] for c in choices]:
            raise CommandError(f"/{label}: {name}={v!r} is not one of {[c['value'] for c in choices]}")
        out.append({"name": name, "type": t, "value": v})
    return out, resolved


def nest_options(
    cmd: dict[str, Any], parts: list[str], leaf_options: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Wrap leaf options in subcommand (1) / group (2) options along the path."""
    options = leaf_options
    node_types = []
    node = cmd
    for part in parts[1:]:
        node = next(o for o in node["options"] if o["name"] == part)
        node_types.append((part, node["type"]))
    for part, t in reversed(node_types):
        options = [{"name": part, "type": t, "options": options}]
    return options


def interaction_payload(
    sb: Sandbox,
    itype: int,
    who: Member | User,
    channel: Channel,
    data: dict[str, Any],
    message: Message | None = None,
) -> tuple[int, str, dict[str, Any]]:
    """Build a full INTERACTION_CREATE payload; returns (id, token, payload)."""
    iid = snowflake()
    token = "sandbox-" + secrets.token_urlsafe(24)
    guild = channel.guild
    payload: dict[str, Any] = {
        "id": str(iid),
        "application_id": str(sb.application_id),
        "type": itype,
        "data": data,
        "token": token,
        "version": 1,
        "channel_id": str(channel.id),
        "channel": _interaction_channel(sb, channel, who),
        "locale": "en-US",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": sb.limits.attachment_size_limit,
    }
    if guild is not None:
        member = who if isinstance(who, Member) and who.guild is guild else guild.member(_user_of(who).id)
        if member is None:
            raise CommandError(f"{_user_of(who).username} is not a member of {guild.name}")
        mp = member.payload()
        mp["permissions"] = str(guild.permissions_in(member, channel))
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": "en-US", "features": []},
            member=mp,
            guild_locale="en-US",
            app_permissions=str(guild.permissions_in(guild.bot_member, channel)),
            authorizing_integration_owners={"0": str(guild.id)},
            context=0,
        )
    else:
        payload.update(
            user=_user_of(who).payload(),
            app_permissions=str(DM_PERMISSIONS),
            authorizing_integration_owners={"0": "0"},
            context=1,
        )
    if message is not None:
        author = sb.world.users[message.author_id]
        payload["message"] = message.payload(author)
    return iid, token, payload


def _interaction_channel(sb: Sandbox, channel: Channel, who: Member | User) -> dict[str, Any]:
    if channel.type == 1:
        return {"id": str(channel.id), "type": 1, "recipients": [_user_of(who).payload()], "flags": 0}
    out = channel.payload()
    assert channel.guild is not None
    member = channel.guild.member(_user_of(who).id)
    if member is not None:
        out["permissions"] = str(channel.guild.permissions_in(member, channel))
    return out


def component_data(message: Message, custom_id: str, values: list[str] | None) -> dict[str, Any]:
    """`data` of a component interaction (button or select) on a message."""
    comp = message.find_component(custom_id)
    if comp is None:
        have = [c.get("custom_id") for c in walk_components(message.components) if c.get("custom_id")]
        raise LookupError(f"message {message.id} has no component {custom_id!r} (has {have})")
    if comp.get("disabled"):
        raise LookupError(f"component {custom_id!r} is disabled")
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp["type"]}
    if comp["type"] != 2:
        if values is None:
            raise ValueError(f"select {custom_id!r} needs values")
        if comp["type"] == 3:
            allowed = [o["value"] for o in comp.get("options", [])]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(f"select {custom_id!r}: {bad} not among {allowed}")
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        if not lo <= len(values) <= hi:
            raise ValueError(f"select {custom_id!r} takes {lo}..{hi} values, got {len(values)}")
        data["values"] = list(values)
    return data


def modal_submit_data(modal: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Mirror the modal's layout (action rows or labels) with the user's values filled in."""
    used: set[str] = set()

    def leaf(c: dict[str, Any]) -> dict[str, Any] | None:
        cid: Any = c.get("custom_id")  # a str on every input component
        t = c.get("type")
        if t == 4:
            value = values.get(cid, c.get("value") or "")
            used.add(cid)
            if c.get("required", True) and not value:
                raise ValueError(f"text input {cid!r} is required")
            lo, hi = c.get("min_length", 0), c.get("max_length", 4000)
            if value and not lo <= len(value) <= hi:
                raise ValueError(f"text input {cid!r} must be {lo}..{hi} characters, got {len(value)}")
            return {"type": 4, "id": c.get("id", 0), "custom_id": cid, "value": str(value)}
        if t in (3, 5, 6, 7, 8, 22, 23):
            used.add(cid)
            v = values.get(cid, [])
            return {
                "type": t,
                "id": c.get("id", 0),
                "custom_id": cid,
                "values": list(v) if isinstance(v, list | tuple) else v,
            }
        if t == 21:
            used.add(cid)
            return {"type": t, "id": c.get("id", 0), "custom_id": cid, "value": bool(values.get(cid, False))}
        return None

    out = []
    for c in modal.get("components", []):
        if c.get("type") == 1:
            kids = [x for x in (leaf(k) for k in c.get("components", [])) if x is not None]
            out.append({"type": 1, "id": c.get("id", 0), "components": kids})
        elif c.get("type") == 18:
            inner = leaf(c["component"])
            if inner is not None:
                out.append({"type": 18, "id": c.get("id", 0), "component": inner})
    unknown = set(values) - used
    if unknown:
        raise ValueError(f"modal {modal.get('custom_id')!r} has no field(s) {sorted(unknown)}")
    return {"custom_id": modal["custom_id"], "components": out}
