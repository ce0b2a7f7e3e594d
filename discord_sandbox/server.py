"""The Sandbox: an aiohttp server on loopback that speaks enough Discord for discord.py."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import rest
from .errors import ApiError
from .gateway import Gateway
from .interactions import InteractionResult
from .permissions import DEFAULT_BOT, DEFAULT_EVERYONE
from .ratelimit import RateLimiter
from .state import Attachment, Channel, Guild, Member, Message, User, World, snowflake, snowflake_on_shard
from .users import (
    build_options,
    component_data,
    find_command,
    interaction_payload,
    modal_submit_data,
    nest_options,
)

JSON = "application/json"


MESSAGE_EVENTS = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"})
GUILD_MESSAGES_INTENT = 1 << 9
DIRECT_MESSAGES_INTENT = 1 << 12


@dataclass
class SandboxLimits:
    """Tunable behaviour: rate limits, interaction deadline, heartbeat, nonce window."""

    rate_limits: bool = True
    global_per_second: int = 50
    route_limit: int = 50
    route_window: float = 1.0
    channel_messages: int = 5
    channel_window: float = 5.0
    dm_open_limit: int = 10
    dm_open_window: float = 10.0
    interaction_deadline: float = 3.0
    heartbeat_interval_ms: int = 41250
    attachment_size_limit: int = 10 * 1024 * 1024
    nonce_window: float = 300.0  # seconds an enforced message nonce stays unique in its channel


@dataclass
class RecordedRequest:
    """One REST request the bot made and how the sandbox answered."""

    method: str
    path: str
    route: str | None
    query: dict[str, str]
    json: Any
    status: int = 0
    at: float = field(default_factory=time.monotonic)
    files: list[str] = field(default_factory=list)
    multipart: bool = False  # sent as multipart/form-data (json is then the payload_json part)


@dataclass
class Stats:
    """Counters: requests, 429s, and requests per route."""

    requests: int = 0
    rate_limited: int = 0
    by_route: Counter[str] = field(default_factory=Counter)
    rate_limited_by_route: Counter[str] = field(default_factory=Counter)


@dataclass
class _Fault:
    method: str | None
    pattern: re.Pattern[str]
    status: int
    count: int
    retry_after: float
    body: re.Pattern[str] | None = None  # only requests whose JSON body (as text) matches


class Sandbox:
    """A local Discord: REST under /api/v10, gateway at /gateway, scripted users, recorded state."""

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        *,
        token: str = "sandbox-bot-token",
        bot_name: str = "Conductor",
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.token = token
        self.application_id = snowflake()
        self.owner_id = snowflake()
        self.bot_user = User(self.application_id, bot_name, None, bot=True)
        self.world = World(self, self.bot_user)
        self.world.dispatch = self.dispatch
        self.shard_count = 1  # what /gateway/bot recommends; more than 1: IDENTIFY must name a shard
        self.gateway = Gateway(self)  # shard 0's session (the only one unsharded)
        self.gateways: dict[int, Gateway] = {0: self.gateway}
        self.ratelimiter = RateLimiter(self.limits)
        self.requests: list[RecordedRequest] = []
        self.stats = Stats()
        self.synced: dict[int | None, list[dict[str, Any]]] = {}
        self.interactions: dict[int, InteractionResult] = {}
        self.interactions_by_token: dict[str, InteractionResult] = {}
        self.intents: int | None = None
        # The Server Members privileged intent, as switched in the Developer Portal: when off, the
        # application's flags say so, IDENTIFY with it is closed with 4014 and member lists answer 403.
        self.members_intent = True
        self.port = 0
        self._faults: list[_Fault] = []
        self._waiters: list[asyncio.Future[None]] = []
        self.message_listeners: list[Callable[[str, Message, Channel], None]] = []
        self._runner: web.AppRunner | None = None

    # lifecycle ---------------------------------------------------------------
    async def start(self) -> None:
        """Listen on 127.0.0.1 with an ephemeral port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/gateway", self.gateway.handle)
        app.router.add_route("GET", "/attachments/{aid}/{filename}", self._serve_attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._api)
        app.router.add_route("*", "/api/v9/{tail:.*}", self._api)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)  # TCPSite's server is the loop's asyncio.Server
        self.port = server.sockets[0].getsockname()[1]
        for att in self.world.attachments.values():
            att.base_url = self.base_url

    async def close(self) -> None:
        """Close connections and stop the server."""
        for gateway in self.gateways.values():
            conn = gateway.conn
            if conn is not None and not conn.ws.closed:
                conn.queue.put_nowait(None)
                await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for discord.http.Route.BASE."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Value for discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY (as yarl.URL)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    # world -------------------------------------------------------------------
    def add_guild(
        self, name: str, everyone_permissions: int = DEFAULT_EVERYONE, shard: int | None = None
    ) -> Guild:
        """Create a guild the bot is in (GUILD_CREATE if connected), on a given shard if asked."""
        gid = snowflake() if shard is None else snowflake_on_shard(shard, self.shard_count)
        g = Guild(self.world, gid, name, everyone_permissions)
        g.bot_role.permissions = int(DEFAULT_BOT)
        self.world.guilds.append(g)
        self.dispatch("GUILD_CREATE", g.payload())
        self._changed()
        return g

    @property
    def guilds(self) -> list[Guild]:
        """All guilds, in creation order."""
        return list(self.world.guilds)

    def set_bot_permissions(self, guild: Guild, bits: int) -> None:
        """Set the bot's guild-level permissions (its managed role); @everyone still applies."""
        guild.bot_role.permissions = int(bits)
        self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": guild.bot_role.payload()})
        self._changed()

    def upload(self, filename: str, data: bytes, content_type: str = "text/plain") -> Attachment:
        """An attachment a scripted user uploads (for options of type 11)."""
        att = Attachment(snowflake(), filename, data, content_type, base_url=self.base_url)
        self.world.attachments[att.id] = att
        return att

    def dm_channel(self, member: Member | User) -> Channel:
        """The DM channel between the bot and this user."""
        user = member.user if isinstance(member, Member) else member
        return self.world.dm_channel(user)

    def dms(self, member: Member | User) -> list[Message]:
        """Messages the bot sent to this user's DM channel (not deleted)."""
        user = member.user if isinstance(member, Member) else member
        ch = self.world.dm_channels.get(user.id)
        if ch is None:
            return []
        return [m for m in ch.messages if not m.deleted and m.author_id == self.bot_user.id]

    def commands(self, guild: Guild | None = None) -> list[dict[str, Any]]:
        """Synced application commands (global, or for one guild)."""
        return list(self.synced.get(guild.id if guild is not None else None, []))

    def channel(self, channel_id: int) -> Channel:
        """Any channel, thread or DM by id."""
        return self.world.channels[channel_id]

    def message(self, message_id: int) -> Message:
        """Any message by id (ephemeral ones included)."""
        return self.world.messages[message_id]

    # dispatch & waiting ---------------------------------------------------------
    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway dispatch to the shard owning its guild (queued for RESUME if that one is away).

        As on Discord, a guild's message events go only to a client that asked for them (the
        GUILD_MESSAGES intent), DM message events only with DIRECT_MESSAGES.
        """
        guild_id = data.get("guild_id")
        if event in MESSAGE_EVENTS and self.intents is not None:
            wanted = GUILD_MESSAGES_INTENT if guild_id is not None else DIRECT_MESSAGES_INTENT
            if not self.intents & wanted:
                return
        if guild_id is None and event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
            guild_id = data.get("id")
        self.gateway_for(int(guild_id) if guild_id is not None else None).dispatch(event, data)
        self._changed()

    def shard_of(self, guild_id: int | None) -> int:
        """The shard a guild's events go to: (guild_id >> 22) % shard_count; DMs go to shard 0."""
        return 0 if guild_id is None else (guild_id >> 22) % self.shard_count

    def shard_gateway(self, shard_id: int) -> Gateway:
        """The session state of one shard (made on first use)."""
        if shard_id not in self.gateways:
            self.gateways[shard_id] = Gateway(self, shard_id)
        return self.gateways[shard_id]

    def gateway_for(self, guild_id: int | None) -> Gateway:
        """The shard session that receives a guild's events."""
        return self.shard_gateway(self.shard_of(guild_id))

    @property
    def identifies(self) -> int:
        """IDENTIFYs on every shard together."""
        return sum(g.identifies for g in self.gateways.values())

    def bot_env(self, database_url: str, config: object, log_level: str = "INFO") -> dict[str, str]:
        """The environment for `python -m bot run` pointed at this sandbox (others' DISCORD_* dropped)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
        env.update(
            DISCORD_TOKEN=self.token,
            DISCORD_API_BASE=self.api_base,
            DISCORD_GATEWAY_URL=self.gateway_url,
            DATABASE_URL=database_url,
            CONDUCTOR_CONFIG=str(config),
            LOG_LEVEL=log_level,
        )
        return env

    def notify_message(self, kind: str, message: Message, channel: Channel) -> None:
        """Tell the message listeners (e.g. a rehearsal's transcript) that the bot posted or edited."""
        for listener in self.message_listeners:
            listener(kind, message, channel)

    def _changed(self) -> None:
        waiters, self._waiters = self._waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 10.0,  # noqa: ASYNC109 (public API takes timeout=)
        what: str | None = None,
    ) -> Any:
        """Wait until predicate() is truthy, re-checked on every state change and request."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                name = what or getattr(predicate, "__name__", "condition")
                raise TimeoutError(f"sandbox: timed out after {timeout}s waiting for {name}")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            try:
                await asyncio.wait_for(fut, min(remaining, 0.25))
            except TimeoutError:
                pass

    async def wait_ready(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (public API takes timeout=)
        """Wait until a client identified and was sent READY and GUILD_CREATEs."""
        await self.wait_for(
            lambda: all(
                self.shard_gateway(i).ready.is_set() and self._live(shard=i) for i in range(self.shard_count)
            ),
            timeout,
            "the bot to IDENTIFY",
        )

    def _live(self, guild_id: int | None = None, shard: int | None = None) -> bool:
        """Whether the shard of that guild (or that shard; default shard 0) has a live connection."""
        gateway = self.shard_gateway(shard) if shard is not None else self.gateway_for(guild_id)
        conn = gateway.conn
        return conn is not None and conn.live and not conn.closed

    # faults --------------------------------------------------------------------
    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT; the client should RESUME on a new socket."""
        await self.gateway.send_op(7, None)

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; if not resumable the client re-IDENTIFYs."""
        if not resumable:
            self.gateway.session_id = None
            self.gateway.ready.clear()
        await self.gateway.send_op(9, resumable)

    async def drop_connection(self) -> None:
        """Abort the websocket's TCP connection; the client reconnects and RESUMEs."""
        await self.gateway.drop()

    def fail_requests(
        self,
        method: str | None = None,
        path_regex: str = ".*",
        status: int = 500,
        count: int = 1,
        retry_after: float = 0.05,
        body_regex: str | None = None,
    ) -> None:
        """Answer the next `count` matching requests with `status` (5xx, or 429 with retry_after).

        `body_regex` narrows the fault to requests whose JSON body, as text, matches it (one post).
        """
        body = re.compile(body_regex) if body_regex is not None else None
        self._faults.append(_Fault(method, re.compile(path_regex), status, count, retry_after, body))

    # scripted users ----------------------------------------------------------------
    async def _send_interaction(self, it: InteractionResult) -> InteractionResult:
        await self.wait_for(
            lambda: self._live(it.guild_id), timeout=10, what="a live gateway connection to its shard"
        )
        self.interactions[it.id] = it
        self.interactions_by_token[it.token] = it
        it.created = time.monotonic()
        if it.source_message is not None:
            it.edits_before = len(it.source_message.edits)
        self.dispatch("INTERACTION_CREATE", it.payload)
        deadline = self.limits.interaction_deadline
        try:
            await self.wait_for(
                lambda: it.answered, timeout=deadline + 0.25, what=f"the bot to answer {it.label}"
            )
        except TimeoutError:
            raise TimeoutError(f"the bot did not answer {it.label} within {deadline}s") from None
        return it

    async def run_command(
        self,
        member: Member | User,
        name: str,
        channel: Channel | None = None,
        options: dict[str, Any] | None = None,
    ) -> InteractionResult:
        """A user runs a slash command ("name", "group sub" or "group subgroup sub")."""
        if channel is None:
            channel = self.dm_channel(member)
        guild = channel.guild
        cmd, parts, leaf = find_command(self, guild, name)
        label = f"/{name}"
        leaf_opts, resolved = build_options(self, guild, channel, name, leaf, options or {})
        data: dict[str, Any] = {
            "id": cmd["id"],
            "name": cmd["name"],
            "type": 1,
            "options": nest_options(cmd, parts, leaf_opts),
        }
        if resolved:
            data["resolved"] = resolved
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        iid, token, payload = interaction_payload(self, 2, member, channel, data)
        user = member.user if isinstance(member, Member) else member
        it = InteractionResult(self, iid, token, 2, label, user.id, channel.id, channel.guild_id, payload)
        return await self._send_interaction(it)

    async def click(self, member: Member | User, message: Message, custom_id: str) -> InteractionResult:
        """A user clicks a button on a message."""
        return await self._component(member, message, custom_id, None)

    async def select(
        self, member: Member | User, message: Message, custom_id: str, values: list[str]
    ) -> InteractionResult:
        """A user picks values in a select menu on a message."""
        return await self._component(member, message, custom_id, values)

    async def _component(
        self, member: Member | User, message: Message, custom_id: str, values: list[str] | None
    ) -> InteractionResult:
        if message.deleted:
            raise LookupError(f"message {message.id} was deleted")
        data = component_data(message, custom_id, values)
        channel = self.world.channels[message.channel_id]
        iid, token, payload = interaction_payload(self, 3, member, channel, data, message=message)
        user = member.user if isinstance(member, Member) else member
        label = f"component {custom_id!r}"
        it = InteractionResult(
            self, iid, token, 3, label, user.id, channel.id, channel.guild_id, payload, message
        )
        return await self._send_interaction(it)

    async def submit_modal(
        self, member: Member | User, it: InteractionResult, values: dict[str, Any]
    ) -> InteractionResult:
        """A user fills in and submits the modal the bot answered `it` with."""
        if it.response_type != 9 or it.modal is None:
            raise LookupError(f"{it.label} was not answered with a modal (response type {it.response_type})")
        data = modal_submit_data(it.modal, values)
        channel = self.world.channels[it.channel_id]
        source = it.source_message
        iid, token, payload = interaction_payload(self, 5, member, channel, data, message=source)
        user = member.user if isinstance(member, Member) else member
        label = f"modal {it.modal['custom_id']!r}"
        new = InteractionResult(
            self, iid, token, 5, label, user.id, channel.id, channel.guild_id, payload, source
        )
        return await self._send_interaction(new)

    # http ---------------------------------------------------------------------------
    def _response(self, status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
        hdrs = {"Via": "1.1 google", **(headers or {})}
        if status == 204 or body is None:
            return web.Response(status=204 if body is None else status, headers=hdrs)
        hdrs["Content-Type"] = JSON
        return web.Response(status=status, body=json.dumps(body).encode(), headers=hdrs)

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        att = self.world.attachments.get(int(request.match_info["aid"]))
        if att is None:
            return web.Response(status=404)
        return web.Response(body=att.data, headers={"Content-Type": att.content_type})

    async def _api(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        method = request.method
        query = dict(request.query)
        body: Any = None
        files: list[tuple[str, str, bytes, str]] = []
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            form = await request.post()
            for key, value in form.items():
                if key == "payload_json":
                    body = json.loads(value.file.read() if isinstance(value, web.FileField) else value)
                elif isinstance(value, web.FileField):
                    files.append((key, value.filename, value.file.read(), value.content_type))
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
        template, params, handler = rest.match(method, path)
        rec = RecordedRequest(
            method,
            path,
            template,
            query,
            body,
            files=[f[1] for f in files],
            multipart=ctype.startswith("multipart/"),
        )
        self.requests.append(rec)
        self.stats.requests += 1
        self.stats.by_route[f"{method} {template or path}"] += 1
        resp = await self._answer(request, rec, params, handler, files)
        rec.status = resp.status
        self._changed()
        return resp

    async def _answer(
        self,
        request: web.Request,
        rec: RecordedRequest,
        params: dict[str, str],
        handler: rest.Handler | None,
        files: list[tuple[str, str, bytes, str]],
    ) -> web.Response:
        if handler is None:
            if rec.route is not None:
                return self._response(405, {"message": "405: Method Not Allowed", "code": 0})
            return self._response(404, {"message": "404: Not Found", "code": 0})
        template = rec.route or ""
        webhookish = template.startswith(("/webhooks/", "/interactions/"))
        if not webhookish and request.headers.get("Authorization") != f"Bot {self.token}":
            return self._response(401, {"message": "401: Unauthorized", "code": 0})
        for fault in self._faults:
            if (
                fault.count > 0
                and (fault.method in (None, rec.method))
                and fault.pattern.search(rec.path)
                and (fault.body is None or fault.body.search(json.dumps(rec.json)))
            ):
                fault.count -= 1
                if fault.status == 429:
                    self.stats.rate_limited += 1
                    self.stats.rate_limited_by_route[f"{rec.method} {template}"] += 1
                    body = {
                        "message": "You are being rate limited.",
                        "retry_after": fault.retry_after,
                        "global": False,
                    }
                    return self._response(
                        429, body, {"Retry-After": str(fault.retry_after), "X-RateLimit-Scope": "user"}
                    )
                return self._response(fault.status, {"message": "Internal Server Error", "code": 0})
        headers: dict[str, str] = {}
        if self.limits.rate_limits:
            major = params.get("channel_id") or params.get("guild_id") or params.get("token") or ""
            limited, headers = self.ratelimiter.check(rec.method, template, major)
            if limited is not None:
                self.stats.rate_limited += 1
                self.stats.rate_limited_by_route[f"{rec.method} {template}"] += 1
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": round(limited.retry_after, 3),
                    "global": limited.is_global,
                }
                hdrs = {
                    **limited.headers,
                    "Retry-After": str(max(1, round(limited.retry_after))),
                    "X-RateLimit-Scope": limited.scope,
                }
                if limited.is_global:
                    hdrs["X-RateLimit-Global"] = "true"
                return self._response(429, body, hdrs)
        req = rest.Req(rec.method, rec.path, params, rec.query, rec.json, files)
        try:
            status, out = await handler(self, req)
        except ApiError as e:
            return self._response(e.status, e.body(), headers)
        return self._response(status, out, headers)
