"""The sandbox's gateway: HELLO/IDENTIFY/READY/GUILD_CREATE, heartbeats, dispatch log, RESUME and faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import Sandbox

_log = logging.getLogger(__name__)
GUILD_MEMBERS_INTENT = 1 << 1


class Connection:
    """One client websocket with an ordered writer queue."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ws = ws
        self.request = request
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.live = False  # identified or resumed: dispatches flow
        self.closed = False
        self.gateway: Gateway | None = None  # the shard session it serves, once identified or resumed

    def send(self, payload: dict[str, Any] | None) -> None:
        """Queue a frame (None: stop the writer once the frames before it are out)."""
        if not self.closed:
            self.queue.put_nowait(payload)

    async def writer(self) -> None:
        """Send queued frames in order."""
        while True:
            payload = await self.queue.get()
            if payload is None or self.ws.closed:
                return
            try:
                await self.ws.send_str(json.dumps(payload))
            except (ConnectionError, RuntimeError):
                return


class Gateway:
    """One shard's session state, shared by successive connections (so RESUME can replay dispatches).

    Unsharded, shard 0 is the only one. With `Sandbox.shard_count` > 1, every IDENTIFY names its
    `shard: [id, count]` and gets only that shard's guilds; events go to the shard owning their guild.
    """

    def __init__(self, sandbox: Sandbox, shard_id: int = 0) -> None:
        self.sb = sandbox
        self.shard_id = shard_id
        self.session_id: str | None = None
        self.seq = 0
        self.log: list[dict[str, Any]] = []
        self.conn: Connection | None = None
        self.identifies = 0
        self.resumes = 0
        self.frames_received: list[dict[str, Any]] = []
        self.ready = asyncio.Event()
        # Close codes of the close frames clients sent (1000: a clean close) and how each connection
        # ended: "client 1000", "server 4004", or "dropped" (no close frame, e.g. the process was killed).
        self.client_close_codes: list[int] = []
        self.disconnects: list[str] = []

    # dispatching -------------------------------------------------------
    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Sequence and log a dispatch; send it now if a session is live."""
        if self.session_id is None:
            return
        self.seq += 1
        frame = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.log.append(frame)
        if self.conn is not None and self.conn.live:
            self.conn.send(frame)

    # faults --------------------------------------------------------------
    async def send_op(self, op: int, d: Any) -> None:
        """Send a raw opcode frame on the live connection."""
        if self.conn is None:
            raise RuntimeError("no gateway connection")
        self.conn.send({"op": op, "d": d, "s": None, "t": None})

    async def drop(self) -> None:
        """Abort the TCP connection without a close frame."""
        conn = self.conn
        if conn is None:
            raise RuntimeError("no gateway connection")
        conn.live = False
        conn.closed = True
        transport = conn.request.transport
        if transport is not None:
            transport.abort()
        else:  # pragma: no cover
            await conn.ws.close(code=4000)

    # handler -------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one websocket connection."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, request)
        if self.sb.shard_count == 1:
            self._attach(conn)  # unsharded: a new socket replaces the old one at once
        writer = asyncio.create_task(conn.writer())
        interval = self.sb.limits.heartbeat_interval_ms
        conn.send({"op": 10, "d": {"heartbeat_interval": interval}, "s": None, "t": None})
        ended = "dropped"  # how the connection ended: "client <code>", "server <code>" or "dropped"
        try:
            while True:
                msg = await ws.receive()
                if msg.type == WSMsgType.CLOSE:
                    ended = f"client {msg.data}"
                    self.client_close_codes.append(int(msg.data))
                    break
                if msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    break
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                gateway = conn.gateway or self
                gateway.frames_received.append(frame)
                close = await gateway._on_frame(conn, frame)
                if close is not None:
                    ended = f"server {close}"
                    conn.send(None)
                    await writer
                    await ws.close(code=close)
                    break
        finally:
            self.disconnects.append(ended)
            conn.closed = True
            conn.live = False
            if not writer.done():
                conn.queue.put_nowait(None)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer, 1)
            if conn.gateway is not None and conn.gateway.conn is conn:
                conn.gateway.conn = None
            self.sb._changed()
        return ws

    def _attach(self, conn: Connection) -> None:
        """Make `conn` this shard's connection (the one it replaces stops receiving dispatches)."""
        if self.conn is not None and self.conn is not conn:
            self.conn.live = False
        self.conn = conn
        conn.gateway = self

    async def _on_frame(self, conn: Connection, frame: dict[str, Any]) -> int | None:
        op = frame.get("op")
        d: Any = frame.get("d")  # the payload's shape depends on the opcode
        if op == 1:
            conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            if d.get("token") != self.sb.token:
                return 4004
            if int(d.get("intents") or 0) & GUILD_MEMBERS_INTENT and not self.sb.members_intent:
                return 4014  # Disallowed intent(s): not enabled for the application in the portal
            count = self.sb.shard_count
            shard = d.get("shard")
            if shard is None and count > 1:
                return 4011  # sharding required
            shard_id, shard_count = shard if shard is not None else (0, 1)
            if shard_count != count or not 0 <= shard_id < shard_count:
                return 4010  # invalid shard
            target = self.sb.shard_gateway(shard_id)
            target._attach(conn)
            target._identify(conn, d)
        elif op == 6:
            if d.get("token") != self.sb.token:
                return 4004
            resumed: Gateway | None = next(
                (
                    g
                    for g in self.sb.gateways.values()
                    if g.session_id and g.session_id == d.get("session_id")
                ),
                None,
            )
            if resumed is None:
                conn.send({"op": 9, "d": False, "s": None, "t": None})
                return None
            resumed._attach(conn)
            resumed.resumes += 1
            since = d.get("seq") or 0
            for f in resumed.log:
                if f["s"] > since:
                    conn.send(f)
            conn.live = True
            resumed.dispatch("RESUMED", {})
            self.sb._changed()
        elif op in (3, 4, 8, 31):
            pass  # presence, voice, chunk requests (not needed: member_count == len(members))
        else:
            return 4001
        return None

    def _identify(self, conn: Connection, d: dict[str, Any]) -> None:
        self.identifies += 1
        self.session_id = secrets.token_hex(16)
        self.seq = 0
        self.log = []
        self.sb.intents = d.get("intents")
        bot = self.sb.bot_user
        guilds = [g for g in self.sb.world.guilds if self.sb.shard_of(g.id) == self.shard_id]
        ready = {
            "v": 10,
            "user": {**bot.payload(), "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": self.session_id,
            "resume_gateway_url": self.sb.gateway_url,
            "session_type": "normal",
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "application": {"id": str(self.sb.application_id), "flags": 0},
            "_trace": ["sandbox"],
        }
        if self.sb.shard_count > 1:
            ready["shard"] = [self.shard_id, self.sb.shard_count]
        conn.live = True
        self.dispatch("READY", ready)
        for g in guilds:
            self.dispatch("GUILD_CREATE", g.payload())
        self.ready.set()
        self.sb._changed()
