"""In-memory Discord world of the sandbox: users, guilds, roles, channels, threads, messages."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord.utils

from .permissions import apply_overwrites

if TYPE_CHECKING:
    from .server import Sandbox

_counter = itertools.count()
_last_id = 0


def snowflake() -> int:
    """Return a fresh, increasing snowflake dated now (discord.py rejects ids from 2015)."""
    global _last_id
    new = discord.utils.time_snowflake(dt.datetime.now(dt.UTC)) + (next(_counter) % 4096)
    _last_id = max(new, _last_id + 1)
    return _last_id


def snowflake_on_shard(shard_id: int, shard_count: int) -> int:
    """A fresh snowflake whose guild would live on that shard ((id >> 22) % count), a few ms ahead."""
    global _last_id
    base = snowflake()  # larger than every id given so far, so the result is too
    _last_id = base + (((shard_id - (base >> 22)) % shard_count) << 22)
    return _last_id


def iso_now() -> str:
    """Return the current time as an ISO 8601 string with timezone."""
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass
class User:
    """A Discord user (the bot or a scripted person)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        """Return the user object."""
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int
    position: int = 1
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        """Return the role object."""
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class Attachment:
    """A file: uploaded by a scripted user (option type 11) or sent by the bot."""

    id: int
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    base_url: str = ""

    @property
    def url(self) -> str:
        """Where the sandbox serves the bytes."""
        return f"{self.base_url}/attachments/{self.id}/{self.filename}"

    @property
    def text(self) -> str:
        """The bytes decoded as UTF-8 (for CSV/text exports)."""
        return self.data.decode("utf-8", errors="replace")

    def payload(self) -> dict[str, Any]:
        """Return the attachment object."""
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }


@dataclass
class Message:
    """A message as the sandbox stored it (after edits)."""

    id: int
    channel_id: int
    author_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: dict[str, Any] | None = None
    attachments: list[Attachment] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    guild_id: int | None = None
    webhook_id: int | None = None
    type: int = 0
    interaction_id: int | None = None
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    nonce: str | None = None
    created_at: float = field(default_factory=time.monotonic)  # monotonic clock, for nonce windows

    @property
    def ephemeral(self) -> bool:
        """Whether flag 64 is set."""
        return bool(self.flags & 64)

    @property
    def text(self) -> str:
        """Content plus all embed text (titles, descriptions, fields, footers, authors)."""
        parts = [self.content] if self.content else []
        for e in self.embeds:
            for key in ("title", "description"):
                if e.get(key):
                    parts.append(str(e[key]))
            if e.get("author", {}).get("name"):
                parts.append(e["author"]["name"])
            for f in e.get("fields", []):
                parts.extend([str(f.get("name", "")), str(f.get("value", ""))])
            if e.get("footer", {}).get("text"):
                parts.append(e["footer"]["text"])
        parts.extend(_component_texts(self.components))
        return "\n".join(parts)

    @property
    def buttons(self) -> list[tuple[str | None, str | None]]:
        """All buttons as (label, custom_id) pairs, in order."""
        return [
            (c.get("label"), c.get("custom_id")) for c in walk_components(self.components) if c["type"] == 2
        ]

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        """Return the component with this custom_id, if any."""
        for c in walk_components(self.components):
            if c.get("custom_id") == custom_id:
                return c
        return None

    def snapshot(self) -> dict[str, Any]:
        """The editable fields as they are now (stored in `edits` before an edit)."""
        return {
            "content": self.content,
            "embeds": list(self.embeds),
            "components": list(self.components),
            "flags": self.flags,
            "attachments": list(self.attachments),
            "edited_timestamp": self.edited_timestamp,
        }

    def payload(self, author: User) -> dict[str, Any]:
        """Return the message object."""
        out: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": author.payload(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [a.payload() for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            out["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            out["webhook_id"] = str(self.webhook_id)
            out["application_id"] = str(self.webhook_id)
        if self.nonce is not None:
            out["nonce"] = self.nonce
        return out


def walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten rows, containers, sections and labels into their leaf components (and the containers)."""
    out: list[dict[str, Any]] = []
    for c in components or []:
        out.append(c)
        if c.get("components"):
            out.extend(walk_components(c["components"]))
        if isinstance(c.get("component"), dict):
            out.extend(walk_components([c["component"]]))
        if isinstance(c.get("accessory"), dict):
            out.extend(walk_components([c["accessory"]]))
    return out


def _component_texts(components: list[dict[str, Any]]) -> list[str]:
    return [c["content"] for c in walk_components(components) if c.get("type") == 10 and c.get("content")]


class Channel:
    """A text channel, DM channel (type 1) or thread (types 11/12)."""

    def __init__(self, id: int, name: str, type: int, guild: Guild | None = None) -> None:
        self.id = id
        self.name = name
        self.type = type
        self.guild = guild
        self.overwrites: list[dict[str, Any]] = []
        self.messages: list[Message] = []
        self.topic: str | None = None
        self.position = 0
        self.parent_id: int | None = None
        self.recipient: User | None = None

    @property
    def guild_id(self) -> int | None:
        """The guild's id, None for DMs."""
        return self.guild.id if self.guild else None

    @property
    def is_thread(self) -> bool:
        """Whether this is a thread."""
        return self.type in (10, 11, 12)

    @property
    def visible_messages(self) -> list[Message]:
        """Messages not deleted."""
        return [m for m in self.messages if not m.deleted]

    def last_message_id(self) -> str | None:
        """Id of the newest message."""
        return str(self.messages[-1].id) if self.messages else None

    def _set_overwrite(self, target_id: int, type_: int, allow: int, deny: int) -> None:
        self.overwrites = [o for o in self.overwrites if int(o["id"]) != target_id]
        self.overwrites.append({"id": str(target_id), "type": type_, "allow": str(allow), "deny": str(deny)})
        if self.guild is not None:
            self.guild._channel_changed(self)

    def deny_bot(self, permissions: int, allow: int = 0) -> None:
        """Add a member overwrite denying the bot these permission bits here."""
        assert self.guild is not None, "only guild channels have overwrites"
        self._set_overwrite(self.guild.world.bot_user.id, 1, allow, int(permissions))

    def set_role_overwrite(self, role: Role, allow: int = 0, deny: int = 0) -> None:
        """Add a role overwrite (use the guild id / guild.everyone for @everyone)."""
        self._set_overwrite(role.id, 0, int(allow), int(deny))

    def payload(self) -> dict[str, Any]:
        """Return the channel object."""
        if self.type == 1:
            return {
                "id": str(self.id),
                "type": 1,
                "last_message_id": self.last_message_id(),
                "recipients": [self.recipient.payload()] if self.recipient else [],
                "flags": 0,
            }
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": list(self.overwrites),
            "topic": self.topic,
            "nsfw": False,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "last_message_id": self.last_message_id(),
            "rate_limit_per_user": 0,
            "default_auto_archive_duration": 1440,
            "flags": 0,
        }


class Thread(Channel):
    """A thread (11 public, 12 private) under a text channel."""

    def __init__(self, id: int, name: str, parent: Channel, owner_id: int, private: bool) -> None:
        super().__init__(id, name, 12 if private else 11, parent.guild)
        self.parent_id = parent.id
        self.owner_id = owner_id
        self.member_ids: list[int] = []
        self.archived = False
        self.locked = False
        self.invitable = True
        self.auto_archive_duration = 1440
        self.archive_timestamp = iso_now()
        self.create_timestamp = iso_now()
        self.joined_at: dict[int, str] = {}

    @property
    def private(self) -> bool:
        """Whether this is a private thread (type 12)."""
        return self.type == 12

    @property
    def parent(self) -> Channel:
        """The channel the thread lives in."""
        assert self.guild is not None and self.parent_id is not None
        return self.guild.channel(self.parent_id)

    def thread_member(self, user_id: int) -> dict[str, Any]:
        """Return a thread member object."""
        return {
            "id": str(self.id),
            "user_id": str(user_id),
            "join_timestamp": self.joined_at.get(user_id, self.create_timestamp),
            "flags": 0,
        }

    def payload(self) -> dict[str, Any]:
        """Return the thread channel object."""
        out = super().payload()
        out.update(
            owner_id=str(self.owner_id),
            message_count=len(self.messages),
            total_message_sent=len(self.messages),
            member_count=min(len(self.member_ids), 50),
            applied_tags=[],
            thread_metadata={
                "archived": self.archived,
                "auto_archive_duration": self.auto_archive_duration,
                "archive_timestamp": self.archive_timestamp,
                "locked": self.locked,
                "invitable": self.invitable,
                "create_timestamp": self.create_timestamp,
            },
        )
        out.pop("permission_overwrites", None)
        out.pop("topic", None)
        return out


