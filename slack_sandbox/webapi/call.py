"""One Web API call as the method handlers see it: its arguments, token and installed scopes."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import SlackError
from ..ratelimits import Tier
from ..spec import TokenKind
from ..workspace import Channel, Kind, User, Workspace

if TYPE_CHECKING:
    from ..sandbox import SlackSandbox


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}

READ_SCOPE = {
    Kind.PUBLIC: "channels:read",
    Kind.PRIVATE: "groups:read",
    Kind.IM: "im:read",
    Kind.MPIM: "mpim:read",
}
WRITE_SCOPE = {
    Kind.PUBLIC: "channels:manage",
    Kind.PRIVATE: "groups:write",
    Kind.IM: "im:write",
    Kind.MPIM: "mpim:write",
}


@dataclass
class Call:
    """A call to one method: arguments merged from the query, form or JSON body."""

    sandbox: SlackSandbox
    method: str
    params: dict[str, Any]
    token: TokenKind
    scopes: frozenset[str]

    @property
    def ws(self) -> Workspace:
        """The workspace."""
        return self.sandbox.workspace

    @property
    def bot(self) -> User:
        """The app's bot user (who calls with the bot token)."""
        return self.sandbox.bot

    # arguments -----------------------------------------------------------------------------------
    def arg(self, name: str) -> str | None:
        """A text argument (None when absent)."""
        value = self.params.get(name)
        if value is None:
            return None
        return (
            value
            if isinstance(value, str)
            else json.dumps(value)
            if isinstance(value, dict | list)
            else str(value)
        )

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean argument as Slack reads them (`true`, `1`, JSON true...)."""
        value = self.params.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        return True if text in _TRUE else False if text in _FALSE else default

    def number(self, name: str, default: int, *, error: str = "invalid_limit") -> int:
        """A whole-number argument."""
        value = self.params.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SlackError(error) from None

    def structured(self, name: str, *, error: str) -> Any:
        """A JSON argument: sent as an array or object in a JSON body, or as a JSON string in a form."""
        value = self.params.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise SlackError(error) from None
        return value

    def ids(self, name: str) -> list[str]:
        """A comma-separated list of ids (or a JSON array)."""
        value = self.params.get(name)
        if value is None:
            return []
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(v).strip() for v in items if str(v).strip()]

    # checks --------------------------------------------------------------------------------------
    def require_scope(self, scope: str) -> None:
        """Answer `missing_scope` unless the app was installed with `scope`."""
        if scope not in self.scopes:
            raise SlackError("missing_scope", needed=scope, provided=",".join(sorted(self.scopes)))

    def channel(
        self,
        name: str = "channel",
        *,
        scope: Callable[[Channel], str | None] | None = None,
        ref: str | None = None,
    ) -> Channel:
        """The conversation named by an argument (or `ref`), as the bot can see it (else `channel_not_found`)."""
        ref = ref if ref is not None else self.arg(name)
        ch = self.ws.channel(ref) if ref else None
        if ch is None or (ch.is_private and self.bot.id not in ch.members):
            raise SlackError("channel_not_found")
        if scope is not None:
            needed = scope(ch)
            if needed is not None:
                self.require_scope(needed)
        return ch

    def person(self, user_id: str | None, *, error: str = "user_not_found") -> User:
        """A member by id (else `error`)."""
        user = self.ws.user(user_id) if user_id else None
        if user is None:
            raise SlackError(error)
        return user


Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Method:
    """A Web API method the sandbox answers: its handler, rate-limit tier, scope and token kind."""

    name: str
    handler: Handler
    tier: Tier
    scope: str | None
    token: TokenKind


METHODS: dict[str, Method] = {}


def method(
    name: str, tier: Tier, scope: str | None = None, token: TokenKind = TokenKind.BOT
) -> Callable[[Handler], Handler]:
    """Register a handler for a Web API method."""

    def register(handler: Handler) -> Handler:
        METHODS[name] = Method(name, handler, tier, scope, token)
        return handler

    return register


def page(items: list[Any], call: Call, *, default: int = 100, maximum: int = 1000) -> tuple[list[Any], str]:
    """One page of `items` by `cursor` and `limit`, and the next cursor (`""` at the end)."""
    limit = call.number("limit", default)
    if limit <= 0:
        limit = default
    limit = min(limit, maximum)
    cursor = call.arg("cursor") or ""
    start = 0
    if cursor:
        try:
            start = int(base64.b64decode(cursor.encode()).decode().removeprefix("next:"))
        except ValueError:
            raise SlackError("invalid_cursor") from None
        if not 0 <= start <= len(items):
            raise SlackError("invalid_cursor")
    end = start + limit
    nxt = base64_cursor(end) if end < len(items) else ""
    return items[start:end], nxt


def base64_cursor(index: int) -> str:
    """An opaque cursor as Slack writes them (base64)."""
    return base64.b64encode(f"next:{index}".encode()).decode()
