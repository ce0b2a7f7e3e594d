"""The workspace the sandbox holds: its team, people, conversations and messages, as Slack shapes them."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .clock import Ids, SandboxClock


class Kind(StrEnum):
    """A conversation's kind, spelled as `conversations.list` takes it in `types`."""

    PUBLIC = "public_channel"
    PRIVATE = "private_channel"
    IM = "im"
    MPIM = "mpim"


@dataclass
class Team:
    """The workspace itself."""

    id: str
    name: str
    domain: str

    def payload(self) -> dict[str, Any]:
        """The team object of `team.info`."""
        return {
            "id": self.id,
            "name": self.name,
            "domain": self.domain,
            "email_domain": "",
            "icon": {"image_default": True},
            "avatar_base_url": "https://ca.slack-edge.com/",
            "is_verified": False,
            "url": f"https://{self.domain}.slack.com/",
        }


@dataclass
class User:
    """A member of the workspace (a person, or the app's bot user)."""

    id: str
    name: str  # the handle (`alice`)
    real_name: str
    display_name: str = ""
    email: str | None = None
    is_admin: bool = False
    is_owner: bool = False
    tz: str = "Europe/Copenhagen"
    is_bot: bool = False
    bot_id: str | None = None
    deleted: bool = False

    @property
    def shown_name(self) -> str:
        """What Slack shows for them: the display name, else the real name."""
        return self.display_name or self.real_name or self.name

    def tz_offset(self, at: float) -> int:
        """Their time zone's offset from UTC, in seconds, at unix time `at`."""
        offset = datetime.fromtimestamp(at, UTC).astimezone(zoneinfo.ZoneInfo(self.tz)).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0

    def payload(self, team_id: str, *, with_email: bool, now: float) -> dict[str, Any]:
        """The user object of `users.info` and `users.list` (the email only with `users:read.email`)."""
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "display_name": self.display_name,
            "real_name_normalized": self.real_name,
            "display_name_normalized": self.display_name,
            "first_name": self.real_name.split(" ")[0] if self.real_name else "",
            "last_name": " ".join(self.real_name.split(" ")[1:]),
            "title": "",
            "image_48": "https://a.slack-edge.com/80588/img/avatars/ava_0001-48.png",
            "team": team_id,
        }
        if with_email and self.email is not None:
            profile["email"] = self.email
        if self.is_bot:
            profile["bot_id"] = self.bot_id
            profile["always_active"] = True
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": self.tz_offset(now),
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": int(now),
        }


@dataclass
class SharedFile:
    """A file the app uploaded (files.getUploadURLExternal, then files.completeUploadExternal)."""

    id: str
    name: str
    length: int
    user: str
    created: int
    title: str = ""
    data: bytes | None = None  # None until the bytes arrive at the upload URL
    channels: list[str] = field(default_factory=list)

    def payload(self, base_url: str) -> dict[str, Any]:
        """The file object of Slack's answers and of the message sharing it."""
        ext = self.name.rsplit(".", 1)[-1].lower() if "." in self.name else "binary"
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": {"csv": "text/csv", "md": "text/markdown", "txt": "text/plain"}.get(
                ext, "application/octet-stream"
            ),
            "filetype": ext,
            "user": self.user,
            "size": self.length,
            "mode": "hosted",
            "is_external": False,
            "url_private": f"{base_url}/files/{self.id}/{self.name}",
            "url_private_download": f"{base_url}/files/{self.id}/{self.name}?download=1",
            "channels": list(self.channels),
        }


