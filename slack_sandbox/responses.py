"""`response_url`s: where an app answers a command or a click later (up to 5 times within 30 minutes).

A POST carries a message (`text`, `blocks`) and how to show it: `response_type` "ephemeral" (the
default: only the member sees it) or "in_channel"; `replace_original` edits the message that was
clicked, `delete_original` deletes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .clock import Ids
from .content import read_content
from .elements import with_ids
from .errors import SlackError
from .workspace import Message

if TYPE_CHECKING:
    from .sandbox import SlackSandbox

USES = 5
LIFETIME = 30 * 60.0


@dataclass
class ResponseUrl:
    """One issued response_url: for whom, where, and the message clicked (if any)."""

    path: str
    user: str
    channel: str
    issued: float
    source: Message | None = None
    uses: int = 0


@dataclass(frozen=True)
class ResponsePost:
    """One POST the app made to a response_url, and the status it got."""

    url: ResponseUrl
    body: Any
    status: int


class ResponseUrls:
    """Issues response_urls and answers the POSTs made to them."""

    def __init__(self, sandbox: SlackSandbox) -> None:
        self.sandbox = sandbox
        self.urls: dict[str, ResponseUrl] = {}
        self.posts: list[ResponsePost] = []

    def issue(self, kind: str, user: str, channel: str, source: Message | None = None) -> str:
        """A new response_url (`kind` "commands" or "actions", as in Slack's URLs)."""
        sb = self.sandbox
        path = f"/{kind}/{sb.workspace.team.id}/{Ids.secret(12).lower()}/{Ids.secret(24)}"
        self.urls[path] = ResponseUrl(path, user, channel, sb.clock.monotonic(), source)
        return sb.base_url + path

    async def handle(self, request: web.Request) -> web.Response:
        """Answer a POST to a response_url."""
        url = self.urls.get(request.path)
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            body = None
        status, answer = 200, {"ok": True}
        try:
            if url is None:
                raise SlackError("invalid_url")
            if self.sandbox.clock.monotonic() - url.issued > LIFETIME:
                raise SlackError("expired_url")
            if url.uses >= USES:
                raise SlackError("used_url")
            if not isinstance(body, dict):
                raise SlackError("invalid_payload")
            self.apply(url, body)
            url.uses += 1
        except SlackError as e:
            status = 404 if e.error in ("invalid_url", "expired_url", "used_url") else 400
            answer = e.body()
        if url is not None:
            self.posts.append(ResponsePost(url, body, status))
        self.sandbox.changed()
        return web.json_response(answer, status=status)

    def apply(self, url: ResponseUrl, body: dict[str, Any]) -> None:
        """Show what a response_url POST asks for."""
        ws = self.sandbox.workspace
        ch = ws.channels[url.channel]
        source = url.source
        if source is not None and source.deleted:
            source = None
        if body.get("delete_original"):
            if source is not None:
                ws.delete(ch, source)
            return
        content = read_content(body.get("text"), body.get("blocks"))
        if body.get("replace_original") and source is not None:
            ws.edit(ch, source, content.text, with_ids(content.blocks) or [])
            return
        in_channel = body.get("response_type") == "in_channel"
        self.sandbox.post_reply(
            ch, url.user, content, in_channel=in_channel, via="response_url", thread_ts=body.get("thread_ts")
        )
