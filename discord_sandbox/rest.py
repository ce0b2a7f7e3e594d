"""REST handlers of the sandbox (under /api/v10), each answering like Discord does."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import errors as E
from .errors import ApiError
from .permissions import Perm
from .state import Attachment, Channel, Guild, Message, Thread, iso_now, snowflake
from .validation import validate_commands, validate_message, validate_modal

if TYPE_CHECKING:
    from .interactions import InteractionResult
    from .server import Sandbox


@dataclass
class Req:
    """A parsed request handed to a handler."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[tuple[str, str, bytes, str]] = field(default_factory=list)  # (field, filename, data, ctype)


GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15  # application flag: Server Members intent on (under 100 servers)
Handler = Callable[["Sandbox", Req], Awaitable[tuple[int, Any]]]
ROUTES: list[tuple[str, str, re.Pattern[str], Handler]] = []


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    """Register a handler for METHOD template."""
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

    def deco(fn: Handler) -> Handler:
        ROUTES.append((method, template, pattern, fn))
        return fn

    return deco


def match(method: str, path: str) -> tuple[str | None, dict[str, str], Handler | None]:
    """Find the route template and handler for a concrete path."""
    known_path = None
    for m, template, pattern, fn in ROUTES:
        found = pattern.match(path)
        if found:
            if m == method:
                return template, found.groupdict(), fn
            known_path = template
    return known_path, {}, None


# helpers ---------------------------------------------------------------------
def _channel(sb: Sandbox, channel_id: str) -> Channel:
    ch = sb.world.channels.get(int(channel_id)) if channel_id.isdigit() else None
    if ch is None:
        raise E.unknown_channel()
    return ch


def _guild(sb: Sandbox, guild_id: str) -> Guild:
    g = sb.world.guild_of(int(guild_id)) if guild_id.isdigit() else None
    if g is None:
        raise ApiError(404, 10004, "Unknown Guild")
    return g


def _bot_perms(ch: Channel) -> int | None:
    """Bot permissions in a guild channel; None for DMs."""
    if ch.guild is None:
        return None
    return ch.guild.permissions_in(ch.guild.bot_member, ch)


def _require(ch: Channel, *bits: int) -> None:
    perms = _bot_perms(ch)
    if perms is None:
        return
    if not perms & Perm.VIEW_CHANNEL:
        raise E.missing_access()
    for b in bits:
        if not perms & b:
            raise E.missing_permissions()


def _message(ch: Channel, message_id: str) -> Message:
    for m in ch.messages:
        if str(m.id) == message_id and not m.deleted:
            return m
    raise E.unknown_message()


def _attachments_from(sb: Sandbox, req: Req) -> list[Attachment]:
    out = []
    for _field, filename, data, ctype in req.files:
        att = Attachment(snowflake(), filename, data, ctype, base_url=sb.base_url)
        sb.world.attachments[att.id] = att
        out.append(att)
    return out


def new_message(
    sb: Sandbox,
    ch: Channel,
    body: dict[str, Any],
    files: list[Attachment],
    *,
    webhook: bool = False,
    allow_ephemeral: bool = False,
    msg_type: int = 0,
    interaction: InteractionResult | None = None,
) -> Message:
    """Store a bot message in a channel and dispatch MESSAGE_CREATE for visible guild messages."""
    flags = int(body.get("flags") or 0)
    if not allow_ephemeral:
        flags &= ~64
    msg = Message(
        id=snowflake(),
        channel_id=ch.id,
        author_id=sb.bot_user.id,
        content=body.get("content") or "",
        embeds=list(body.get("embeds") or []),
        components=list(body.get("components") or []),
        flags=flags,
        allowed_mentions=body.get("allowed_mentions"),
        attachments=files,
        guild_id=ch.guild_id,
        webhook_id=sb.application_id if webhook else None,
        type=msg_type,
        interaction_id=interaction.id if interaction else None,
        nonce=str(body["nonce"]) if body.get("nonce") is not None else None,
    )
    sb.world.messages[msg.id] = msg
    if not msg.flags & 64:
        ch.messages.append(msg)
        if isinstance(ch, Thread) and ch.archived and not ch.locked:
            ch.archived = False
            sb.dispatch("THREAD_UPDATE", ch.payload())
        if ch.guild is not None:
            sb.dispatch(
                "MESSAGE_CREATE", {**msg.payload(sb.bot_user), "member": ch.guild.bot_member.payload(False)}
            )
        sb.notify_message("posted", msg, ch)
    sb._changed()
    return msg