@dataclass
class Member:
    """A guild member (user + roles)."""

    user: User
    guild: Guild
    roles: list[Role] = field(default_factory=list)
    dms_open: bool = True
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    @property
    def id(self) -> int:
        """The user's id."""
        return self.user.id

    @property
    def name(self) -> str:
        """The display name."""
        return self.nick or self.user.global_name or self.user.username

    def permissions(self) -> int:
        """Guild-level permissions from @everyone plus the member's roles."""
        perms = self.guild.everyone.permissions
        for r in self.roles:
            perms |= r.permissions
        return perms

    def payload(self, with_user: bool = True) -> dict[str, Any]:
        """Return the guild member object."""
        out: dict[str, Any] = {
            "roles": [str(r.id) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            out["user"] = self.user.payload()
        return out


class Guild:
    """A guild with roles, channels, members and threads; changes are dispatched once the bot is connected."""

    def __init__(self, world: World, id: int, name: str, everyone_permissions: int) -> None:
        self.world = world
        self.id = id
        self.name = name
        self.everyone = Role(id, "@everyone", int(everyone_permissions), position=0)
        self.roles: list[Role] = [self.everyone]
        self.channels: list[Channel] = []
        self.members: list[Member] = []
        self.threads: list[Thread] = []
        self.bot_role = Role(snowflake(), world.bot_user.username, 0, position=1, managed=True)
        self.roles.append(self.bot_role)
        self.bot_member = Member(world.bot_user, self, roles=[self.bot_role])
        self.members.append(self.bot_member)

    def add_role(self, name: str, permissions: int = 0) -> Role:
        """Create a role."""
        role = Role(snowflake(), name, int(permissions), position=len(self.roles))
        self.roles.append(role)
        self.world.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": role.payload()})
        return role

    def add_text_channel(self, name: str, topic: str | None = None) -> Channel:
        """Create a text channel (type 0)."""
        ch = Channel(snowflake(), name, 0, self)
        ch.topic = topic
        ch.position = len(self.channels)
        self.channels.append(ch)
        self.world.channels[ch.id] = ch
        self.world.dispatch("CHANNEL_CREATE", ch.payload())
        return ch

    def add_member(
        self,
        name: str,
        username: str | None = None,
        roles: list[Role] | None = None,
        dms_open: bool = True,
    ) -> Member:
        """Create a user and make them a member (GUILD_MEMBER_ADD once connected)."""
        user = self.world.user_named(username or name.lower().replace(" ", ""), global_name=name)
        member = Member(user, self, roles=list(roles or []), dms_open=dms_open)
        self.members.append(member)
        payload = member.payload()
        payload["guild_id"] = str(self.id)
        self.world.dispatch("GUILD_MEMBER_ADD", payload)
        return member

    def add_existing_member(self, other: Member, roles: list[Role] | None = None) -> Member:
        """Add a user who is already in another guild."""
        member = Member(other.user, self, roles=list(roles or []), dms_open=other.dms_open)
        self.members.append(member)
        payload = member.payload()
        payload["guild_id"] = str(self.id)
        self.world.dispatch("GUILD_MEMBER_ADD", payload)
        return member

    def set_roles(self, member: Member, roles: list[Role]) -> None:
        """Replace a member's roles (GUILD_MEMBER_UPDATE)."""
        member.roles = list(roles)
        payload = member.payload()
        payload["guild_id"] = str(self.id)
        self.world.dispatch("GUILD_MEMBER_UPDATE", payload)

    def member(self, user_id: int) -> Member | None:
        """Find a member by user id."""
        return next((m for m in self.members if m.id == user_id), None)

    def channel(self, channel_id: int) -> Channel:
        """Find a channel or thread by id."""
        ch = self.world.channels[channel_id]
        return ch

    def thread_named(self, name: str) -> Thread:
        """Find a thread by name (the latest one)."""
        return next(t for t in reversed(self.threads) if t.name == name)

    def permissions_in(self, member: Member, channel: Channel) -> int:
        """Effective permissions of a member in a channel (threads use their parent)."""
        target = channel.parent if isinstance(channel, Thread) else channel
        base = member.permissions()
        return apply_overwrites(base, target.overwrites, self.id, {r.id for r in member.roles}, member.id)

    def _channel_changed(self, ch: Channel) -> None:
        self.world.dispatch("CHANNEL_UPDATE", ch.payload())

    def payload(self) -> dict[str, Any]:
        """Return the full GUILD_CREATE payload."""
        bot_id = self.world.bot_user.id
        threads = []
        for t in self.threads:
            if t.archived:
                continue
            p = t.payload()
            if bot_id in t.member_ids:
                p["member"] = t.thread_member(bot_id)
            threads.append(p)
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.members[1].id if len(self.members) > 1 else bot_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "joined_at": iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": [m.payload() for m in self.members],
            "channels": [c.payload() for c in self.channels],
            "threads": threads,
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


class World:
    """Everything the sandbox knows, plus the hooks that dispatch gateway events and wake waiters."""

    def __init__(self, sandbox: Sandbox, bot_user: User) -> None:
        self.sandbox = sandbox
        self.bot_user = bot_user
        self.users: dict[int, User] = {bot_user.id: bot_user}
        self.guilds: list[Guild] = []
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.dm_channels: dict[int, Channel] = {}
        self.attachments: dict[int, Attachment] = {}
        self.dispatch: Callable[[str, dict[str, Any]], None] = lambda t, d: None

    def user_named(self, username: str, global_name: str | None = None) -> User:
        """Create a user."""
        user = User(snowflake(), username, global_name)
        self.users[user.id] = user
        return user

    def guild_of(self, guild_id: int) -> Guild | None:
        """Find a guild."""
        return next((g for g in self.guilds if g.id == guild_id), None)

    def dm_channel(self, user: User) -> Channel:
        """Return (creating if needed) the DM channel between the bot and a user."""
        ch = self.dm_channels.get(user.id)
        if ch is None:
            ch = Channel(snowflake(), "", 1)
            ch.recipient = user
            self.dm_channels[user.id] = ch
            self.channels[ch.id] = ch
        return ch

    def member_anywhere(self, user_id: int) -> Member | None:
        """The first guild membership of a user."""
        for g in self.guilds:
            m = g.member(user_id)
            if m is not None:
                return m
        return None
