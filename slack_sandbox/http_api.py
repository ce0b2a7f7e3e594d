"""`/api/<method>`: a Web API request read, authenticated, checked, rate limited and answered as Slack does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import SlackError
from .spec import Problem, TokenKind, Violation
from .webapi import METHODS, Call

if TYPE_CHECKING:
    from .sandbox import SlackSandbox


@dataclass
class RecordedCall:
    """One Web API request and its answer (the token itself is never kept, only its kind)."""

    method: str
    http_method: str
    params: dict[str, Any]
    token: str | None
    status: int = 0
    answer: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether Slack said ok."""
        return bool(self.answer.get("ok"))

    @property
    def error(self) -> str | None:
        """Slack's error string, if it refused."""
        return self.answer.get("error") if not self.ok else None


@dataclass
class Fault:
    """An answer forced on the next `count` calls to a method (a 429, a 5xx, or an error string)."""

    method: str
    count: int
    status: int = 200
    error: str = "fatal_error"
    retry_after: int = 1


async def _params(request: web.Request) -> dict[str, Any]:
    """Arguments from the query string and the body (form-encoded, multipart or JSON)."""
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        raw = await request.read()
        if raw.strip():
            try:
                data = json.loads(raw)
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(data, dict):
                raise SlackError("json_not_object")
            params.update(data)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    else:
        raise SlackError("invalid_post_type")
    return params


def _token(request: web.Request, params: dict[str, Any]) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip() or None
    token = params.pop("token", None)
    return str(token) if token else None


async def handle(sb: SlackSandbox, request: web.Request) -> web.Response:
    """Answer one Web API request."""
    method = request.match_info["method"]
    rec = RecordedCall(method, request.method, {}, None)
    sb.requests.append(rec)
    headers: dict[str, str] = {}
    try:
        params = await _params(request)
        value = _token(request, params)
        params.pop("token", None)
        rec.params = params
        status, body = _answer(sb, method, params, value, headers, rec)
    except SlackError as e:
        status, body = 200, e.body()
    rec.status, rec.answer = status, body
    sb.changed()
    return web.json_response(body, status=status, headers=headers)


def _answer(
    sb: SlackSandbox,
    method: str,
    params: dict[str, Any],
    value: str | None,
    headers: dict[str, str],
    rec: RecordedCall,
) -> tuple[int, dict[str, Any]]:
    if value is None:
        raise SlackError("not_authed")
    kind = sb.token_kind(value)
    if kind is None:
        raise SlackError("invalid_auth")
    rec.token = kind.value
    violations = sb.spec.check(method, params, kind)
    sb.violations.extend(violations)
    m = METHODS.get(method)
    if m is None:
        if sb.spec.available and method in sb.spec.methods():
            sb.violations.append(
                Violation(method, Problem.NOT_MODELLED, "a real method the sandbox does not answer")
            )
        return 200, {"ok": False, "error": "unknown_method", "req_method": method}
    if kind is not m.token:
        raise SlackError("not_allowed_token_type")
    scopes = sb.scopes if kind is TokenKind.BOT else frozenset({"connections:write"})
    headers["x-oauth-scopes"] = ",".join(sorted(scopes))
    headers["x-accepted-oauth-scopes"] = m.scope or ""
    fault = sb.take_fault(method)
    if fault is not None:
        if fault.status == 429:
            headers["Retry-After"] = str(fault.retry_after)
            return 429, {"ok": False, "error": "ratelimited"}
        if fault.status != 200:
            return fault.status, {"ok": False, "error": fault.error}
        raise SlackError(fault.error)
    if m.scope is not None and m.scope not in scopes:
        raise SlackError("missing_scope", needed=m.scope, provided=",".join(sorted(scopes)))
    retry_after = sb.ratelimiter.check(method, m.tier, str(params.get("channel") or ""), sb.clock.monotonic())
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
        sb.rate_limited.append(method)
        return 429, {"ok": False, "error": "ratelimited"}
    missing = [v.detail for v in violations if v.problem is Problem.MISSING_PARAMETER]
    if missing:
        if "channel" in missing:
            raise SlackError("channel_not_found")
        raise SlackError(
            "invalid_arguments",
            response_metadata={"messages": [f"[ERROR] missing required field: {name}" for name in missing]},
        )
    return 200, m.handler(Call(sb, method, params, kind, scopes))
