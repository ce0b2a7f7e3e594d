"""The upload URLs files.getUploadURLExternal hands out, and the private URLs files are read back from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .clock import Ids
from .workspace import SharedFile

if TYPE_CHECKING:
    from .sandbox import SlackSandbox


class Uploads:
    """Receives uploaded bytes and serves them to the bot token (as `url_private` needs)."""

    def __init__(self, sandbox: SlackSandbox) -> None:
        self.sandbox = sandbox
        self.pending: dict[str, SharedFile] = {}

    def upload_url(self, f: SharedFile) -> str:
        """A one-file upload URL."""
        secret = Ids.secret(24)
        self.pending[secret] = f
        return f"{self.sandbox.base_url}/upload/v1/{secret}"

    async def receive(self, request: web.Request) -> web.Response:
        """Take a file's bytes (exactly the length announced)."""
        f = self.pending.pop(request.match_info["secret"], None)
        if f is None:
            return web.Response(status=404, text="not_found")
        data = await request.read()
        if len(data) != f.length:
            return web.Response(status=400, text=f"expected {f.length} bytes, got {len(data)}")
        f.data = data
        self.sandbox.changed()
        return web.Response(text=f"OK - {len(data)}")

    async def serve(self, request: web.Request) -> web.Response:
        """A file's bytes, to the bot token only."""
        if request.headers.get("Authorization") != f"Bearer {self.sandbox.bot_token}":
            return web.Response(status=403, text="not_authed")
        f = self.sandbox.workspace.files.get(request.match_info["file_id"])
        if f is None or f.data is None:
            return web.Response(status=404, text="file_not_found")
        return web.Response(
            body=f.data, content_type=f.payload("").get("mimetype", "application/octet-stream")
        )