def edit_message(sb: Sandbox, msg: Message, body: dict[str, Any], files: list[Attachment]) -> Message:
    """Apply an edit (recording the previous version) and dispatch MESSAGE_UPDATE."""
    validate_message(body, edit=True)
    msg.edits.append(msg.snapshot())
    for key in ("content", "embeds", "components"):
        if key in body:
            setattr(msg, key, body[key] if body[key] is not None else ([] if key != "content" else ""))
    if "allowed_mentions" in body:
        msg.allowed_mentions = body["allowed_mentions"]
    if "flags" in body and body["flags"] is not None:
        msg.flags = (msg.flags & 64) | (int(body["flags"]) & ~64)
    msg.flags &= ~128
    if "attachments" in body and body["attachments"] is not None:
        keep = {str(a.get("id")) for a in body["attachments"]}
        msg.attachments = [a for a in msg.attachments if str(a.id) in keep]
    msg.attachments = msg.attachments + files
    msg.edited_timestamp = iso_now()
    ch = sb.world.channels.get(msg.channel_id)
    if ch is not None and ch.guild is not None and not msg.flags & 64:
        sb.dispatch("MESSAGE_UPDATE", msg.payload(sb.bot_user))
    if ch is not None and not msg.flags & 64:
        sb.notify_message("edited", msg, ch)
    sb._changed()
    return msg


def _post_checks(
    sb: Sandbox, ch: Channel, body: dict[str, Any], files: list[tuple[str, str, bytes, str]]
) -> None:
    if ch.type == 1:
        if ch.recipient is not None and not _dms_open(sb, ch):
            raise ApiError(403, 50007, "Cannot send messages to this user")
        return
    send = Perm.SEND_MESSAGES_IN_THREADS if ch.is_thread else Perm.SEND_MESSAGES
    needed = [send]
    if body.get("embeds"):
        needed.append(Perm.EMBED_LINKS)
    if files:
        needed.append(Perm.ATTACH_FILES)
    _require(ch, *needed)
    if isinstance(ch, Thread) and ch.locked:
        perms = _bot_perms(ch) or 0
        if not perms & Perm.MANAGE_THREADS:
            raise ApiError(400, 50083, "Thread is archived")


def _dms_open(sb: Sandbox, ch: Channel) -> bool:
    """A user accepts DMs if any mutual guild membership allows them."""
    assert ch.recipient is not None
    memberships = [m for g in sb.world.guilds if (m := g.member(ch.recipient.id)) is not None]
    return any(m.dms_open for m in memberships)


