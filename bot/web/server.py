"""The projector page's web server: aiohttp in the bot's own event loop, one read-only page per session.

Only `/p/<token>` (the page), its state, its event stream and its QR code, and the page's two assets are
served; everything else is a 404. The token is the only key: it is compared in constant time, never
logged (the access log is off), and stops opening anything once its session has ended. Pages are kept
live with Server-Sent Events: every change of a session is pushed to its open pages as one JSON board.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections import defaultdict
from datetime import tzinfo
from importlib import resources
from typing import Any

import segno
from aiohttp import web

from bot.core.projector import Board
from bot.services.projector import ProjectorService

log = logging.getLogger(__name__)
TOKEN = r"[A-Za-z0-9_-]{20,100}"
HEARTBEAT = 15.0  # seconds between clock beats on an idle stream (also keeps proxies from closing it)
NOT_FOUND = (
    "This projector link is not valid, or its session has ended. Ask for a new one with /session projector."
)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
ASSETS = {"projector.js": "text/javascript", "projector.css": "text/css"}


def _asset(name: str) -> str:
    return resources.files("bot.web").joinpath("static", name).read_text(encoding="utf-8")


@web.middleware
async def _headers(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as e:
        e.headers.update(SECURITY_HEADERS)
        raise
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
    return response


class ProjectorServer:
    """Serves each live session's projector page and pushes its changes to the open pages."""

    def __init__(
        self,
        service: ProjectorService,
        tz: tzinfo,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        public_url: str | None = None,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        self.service = service
        self.tz = tz
        self.host = host
        self.port = port
        self.public_url = public_url.rstrip("/") if public_url else None
        self.heartbeat = heartbeat
        self._runner: web.AppRunner | None = None
        self._streams: defaultdict[int, set[asyncio.Queue[bytes | None]]] = defaultdict(set)
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: set[asyncio.Task[None]] = set()
        self._page = _asset("projector.html")
        self._assets = {name: _asset(name) for name in ASSETS}
        # Extra GET routes other features add before start (e.g. the course calendar's feed).
        self.routes: list[tuple[str, Any]] = []

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening (port 0 picks a free port, read back into `port`)."""
        app = web.Application(middlewares=[_headers])
        app.router.add_get(f"/p/{{token:{TOKEN}}}", self._page_handler)
        app.router.add_get(f"/p/{{token:{TOKEN}}}/state", self._state_handler)
        app.router.add_get(f"/p/{{token:{TOKEN}}}/events", self._events_handler)
        app.router.add_get(f"/p/{{token:{TOKEN}}}/qr.svg", self._qr_handler)
        app.router.add_get("/assets/{name}", self._asset_handler)
        for path, handler in self.routes:
            app.router.add_get(path, handler)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # the real port when 0 was asked for
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("projector pages served on %s", self.base_url)

    async def close(self) -> None:
        """End every open stream (pages reconnect to the next process) and stop listening."""
        for streams in self._streams.values():
            for queue in streams:
                queue.put_nowait(None)
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Where people reach the server: `[web] public_url`, else the address it listens on."""
        return self.public_url or f"http://{self.host}:{self.port}"

    def url(self, token: str) -> str:
        """The page of the session with this token."""
        return f"{self.base_url}/p/{token}"

    def open_pages(self, session_id: int | None = None) -> int:
        """How many pages are connected (to one session, or in all)."""
        if session_id is not None:
            return len(self._streams.get(session_id, ()))
        return sum(len(streams) for streams in self._streams.values())

    # --- pushing changes -------------------------------------------------------------------------

    def notify(self, session_id: int) -> None:
        """A session changed: push its new board to its open pages (in order, off the caller's path)."""
        if not self._streams.get(session_id):
            return
        task = asyncio.get_running_loop().create_task(self._push(session_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push(self, session_id: int) -> None:
        async with self._locks[session_id]:  # one board at a time per session, so pages never go back
            try:
                board = await self.service.board(session_id)
            except Exception:
                log.exception("could not build the projector board of session %s", session_id)
                return
            if board is None:
                return
            event = self._event("state", self._json(board))
            done = board.state in ("finished", "stopped")
            for queue in list(self._streams.get(session_id, ())):
                queue.put_nowait(event)
                if done:
                    queue.put_nowait(None)

    def _json(self, board: Board) -> str:
        return json.dumps(board.to_json(self.tz), ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def _event(name: str, data: str) -> bytes:
        return f"event: {name}\ndata: {data}\n\n".encode()

    # --- handlers ------------------------------------------------------------------------------

    async def _session(self, request: web.Request) -> int:
        session_id = await self.service.open(request.match_info["token"])
        if session_id is None:
            raise web.HTTPNotFound(text=NOT_FOUND)
        return session_id

    async def _board(self, session_id: int) -> Board:
        board = await self.service.board(session_id)
        if board is None:
            raise web.HTTPNotFound(text=NOT_FOUND)
        return board

    async def _page_handler(self, request: web.Request) -> web.Response:
        await self._session(request)
        return web.Response(text=self._page, content_type="text/html", charset="utf-8")

    async def _asset_handler(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in ASSETS:
            raise web.HTTPNotFound(text="Not found.")
        return web.Response(text=self._assets[name], content_type=ASSETS[name], charset="utf-8")

    async def _state_handler(self, request: web.Request) -> web.Response:
        board = await self._board(await self._session(request))
        return web.Response(text=self._json(board), content_type="application/json", charset="utf-8")

    async def _qr_handler(self, request: web.Request) -> web.Response:
        board = await self._board(await self._session(request))
        slides = board.slot.slides if board.slot is not None else None
        if not slides:
            raise web.HTTPNotFound(text="No slides link for the current talk.")
        buffer = io.BytesIO()
        segno.make(slides, error="m", micro=False).save(
            buffer, kind="svg", scale=10, border=4, dark="#000000", light="#ffffff", xmldecl=False
        )
        return web.Response(body=buffer.getvalue(), content_type="image/svg+xml")

    async def _events_handler(self, request: web.Request) -> web.StreamResponse:
        session_id = await self._session(request)
        board = await self._board(session_id)
        response = web.StreamResponse(
            headers={**SECURITY_HEADERS, "Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._streams[session_id].add(queue)
        try:
            await response.write(b"retry: 1000\n\n" + self._event("state", self._json(board)))
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), self.heartbeat)
                except TimeoutError:
                    now = self.service.clock.now().isoformat()
                    await response.write(self._event("clock", json.dumps({"now": now})))
                    continue
                if event is None:
                    break
                await response.write(event)
        except ConnectionResetError:
            pass  # the page went away
        finally:
            self._streams[session_id].discard(queue)
            if not self._streams[session_id]:
                del self._streams[session_id]
        return response