@dataclass
class Message:
    """A message in a conversation, or an ephemeral one shown to one member (`ephemeral_to`)."""

    channel: str
    ts: str
    user: str  # who wrote it (the bot user's id for the app's posts)
    text: str = ""
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    bot_id: str | None = None
    ephemeral_to: str | None = None
    via: str = "api"  # api, ack, response_url, user
    reply_to: str | None = None  # the member whose command or click this answers (ack, response_url)
    unfurl_links: bool | None = None
    unfurl_media: bool | None = None
    mrkdwn: bool = True
    link_names: bool = False
    parse: str | None = None
    reply_broadcast: bool = False
    metadata: dict[str, Any] | None = None
    files: list[SharedFile] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)  # earlier versions, oldest first
    deleted: bool = False

    @property
    def edited(self) -> bool:
        """Whether the message was changed after it was posted."""
        return bool(self.edits)

    def payload(self, team_id: str, app_id: str | None = None) -> dict[str, Any]:
        """The message object of Slack's answers and interaction payloads."""
        out: dict[str, Any] = {"type": "message", "text": self.text, "user": self.user, "ts": self.ts}
        if self.bot_id is not None:
            out["bot_id"] = self.bot_id
            out["app_id"] = app_id
        out["team"] = team_id
        if self.blocks is not None:
            out["blocks"] = self.blocks
        if self.thread_ts is not None:
            out["thread_ts"] = self.thread_ts
        if self.edits:
            out["edited"] = {"user": self.user, "ts": self.edits[-1]["edited_ts"]}
        if self.metadata is not None:
            out["metadata"] = self.metadata
        if self.files:
            out["files"] = [{"id": f.id, "name": f.name, "title": f.title or f.name} for f in self.files]
            out["upload"] = True
        return out


@dataclass
class Channel:
    """A conversation: a public or private channel, a DM (`im`) or a group DM (`mpim`)."""

    id: str
    kind: Kind
    name: str
    creator: str
    created: int
    members: list[str] = field(default_factory=list)
    is_archived: bool = False
    is_general: bool = False
    im_user: str | None = None  # the person in a DM with the bot
    topic: str = ""
    purpose: str = ""
    messages: list[Message] = field(default_factory=list)

    @property
    def is_private(self) -> bool:
        """Private channels, DMs and group DMs are private."""
        return self.kind is not Kind.PUBLIC

    def visible(self) -> list[Message]:
        """The messages not deleted, in order."""
        return [m for m in self.messages if not m.deleted]

    def payload(self, viewer: str) -> dict[str, Any]:
        """The conversation object of `conversations.info` and `conversations.list`, as `viewer` sees it."""
        if self.kind is Kind.IM:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": self.kind is Kind.PUBLIC,
            "is_group": self.kind is Kind.PRIVATE,
            "is_im": False,
            "is_mpim": self.kind is Kind.MPIM,
            "is_private": self.is_private,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": None,
            "creator": self.creator,
            "is_ext_shared": False,
            "is_member": viewer in self.members,
            "num_members": len(self.members),
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
            "previous_names": [],
        }


class SightKind(StrEnum):
    """Something that changed on a member's screen."""

    POSTED = "posted"
    EDITED = "edited"
    DELETED = "deleted"
    EPHEMERAL = "ephemeral"
    MODAL_OPENED = "modal_opened"
    MODAL_UPDATED = "modal_updated"
    MODAL_PUSHED = "modal_pushed"
    MODAL_CLOSED = "modal_closed"


@dataclass(frozen=True)
class Sight:
    """One entry of the workspace's log of visible changes: who could see it, and what it was."""

    seq: int
    kind: SightKind
    audience: frozenset[str]
    channel: str | None = None
    message: Message | None = None
    view_id: str | None = None


