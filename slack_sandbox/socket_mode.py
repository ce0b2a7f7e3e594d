"""Socket Mode on a loopback WebSocket: hello, envelopes, acknowledgements, redelivery, disconnects.

`apps.connections.open` hands out a one-use URL; the app connects and is sent `{"type": "hello"}`.
Each envelope goes to the newest live connection; one not acknowledged within 3 s is sent again with
`retry_attempt` + 1 and `retry_reason` "timeout" (up to `max_retries` times). Envelopes sent on a
socket that dies unacknowledged go, the same way, to the next connection (a restarted app).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .clock import Ids

if TYPE_CHECKING:
    from .sandbox import SlackSandbox


class EnvelopeType(StrEnum):
    """What an envelope carries."""

    SLASH_COMMANDS = "slash_commands"
    INTERACTIVE = "interactive"
    EVENTS_API = "events_api"


@dataclass
class SocketSettings:
    """How Socket Mode behaves: the ack deadline, how often and what is redelivered.

    Slack itself redelivers only `events_api` envelopes (and shows the member an error for a command or
    click not acknowledged in time); the sandbox redelivers all three by default, so that a restart
    test can see a command typed while the app was down reach the new process. Pass
    `redeliver=frozenset({EnvelopeType.EVENTS_API})` for Slack's exact behaviour.
    """

    ack_timeout: float = 3.0
    max_retries: int = 3
    redeliver: frozenset[EnvelopeType] = frozenset(EnvelopeType)


@dataclass
class Envelope:
    """One delivery to the app and what came back."""

    id: str
    type: EnvelopeType
    payload: dict[str, Any]
    accepts_response_payload: bool
    created: float
    deadline: float  # when Slack would stop waiting for the first acknowledgement
    retry_attempt: int = 0
    retry_reason: str = ""
    sent: list[int] = field(default_factory=list)  # the connection numbers it was sent on, in order
    acked: bool = False
    ack: dict[str, Any] | None = None  # the acknowledgement's `payload`
    acked_at: float | None = None
    duplicate_acks: int = 0
    given_up: bool = False

    @property
    def late(self) -> bool:
        """Acknowledged, but after the deadline (Slack would have shown the member an error)."""
        return self.acked_at is not None and self.acked_at > self.deadline

    def frame(self) -> dict[str, Any]:
        """The envelope as sent on the socket."""
        return {
            "envelope_id": self.id,
            "payload": self.payload,
            "type": self.type.value,
            "accepts_response_payload": self.accepts_response_payload,
            "retry_attempt": self.retry_attempt,
            "retry_reason": self.retry_reason,
        }


@dataclass
class Connection:
    """One WebSocket connection from the app."""

    number: int
    ws: web.WebSocketResponse
    request: web.Request
    closed: bool = False
    ended: str = ""  # "client 1000", "server", or "dropped" (no close frame: the process died)


def _answered_or_gone(env: Envelope, conn: Connection) -> bool:
    return env.acked or conn.closed


class SocketMode:
    """The Socket Mode side of the sandbox."""

    def __init__(self, sandbox: SlackSandbox, settings: SocketSettings) -> None:
        self.sandbox = sandbox
        self.settings = settings
        self.tickets: set[str] = set()
        self.connections: list[Connection] = []
        self.envelopes: dict[str, Envelope] = {}
        self.on_ack: Callable[[Envelope], None] = lambda _e: None
        self.stray_acks: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def issue_url(self) -> str:
        """A new one-use connection URL (`apps.connections.open`)."""
        ticket = Ids.secret(32)
        self.tickets.add(ticket)
        return f"ws://127.0.0.1:{self.sandbox.port}/link/?ticket={ticket}&app_id={self.sandbox.app_id}"

    def live(self) -> Connection | None:
        """The newest open connection (where envelopes go)."""
        return next((c for c in reversed(self.connections) if not c.closed), None)

    @property
    def disconnects(self) -> list[str]:
        """How each finished connection ended, in order."""
        return [c.ended for c in self.connections if c.closed]

    # the socket ---------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Accept a connection with a valid ticket, say hello, and read acknowledgements."""
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            return web.Response(status=401, text="invalid_ticket")
        self.tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Connection(len(self.connections) + 1, ws, request)
        self.connections.append(conn)
        hello = {
            "type": "hello",
            "num_connections": sum(1 for c in self.connections if not c.closed),
            "debug_info": {
                "host": "applink-sandbox",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.sandbox.app_id},
        }
        await ws.send_str(json.dumps(hello))
        self.sandbox.changed()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_frame(msg.data)
        finally:
            conn.closed = True
            if not conn.ended:
                code = ws.close_code
                conn.ended = f"client {code}" if code is not None and code != 1006 else "dropped"
            self.sandbox.changed()
        return ws

    def _on_frame(self, data: str) -> None:
        try:
            frame = json.loads(data)
        except ValueError:
            return
        if not isinstance(frame, dict):
            return
        env = self.envelopes.get(str(frame.get("envelope_id")))
        if env is None:
            self.stray_acks.append(frame)
            return
        if env.acked:
            env.duplicate_acks += 1
            return
        env.acked = True
        env.acked_at = self.sandbox.clock.monotonic()
        payload = frame.get("payload")
        env.ack = payload if isinstance(payload, dict) and env.accepts_response_payload else None
        self.on_ack(env)
        self.sandbox.changed()

    # delivery ------------------------------------------------------------------------------------
    def deliver(
        self, kind: EnvelopeType, payload: dict[str, Any], *, accepts_response_payload: bool
    ) -> Envelope:
        """Send an envelope to the app (now, or when it connects) until it is acknowledged."""
        now = self.sandbox.clock.monotonic()
        env = Envelope(
            Ids.envelope_id(), kind, payload, accepts_response_payload, now, now + self.settings.ack_timeout
        )
        self.envelopes[env.id] = env
        task = asyncio.get_running_loop().create_task(self._run(env))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return env

    async def _run(self, env: Envelope) -> None:
        sb = self.sandbox
        while not env.acked:
            conn: Connection = await sb.wait_for(self.live, timeout=None, what="a Socket Mode connection")
            env.sent.append(conn.number)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.send_str(json.dumps(env.frame()))
            sb.changed()
            with contextlib.suppress(TimeoutError):
                await sb.wait_for(functools.partial(_answered_or_gone, env, conn), self.settings.ack_timeout)
            if env.acked:
                return
            if env.type not in self.settings.redeliver or env.retry_attempt >= self.settings.max_retries:
                env.given_up = True
                sb.changed()
                return
            env.retry_attempt += 1
            env.retry_reason = "timeout"

    # faults ---------------------------------------------------------------------------------------
    async def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the app to reconnect (`{"type": "disconnect"}`), as Slack does before it moves a socket."""
        for conn in [c for c in self.connections if not c.closed]:
            frame = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-sandbox"}}
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.send_str(json.dumps(frame))

    def drop(self) -> None:
        """Cut every connection's TCP stream without a close frame (as when the network goes)."""
        for conn in [c for c in self.connections if not c.closed]:
            conn.ended = "dropped"
            transport = conn.request.transport
            if transport is not None:
                transport.abort()

    async def close(self) -> None:
        """Close every connection and stop delivering."""
        for task in list(self._tasks):
            task.cancel()
        for conn in [c for c in self.connections if not c.closed]:
            conn.ended = "server"
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001)
