"""The SlackSandbox: a local Slack (Web API, Socket Mode, response_urls) holding one workspace."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from aiohttp import web

from . import acks, http_api
from .clock import Ids, SandboxClock
from .content import Content
from .elements import with_ids
from .interactions import event_payload
from .modals import Modals, Trigger
from .ratelimits import RateLimiter, RateLimits
from .responses import ResponseUrls
from .scripted import ScriptedUser
from .socket_mode import EnvelopeType, SocketMode, SocketSettings
from .spec import SpecCheck, TokenKind, Violation
from .uploads import Uploads
from .workspace import Channel, Kind, Message, User, Workspace

# The bot scopes a session bot needs (../shared/slack-api/NOTES.md).
DEFAULT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "mpim:write",
    "groups:write",
    "channels:read",
    "groups:read",
    "users:read",
    "users:read.email",
    "channels:manage",
)

_CHANNEL_TYPES = {Kind.PUBLIC: "channel", Kind.PRIVATE: "group", Kind.IM: "im", Kind.MPIM: "mpim"}
_MESSAGE_EVENTS = {
    Kind.PUBLIC: "message.channels",
    Kind.PRIVATE: "message.groups",
    Kind.IM: "message.im",
    Kind.MPIM: "message.mpim",
}


class SlackSandbox:
    """A local Slack workspace for tests and rehearsals; `async with SlackSandbox() as sb:` starts it.

    The app is installed with `scopes` (bot token `sb.bot_token`, app-level token `sb.app_token`),
    has the slash `commands` given (None: any), and is sent the Events API `events` named
    (`message.im`, `app_mention`...; none by default).
    """

    def __init__(
        self,
        *,
        team_name: str = "DTU 02501 ADLCV",
        bot_name: str = "conductor",
        scopes: Iterable[str] = DEFAULT_SCOPES,
        rate_limits: RateLimits | None = None,
        socket: SocketSettings | None = None,
        commands: Iterable[str] | None = None,
        events: Iterable[str] = (),
        spec_path: Path | None = None,
        trigger_lifetime: float = 3.0,
    ) -> None:
        self.clock = SandboxClock()
        self.ids = Ids(self.clock)
        self._waiters: list[asyncio.Future[None]] = []
        self.workspace = Workspace(self.clock, self.ids, team_name, self.changed)
        self.app_id = self.ids.next("A")
        self.bot = self.workspace.add_user(
            User(self.ids.next("U"), bot_name, "Conductor", is_bot=True, bot_id=self.ids.next("B"))
        )
        self.workspace.add_user(User("USLACKBOT", "slackbot", "Slackbot", is_bot=True))
        self.general = self.workspace.add_channel(Kind.PUBLIC, "general", "USLACKBOT")
        self.general.is_general = True
        self.general.members.remove("USLACKBOT")
        self.bot_token = f"xoxb-{secrets.randbelow(10**12)}-{secrets.randbelow(10**12)}-{Ids.secret(24)}"
        self.app_token = f"xapp-1-{self.app_id}-{secrets.randbelow(10**12)}-{secrets.token_hex(32)}"
        self.verification_token = Ids.secret(24)
        self.scopes = frozenset(scopes)
        self.rate_limits = rate_limits or RateLimits()
        self.ratelimiter = RateLimiter(self.rate_limits)
        self.spec = SpecCheck(spec_path)
        self.socket = SocketMode(self, socket or SocketSettings())
        self.socket.on_ack = lambda env: acks.on_ack(self, env)
        self.responses = ResponseUrls(self)
        self.files = Uploads(self)
        self.modals = Modals()
        self.trigger_lifetime = trigger_lifetime
        self.commands = set(commands) if commands is not None else None
        self.events = set(events)
        self.requests: list[http_api.RecordedCall] = []
        self.violations: list[Violation] = []
        self.problems: list[str] = []
        self.rate_limited: list[str] = []
        self.faults: list[http_api.Fault] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    # lifecycle ---------------------------------------------------------------------------------
    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1, on `port` (default: one the system chooses)."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link/", self.socket.handle)
        app.router.add_post("/{kind:commands|actions}/{team}/{id}/{secret}", self.responses.handle)
        app.router.add_post("/upload/v1/{secret}", self.files.receive)
        app.router.add_get("/files/{file_id}/{name}", self.files.serve)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def _api(self, request: web.Request) -> web.Response:
        return await http_api.handle(self, request)

    async def close(self) -> None:
        """Close connections and stop listening."""
        await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackSandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The Web API base for `AsyncWebClient(base_url=...)` (ends with `/`)."""
        return f"{self.base_url}/api/"

    def env(self) -> dict[str, str]:
        """Environment variables for an app process pointed at the sandbox."""
        return {
            "SLACK_BOT_TOKEN": self.bot_token,
            "SLACK_APP_TOKEN": self.app_token,
            "SLACK_API_URL": self.api_url,
        }

    def token_kind(self, token: str) -> TokenKind | None:
        """The kind of a token the sandbox issued (None for any other)."""
        return {self.bot_token: TokenKind.BOT, self.app_token: TokenKind.APP}.get(token)

    # the workspace -----------------------------------------------------------------------------
    def add_user(
        self,
        real_name: str,
        *,
        name: str | None = None,
        display_name: str = "",
        email: str | None = None,
        is_admin: bool = False,
        tz: str = "Europe/Copenhagen",
    ) -> ScriptedUser:
        """A new member (in #general), as a scripted user."""
        handle = name or real_name.lower().replace(" ", ".")
        user = User(self.ids.next("U"), handle, real_name, display_name, email, is_admin=is_admin, tz=tz)
        self.workspace.add_user(user)
        return ScriptedUser(self, user)

    def member(self, who: str) -> ScriptedUser:
        """A member as a scripted user, by id, handle or shown name."""
        for user in self.workspace.users.values():
            if who in (user.id, user.name, user.shown_name) and not user.is_bot:
                return ScriptedUser(self, user)
        raise LookupError(f"no member {who!r}")

    def add_channel(
        self, name: str, members: Iterable[ScriptedUser] = (), *, private: bool = False, with_app: bool = True
    ) -> Channel:
        """A channel made by a person, with members (and the app, unless `with_app=False`)."""
        people = [m.id for m in members]
        creator = people[0] if people else "USLACKBOT"
        ch = self.workspace.add_channel(Kind.PRIVATE if private else Kind.PUBLIC, name, creator, people)
        if creator == "USLACKBOT":
            ch.members.remove("USLACKBOT")
        if with_app:
            ch.members.append(self.bot.id)
        return ch

    def channel(self, name: str) -> Channel:
        """A channel by name (`reading-group` or `#reading-group`) or id."""
        ch = self.workspace.channel(name)
        if ch is None:
            raise LookupError(f"no channel {name!r}")
        return ch

    def posts(self, channel: Channel) -> list[Message]:
        """The app's messages in a channel, not deleted, in order."""
        return [m for m in channel.visible() if m.user == self.bot.id]

    def issue_trigger(self, user: str, view_id: str | None = None) -> str:
        """A trigger id for a member's action (valid for `trigger_lifetime` seconds)."""
        trigger = Trigger(self.ids.trigger_id(), user, self.clock.monotonic(), view_id)
        self.modals.triggers[trigger.id] = trigger
        return trigger.id

    def post_reply(
        self,
        channel: Channel,
        user: str,
        content: Content,
        *,
        in_channel: bool,
        via: str,
        echo: str | None = None,
        thread_ts: Any = None,
    ) -> Message:
        """Show a reply to a member's command or click: to them alone, or to the channel (`in_channel`)."""
        ws = self.workspace
        if in_channel and echo:
            ws.post(channel, Message(channel.id, self.ids.ts(), user, echo, via="user"))
        message = Message(
            channel.id,
            self.ids.ts(),
            self.bot.id,
            content.text,
            with_ids(content.blocks),
            thread_ts=str(thread_ts) if thread_ts else None,
            bot_id=self.bot.bot_id,
            ephemeral_to=None if in_channel else user,
            via=via,
            reply_to=user,
        )
        return ws.post(channel, message)

    def post_as(self, user: User, channel: Channel, text: str, *, thread_ts: str | None = None) -> Message:
        """A member's own message; the app hears of it when it subscribed to that kind of message."""
        message = self.workspace.post(
            channel, Message(channel.id, self.ids.ts(), user.id, text, thread_ts=thread_ts, via="user")
        )
        if self.bot.id in channel.members and _MESSAGE_EVENTS[channel.kind] in self.events:
            event: dict[str, Any] = {
                "type": "message",
                "channel": channel.id,
                "user": user.id,
                "text": text,
                "ts": message.ts,
                "event_ts": message.ts,
                "channel_type": _CHANNEL_TYPES[channel.kind],
                "team": self.workspace.team.id,
            }
            if thread_ts:
                event["thread_ts"] = thread_ts
            self.send_event(event)
        if f"<@{self.bot.id}>" in text and "app_mention" in self.events and self.bot.id in channel.members:
            self.send_event(
                {
                    "type": "app_mention",
                    "channel": channel.id,
                    "user": user.id,
                    "text": text,
                    "ts": message.ts,
                    "event_ts": message.ts,
                }
            )
        return message

    def send_event(self, event: dict[str, Any]) -> Any:
        """Deliver one Events API event to the app."""
        payload = event_payload(self, event, self.ids.next("Ev"))
        return self.socket.deliver(EnvelopeType.EVENTS_API, payload, accepts_response_payload=False)

    # faults ------------------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        *,
        count: int = 1,
        status: int = 200,
        error: str = "fatal_error",
        retry_after: int = 1,
    ) -> None:
        """Answer the next `count` calls to `method` with a 429 (`status=429`), a 5xx, or an error string."""
        self.faults.append(http_api.Fault(method, count, status, error, retry_after))

    def take_fault(self, method: str) -> http_api.Fault | None:
        """The fault to answer this call with, if one is pending."""
        for fault in self.faults:
            if fault.method == method and fault.count > 0:
                fault.count -= 1
                return fault
        return None

    # waiting -----------------------------------------------------------------------------------
    def changed(self) -> None:
        """Wake everyone waiting on the sandbox."""
        waiters, self._waiters = self._waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float | None = 10.0,  # noqa: ASYNC109 (public API takes timeout=)
        what: str | None = None,
    ) -> Any:
        """Wait until `predicate()` is truthy (re-checked on every change); TimeoutError after `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                raise TimeoutError(
                    f"slack sandbox: timed out after {timeout:g} s waiting for {what or 'a condition'}"
                )
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            with contextlib.suppress(TimeoutError):
                # Woken by every change; the periodic look is only a safety net.
                await asyncio.wait_for(fut, 0.5 if remaining is None else min(remaining, 0.5))

    def assert_clean(self) -> None:
        """Fail if any request broke Slack's description, or the app did what Slack would refuse."""
        problems = [str(v) for v in self.violations] + self.problems
        if problems:
            raise AssertionError("the app did what Slack would not take:\n" + "\n".join(problems))