class Workspace:
    """Everything the sandbox holds about one team, with the look-ups the Web API methods need."""

    def __init__(self, clock: SandboxClock, ids: Ids, team_name: str, on_change: Callable[[], None]) -> None:
        self.clock = clock
        self.ids = ids
        domain = "".join(c for c in team_name.lower().replace(" ", "-") if c.isalnum() or c == "-")[:21]
        self.team = Team(ids.next("T"), team_name, domain or "sandbox")
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.ephemerals: list[Message] = []
        self.files: dict[str, SharedFile] = {}
        self.sights: list[Sight] = []
        self.listeners: list[Callable[[Sight], None]] = []  # told of every sight (e.g. a transcript)
        self._on_change = on_change

    def changed(self) -> None:
        """Wake whoever waits on the workspace."""
        self._on_change()

    def see(
        self,
        kind: SightKind,
        audience: Iterable[str],
        *,
        channel: str | None = None,
        message: Message | None = None,
        view_id: str | None = None,
    ) -> Sight:
        """Log a visible change for `audience` and wake waiters."""
        sight = Sight(len(self.sights) + 1, kind, frozenset(audience), channel, message, view_id)
        self.sights.append(sight)
        for listener in self.listeners:
            listener(sight)
        self.changed()
        return sight

    # people ----------------------------------------------------------------------------------
    def add_user(self, user: User) -> User:
        """Add a member; everyone is in the #general channel."""
        self.users[user.id] = user
        for ch in self.channels.values():
            if ch.is_general and user.id not in ch.members:
                ch.members.append(user.id)
        self.changed()
        return user

    def user(self, user_id: str) -> User | None:
        """A member by id."""
        return self.users.get(user_id)

    def by_email(self, email: str) -> User | None:
        """A member by email, compared without case."""
        return next((u for u in self.users.values() if u.email and u.email.lower() == email.lower()), None)

    # conversations ----------------------------------------------------------------------------
    def add_channel(self, kind: Kind, name: str, creator: str, members: Iterable[str] = ()) -> Channel:
        """Create a conversation."""
        prefix = {Kind.IM: "D", Kind.MPIM: "G"}.get(kind, "C")
        ch = Channel(self.ids.next(prefix), kind, name, creator, int(self.clock.wall()))
        for m in [creator, *members]:
            if m and m not in ch.members:
                ch.members.append(m)
        self.channels[ch.id] = ch
        self.changed()
        return ch

    def channel(self, ref: str) -> Channel | None:
        """A conversation by id, or a channel by name (`general` or `#general`), as Slack accepts both."""
        if ref in self.channels:
            return self.channels[ref]
        name = ref.removeprefix("#")
        return next(
            (c for c in self.channels.values() if c.kind in (Kind.PUBLIC, Kind.PRIVATE) and c.name == name),
            None,
        )

    def named(self, name: str) -> Channel | None:
        """A public or private channel by its name (names are unique in a workspace)."""
        return next((c for c in self.channels.values() if c.name == name and c.kind is not Kind.IM), None)

    def im_with(self, user_id: str) -> Channel | None:
        """The bot's DM with a member, if it was opened."""
        return next((c for c in self.channels.values() if c.kind is Kind.IM and c.im_user == user_id), None)

    def open_im(self, bot: str, user_id: str) -> Channel:
        """The bot's DM with a member, opened if it was not."""
        ch = self.im_with(user_id)
        if ch is None:
            ch = self.add_channel(Kind.IM, user_id, bot, [user_id])
            ch.im_user = user_id
        return ch

    def audience(self, channel: Channel, message: Message) -> list[str]:
        """Who sees a message: its one reader if ephemeral, else the conversation's members."""
        return [message.ephemeral_to] if message.ephemeral_to else list(channel.members)

    # messages ---------------------------------------------------------------------------------
    def message(self, channel_id: str, ts: str) -> Message | None:
        """A (not deleted) message by its channel and ts."""
        ch = self.channels.get(channel_id)
        if ch is None:
            return None
        return next((m for m in ch.messages if m.ts == ts and not m.deleted), None)

    def ephemeral(self, channel_id: str, ts: str) -> Message | None:
        """An ephemeral message by its channel and ts."""
        return next(
            (m for m in self.ephemerals if m.channel == channel_id and m.ts == ts and not m.deleted), None
        )

    def post(self, channel: Channel, message: Message) -> Message:
        """Add a message to a conversation (or show an ephemeral one) and log who sees it."""
        if message.ephemeral_to:
            self.ephemerals.append(message)
            self.see(SightKind.EPHEMERAL, [message.ephemeral_to], channel=channel.id, message=message)
        else:
            channel.messages.append(message)
            self.see(SightKind.POSTED, channel.members, channel=channel.id, message=message)
        return message

    def edit(self, channel: Channel, message: Message, text: str | None, blocks: list[Any] | None) -> None:
        """Change a message in place, keeping its earlier version."""
        message.edits.append({"text": message.text, "blocks": message.blocks, "edited_ts": self.ids.ts()})
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = blocks or None
        self.see(SightKind.EDITED, self.audience(channel, message), channel=channel.id, message=message)

    def delete(self, channel: Channel, message: Message) -> None:
        """Delete a message."""
        message.deleted = True
        self.see(SightKind.DELETED, self.audience(channel, message), channel=channel.id, message=message)