# identity --------------------------------------------------------------------
@route("GET", "/users/@me")
async def get_me(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """The bot user."""
    return 200, {**sb.bot_user.payload(), "verified": True, "mfa_enabled": False, "locale": "en-US"}


@route("GET", "/users/@me/guilds")
async def get_my_guilds(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """The guilds the bot is in (partial guild objects)."""
    out: list[dict[str, Any]] = []
    for g in sb.world.guilds:
        out.append(
            {
                "id": str(g.id),
                "name": g.name,
                "icon": None,
                "banner": None,
                "owner": False,
                "permissions": str(g.bot_member.permissions()),
                "features": [],
                "approximate_member_count": len(g.members),
                "approximate_presence_count": 0,
            }
        )
    return 200, out


@route("GET", "/users/{user_id}")
async def get_user(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """A user."""
    uid = req.params["user_id"]
    user = sb.world.users.get(int(uid)) if uid.isdigit() else None
    if user is None:
        raise E.unknown_user()
    return 200, user.payload()


@route("GET", "/oauth2/applications/@me")
async def get_application(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """The application."""
    owner = {
        "id": str(sb.owner_id),
        "username": "owner",
        "discriminator": "0",
        "avatar": None,
        "global_name": None,
    }
    return 200, {
        "id": str(sb.application_id),
        "name": sb.bot_user.username,
        "description": "Local sandbox application",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "team": None,
        "verify_key": "0" * 64,
        "flags": GATEWAY_GUILD_MEMBERS_LIMITED if sb.members_intent else 0,
        "summary": "",
        "rpc_origins": [],
        "tags": [],
        "redirect_uris": [],
        "bot": sb.bot_user.payload(),
    }


@route("GET", "/gateway")
async def get_gateway(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Gateway URL."""
    return 200, {"url": sb.gateway_url}


@route("GET", "/gateway/bot")
async def get_gateway_bot(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Gateway URL with shard info."""
    limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
    return 200, {"url": sb.gateway_url, "shards": sb.shard_count, "session_start_limit": limit}


# commands --------------------------------------------------------------------
def _command_out(sb: Sandbox, c: dict[str, Any], guild_id: int | None) -> dict[str, Any]:
    out = {
        "type": 1,
        "description": "",
        "options": [],
        "default_member_permissions": None,
        "dm_permission": True,
        "nsfw": False,
        **c,
        "application_id": str(sb.application_id),
        "version": str(snowflake()),
    }
    if guild_id is not None:
        out["guild_id"] = str(guild_id)
    return out


def _overwrite(sb: Sandbox, body: Any, guild_id: int | None) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise ApiError(
            400,
            50035,
            "Invalid Form Body",
            {
                "_errors": [
                    {"code": "LIST_TYPE_CONVERT", "message": "Only iterables may be used in a ListType"}
                ]
            },
        )
    validate_commands(body, is_global=guild_id is None)
    old = {(c.get("type", 1), c["name"]): c for c in sb.synced.get(guild_id, [])}
    out = []
    for c in body:
        prev = old.get((c.get("type", 1), c["name"]))
        cmd = _command_out(sb, c, guild_id)
        cmd["id"] = prev["id"] if prev else str(snowflake())
        out.append(cmd)
    sb.synced[guild_id] = out
    sb._changed()
    return out


@route("GET", "/applications/{app_id}/commands")
async def get_global_commands(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Global commands."""
    return 200, sb.synced.get(None, [])


@route("PUT", "/applications/{app_id}/commands")
async def put_global_commands(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Bulk overwrite global commands."""
    return 200, _overwrite(sb, req.json, None)


@route("GET", "/applications/{app_id}/guilds/{guild_id}/commands")
async def get_guild_commands(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Guild commands."""
    return 200, sb.synced.get(_guild(sb, req.params["guild_id"]).id, [])


@route("PUT", "/applications/{app_id}/guilds/{guild_id}/commands")
async def put_guild_commands(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Bulk overwrite guild commands."""
    g = _guild(sb, req.params["guild_id"])
    return 200, _overwrite(sb, req.json, g.id)


# interactions ----------------------------------------------------------------
def _interaction(sb: Sandbox, iid: str, token: str) -> InteractionResult:
    it = sb.interactions.get(int(iid)) if iid.isdigit() else None
    if it is None or it.token != token:
        raise E.unknown_interaction()
    return it


@route("POST", "/interactions/{interaction_id}/{token}/callback")
async def interaction_callback(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Initial response to an interaction (types 4, 5, 6, 7, 8, 9)."""
    it = _interaction(sb, req.params["interaction_id"], req.params["token"])
    if it.response_type is not None:
        raise E.already_acknowledged()
    if time.monotonic() > it.created + sb.limits.interaction_deadline:
        it.late_attempts += 1
        sb._changed()
        raise E.unknown_interaction()
    body = req.json or {}
    t = body.get("type")
    data = body.get("data") or {}
    ch = sb.world.channels[it.channel_id]
    files = _attachments_from(sb, req)
    msg: Message | None = None
    if t == 4:
        validate_message(data, has_files=bool(files))
        msg = new_message(
            sb,
            ch,
            data,
            files,
            webhook=True,
            allow_ephemeral=True,
            msg_type=20 if it.type == 2 else 0,
            interaction=it,
        )
    elif t == 5:
        flags = 128 | (int(data.get("flags") or 0) & 64)
        msg = new_message(
            sb,
            ch,
            {"flags": flags},
            [],
            webhook=True,
            allow_ephemeral=True,
            msg_type=20 if it.type == 2 else 0,
            interaction=it,
        )
    elif t == 6:
        if it.source_message is None:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": "Invalid interaction response type",
                            }
                        ]
                    }
                },
            )
        msg = it.source_message
    elif t == 7:
        if it.source_message is None:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": "Invalid interaction response type",
                            }
                        ]
                    }
                },
            )
        msg = edit_message(sb, it.source_message, data, files)
    elif t == 8:
        it.choices = data.get("choices", [])
    elif t == 9:
        if it.type == 5:
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": "A modal cannot answer a modal submit",
                            }
                        ]
                    }
                },
            )
        validate_modal(data)
        it.modal = data
    else:
        raise ApiError(
            400,
            50035,
            "Invalid Form Body",
            {
                "type": {
                    "_errors": [
                        {
                            "code": "BASE_TYPE_CHOICES",
                            "message": f"Value must be one of {{4, 5, 6, 7, 8, 9}}, got {t}.",
                        }
                    ]
                }
            },
        )
    it.response_type = t
    it.answered_at = time.monotonic()
    it.message = msg
    sb._changed()
    interaction = {
        "id": str(it.id),
        "type": it.type,
        "activity_instance_id": None,
        "response_message_id": str(msg.id) if msg else None,
        "response_message_loading": t == 5,
        "response_message_ephemeral": bool(msg and msg.flags & 64),
    }
    resource: dict[str, Any] = {"type": t}
    if msg is not None and t in (4, 5, 7):
        resource["message"] = msg.payload(sb.bot_user)
    if req.query.get("with_response") in ("1", "true", "True"):
        return 200, {"interaction": interaction, "resource": resource}
    return 204, None


def _webhook_interaction(sb: Sandbox, req: Req) -> InteractionResult:
    if req.params["app_id"] != str(sb.application_id):
        raise ApiError(404, 10015, "Unknown Webhook")
    it = sb.interactions_by_token.get(req.params["token"])
    if it is None or it.response_type is None:
        raise ApiError(404, 10015, "Unknown Webhook")
    return it


def _webhook_message(sb: Sandbox, it: InteractionResult, message_id: str) -> Message:
    if message_id == "@original":
        if it.message is None:
            raise E.unknown_message()
        return it.message
    for m in it.followups:
        if str(m.id) == message_id:
            return m
    stored = sb.world.messages.get(int(message_id)) if message_id.isdigit() else None
    if stored is None or stored.deleted or stored.channel_id != it.channel_id:
        raise E.unknown_message()
    return stored


@route("POST", "/webhooks/{app_id}/{token}")
async def followup(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """A followup message to an answered interaction."""
    it = _webhook_interaction(sb, req)
    files = _attachments_from(sb, req)
    body = req.json or {}
    validate_message(body, has_files=bool(files))
    ch = sb.world.channels[it.channel_id]
    msg = new_message(sb, ch, body, files, webhook=True, allow_ephemeral=True, interaction=it)
    it.followups.append(msg)
    sb._changed()
    if req.query.get("wait") in ("1", "true", "True"):
        return 200, msg.payload(sb.bot_user)
    return 204, None


@route("GET", "/webhooks/{app_id}/{token}/messages/{message_id}")
async def get_webhook_message(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """The @original response or a followup."""
    it = _webhook_interaction(sb, req)
    return 200, _webhook_message(sb, it, req.params["message_id"]).payload(sb.bot_user)


@route("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}")
async def edit_webhook_message(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Edit the @original response or a followup."""
    it = _webhook_interaction(sb, req)
    msg = _webhook_message(sb, it, req.params["message_id"])
    edit_message(sb, msg, req.json or {}, _attachments_from(sb, req))
    return 200, msg.payload(sb.bot_user)


@route("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}")
async def delete_webhook_message(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Delete the @original response or a followup."""
    it = _webhook_interaction(sb, req)
    msg = _webhook_message(sb, it, req.params["message_id"])
    _delete(sb, msg)
    return 204, None


def _delete(sb: Sandbox, msg: Message) -> None:
    msg.deleted = True
    if msg.guild_id is not None and not msg.flags & 64:
        sb.dispatch(
            "MESSAGE_DELETE",
            {"id": str(msg.id), "channel_id": str(msg.channel_id), "guild_id": str(msg.guild_id)},
        )
    sb._changed()


# channels & messages -----------------------------------------------------------
@route("GET", "/channels/{channel_id}")
async def get_channel(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """A channel or thread."""
    ch = _channel(sb, req.params["channel_id"])
    if ch.guild is not None:
        _require(ch)
    return 200, ch.payload()


@route("PATCH", "/channels/{channel_id}")
async def patch_channel(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Rename a channel; archive, lock or rename a thread."""
    ch = _channel(sb, req.params["channel_id"])
    body = req.json or {}
    if isinstance(ch, Thread):
        perms = _bot_perms(ch) or 0
        if not perms & Perm.VIEW_CHANNEL:
            raise E.missing_access()
        if ch.owner_id != sb.bot_user.id and not perms & Perm.MANAGE_THREADS:
            raise E.missing_permissions()
        if "locked" in body and not perms & Perm.MANAGE_THREADS:
            raise E.missing_permissions()
        if "name" in body:
            if not 1 <= len(body["name"] or "") <= 100:
                raise ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {
                        "name": {
                            "_errors": [
                                {
                                    "code": "BASE_TYPE_BAD_LENGTH",
                                    "message": "Must be between 1 and 100 in length.",
                                }
                            ]
                        }
                    },
                )
            ch.name = body["name"]
        for key in ("archived", "locked", "invitable", "auto_archive_duration"):
            if key in body and body[key] is not None:
                setattr(ch, key, body[key])
        if "archived" in body:
            ch.archive_timestamp = iso_now()
        sb.dispatch("THREAD_UPDATE", ch.payload())
    else:
        _require(ch, Perm.MANAGE_CHANNELS)
        if "name" in body:
            ch.name = body["name"]
        if "topic" in body:
            ch.topic = body["topic"]
        sb.dispatch("CHANNEL_UPDATE", ch.payload())
    sb._changed()
    return 200, ch.payload()


@route("GET", "/channels/{channel_id}/messages")
async def get_messages(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Message history, newest first."""
    ch = _channel(sb, req.params["channel_id"])
    _require(ch, Perm.READ_MESSAGE_HISTORY)
    msgs = ch.visible_messages
    if "before" in req.query:
        msgs = [m for m in msgs if m.id < int(req.query["before"])]
    if "after" in req.query:
        msgs = [m for m in msgs if m.id > int(req.query["after"])]
        msgs = msgs[: int(req.query.get("limit", 50))]
    limit = int(req.query.get("limit", 50))
    msgs = list(reversed(msgs))[:limit] if "after" not in req.query else list(reversed(msgs))
    return 200, [m.payload(sb.world.users[m.author_id]) for m in msgs]


@route("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """One message."""
    ch = _channel(sb, req.params["channel_id"])
    _require(ch, Perm.READ_MESSAGE_HISTORY)
    m = _message(ch, req.params["message_id"])
    return 200, m.payload(sb.world.users[m.author_id])


@route("POST", "/channels/{channel_id}/messages")
async def post_message(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Send a message (JSON or multipart with files)."""
    ch = _channel(sb, req.params["channel_id"])
    body = req.json or {}
    _post_checks(sb, ch, body, req.files)
    validate_message(body, has_files=bool(req.files))
    earlier = _same_nonce(sb, ch, body)
    if earlier is not None:
        return 200, earlier.payload(sb.bot_user)
    msg = new_message(sb, ch, body, _attachments_from(sb, req))
    return 200, msg.payload(sb.bot_user)


def _same_nonce(sb: Sandbox, ch: Channel, body: dict[str, Any]) -> Message | None:
    """With `enforce_nonce`, the bot's live message in `ch` sent with this nonce within the window."""
    nonce = body.get("nonce")
    if nonce is None or body.get("enforce_nonce") is not True:
        return None
    since = time.monotonic() - sb.limits.nonce_window
    for m in reversed(ch.messages):
        if m.created_at < since:
            break
        if m.nonce == str(nonce) and m.author_id == sb.bot_user.id and not m.deleted:
            return m
    return None


@route("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def patch_message(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Edit one of the bot's messages."""
    ch = _channel(sb, req.params["channel_id"])
    _require(ch)
    msg = _message(ch, req.params["message_id"])
    if msg.author_id != sb.bot_user.id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    edit_message(sb, msg, req.json or {}, _attachments_from(sb, req))
    return 200, msg.payload(sb.bot_user)


@route("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def delete_message(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Delete a message."""
    ch = _channel(sb, req.params["channel_id"])
    _require(ch)
    msg = _message(ch, req.params["message_id"])
    if msg.author_id != sb.bot_user.id:
        _require(ch, Perm.MANAGE_MESSAGES)
    _delete(sb, msg)
    return 204, None


# threads -----------------------------------------------------------------------
def _make_thread(sb: Sandbox, parent: Channel, body: dict[str, Any], private: bool) -> Thread:
    if parent.guild is None or parent.is_thread:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    _require(parent, Perm.CREATE_PRIVATE_THREADS if private else Perm.CREATE_PUBLIC_THREADS)
    name = body.get("name") or ""
    if not 1 <= len(name) <= 100:
        raise ApiError(
            400,
            50035,
            "Invalid Form Body",
            {
                "name": {
                    "_errors": [
                        {"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 100 in length."}
                    ]
                }
            },
        )
    th = Thread(snowflake(), name, parent, sb.bot_user.id, private)
    th.auto_archive_duration = int(body.get("auto_archive_duration") or 1440)
    if private and "invitable" in body and body["invitable"] is not None:
        th.invitable = bool(body["invitable"])
    th.member_ids.append(sb.bot_user.id)
    th.joined_at[sb.bot_user.id] = iso_now()
    guild = parent.guild
    guild.threads.append(th)
    sb.world.channels[th.id] = th
    sb.dispatch(
        "THREAD_CREATE", {**th.payload(), "newly_created": True, "member": th.thread_member(sb.bot_user.id)}
    )
    sb._changed()
    return th


@route("POST", "/channels/{channel_id}/threads")
async def create_thread(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Start a thread without a message (type 11 public or 12 private)."""
    parent = _channel(sb, req.params["channel_id"])
    body = req.json or {}
    ttype = int(body.get("type") or 12)
    th = _make_thread(sb, parent, body, private=ttype == 12)
    return 201, {**th.payload(), "member": th.thread_member(sb.bot_user.id)}


@route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
async def create_thread_from_message(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Start a public thread from a message."""
    parent = _channel(sb, req.params["channel_id"])
    _message(parent, req.params["message_id"])
    th = _make_thread(sb, parent, req.json or {}, private=False)
    return 201, {**th.payload(), "member": th.thread_member(sb.bot_user.id)}


def _thread(sb: Sandbox, channel_id: str) -> Thread:
    ch = _channel(sb, channel_id)
    if not isinstance(ch, Thread):
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    return ch


@route("PUT", "/channels/{channel_id}/thread-members/{user_id}")
async def add_thread_member(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Add a member to a thread."""
    th = _thread(sb, req.params["channel_id"])
    uid = req.params["user_id"]
    if uid == "@me":
        uid = str(sb.bot_user.id)
    assert th.guild is not None
    member = th.guild.member(int(uid)) if uid.isdigit() else None
    if member is None:
        raise E.unknown_member()
    _require(th, Perm.SEND_MESSAGES_IN_THREADS)
    if th.archived:
        raise ApiError(400, 50083, "Thread is archived")
    if member.id not in th.member_ids:
        th.member_ids.append(member.id)
        th.joined_at[member.id] = iso_now()
        added = {**th.thread_member(member.id), "member": member.payload()}
        _members_update(sb, th, added_members=[added])
    return 204, None


def _members_update(sb: Sandbox, th: Any, **change: Any) -> None:
    """Tell the bot a thread's members changed (THREAD_MEMBERS_UPDATE), as Discord does."""
    assert th.guild is not None
    sb.dispatch(
        "THREAD_MEMBERS_UPDATE",
        {"id": str(th.id), "guild_id": str(th.guild.id), "member_count": len(th.member_ids), **change},
    )
    sb._changed()


@route("DELETE", "/channels/{channel_id}/thread-members/{user_id}")
async def remove_thread_member(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Remove a member from a thread."""
    th = _thread(sb, req.params["channel_id"])
    uid = req.params["user_id"]
    if uid == "@me":
        uid = str(sb.bot_user.id)
    assert th.guild is not None
    if int(uid) != sb.bot_user.id:
        _require(th, Perm.MANAGE_THREADS)
    if int(uid) in th.member_ids:
        th.member_ids.remove(int(uid))
        _members_update(sb, th, removed_member_ids=[uid])
    return 204, None


@route("GET", "/channels/{channel_id}/thread-members/{user_id}")
async def get_thread_member(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """One thread member."""
    th = _thread(sb, req.params["channel_id"])
    uid = req.params["user_id"]
    if not uid.isdigit() or int(uid) not in th.member_ids:
        raise E.unknown_member()
    return 200, th.thread_member(int(uid))


@route("GET", "/channels/{channel_id}/thread-members")
async def get_thread_members(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """All thread members."""
    th = _thread(sb, req.params["channel_id"])
    return 200, [th.thread_member(u) for u in th.member_ids]


# DMs -----------------------------------------------------------------------------
@route("POST", "/users/@me/channels")
async def open_dm(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Open (or return) the DM channel with a user."""
    rid = str((req.json or {}).get("recipient_id", ""))
    user = sb.world.users.get(int(rid)) if rid.isdigit() else None
    if user is None:
        raise E.unknown_user()
    if sb.world.member_anywhere(user.id) is None:
        raise ApiError(403, 50278, "Cannot send messages to this user due to having no mutual guilds")
    ch = sb.world.dm_channel(user)
    return 200, ch.payload()


# guilds --------------------------------------------------------------------------
@route("GET", "/guilds/{guild_id}")
async def get_guild(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """A guild (without members/channels)."""
    g = _guild(sb, req.params["guild_id"])
    out = g.payload()
    for key in ("members", "channels", "threads", "presences", "voice_states"):
        out.pop(key, None)
    return 200, out


@route("GET", "/guilds/{guild_id}/channels")
async def get_guild_channels(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Guild channels."""
    return 200, [c.payload() for c in _guild(sb, req.params["guild_id"]).channels]


@route("GET", "/guilds/{guild_id}/roles")
async def get_guild_roles(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Guild roles."""
    return 200, [r.payload() for r in _guild(sb, req.params["guild_id"]).roles]


@route("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_guild_member(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """One guild member."""
    g = _guild(sb, req.params["guild_id"])
    uid = req.params["user_id"]
    m = g.member(int(uid)) if uid.isdigit() else None
    if m is None:
        raise E.unknown_member()
    return 200, m.payload()


@route("GET", "/guilds/{guild_id}/members")
async def list_guild_members(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Guild members ordered by id (limit/after); needs the Server Members intent enabled."""
    g = _guild(sb, req.params["guild_id"])
    if not sb.members_intent:
        raise E.missing_access()
    after = int(req.query.get("after", 0))
    limit = int(req.query.get("limit", 1))
    members = sorted((m for m in g.members if m.id > after), key=lambda m: m.id)[:limit]
    return 200, [m.payload() for m in members]


@route("GET", "/guilds/{guild_id}/threads/active")
async def active_threads(sb: Sandbox, req: Req) -> tuple[int, Any]:
    """Active threads of a guild."""
    g = _guild(sb, req.params["guild_id"])
    threads = [t for t in g.threads if not t.archived]
    members = [t.thread_member(sb.bot_user.id) for t in threads if sb.bot_user.id in t.member_ids]
    return 200, {"threads": [t.payload() for t in threads], "members": members}
