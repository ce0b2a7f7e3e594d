"""Every Web API call checked against Slack's OpenAPI description (`../shared/slack-api/`).

Checked: the method exists, its required parameters are there, no parameter is unknown, and the token
is of a kind the method takes. The description dates from 2020, so two short tables add what Slack's
current documentation says and the description lacks (NOTES.md: where they disagree, the docs win):
methods it does not list (Socket Mode's `apps.connections.open`) and parameters added since. Without
the file (another machine), nothing is checked and `SpecCheck.available` is False.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = REPO_ROOT.parent / "shared" / "slack-api" / "slack_web_openapi_v2.json"


class TokenKind(StrEnum):
    """The kinds of token Slack issues, by prefix."""

    BOT = "xoxb"
    USER = "xoxp"
    APP = "xapp"


class Problem(StrEnum):
    """What a call got wrong against the description."""

    UNKNOWN_METHOD = "unknown_method"
    MISSING_PARAMETER = "missing_parameter"
    UNKNOWN_PARAMETER = "unknown_parameter"
    TOKEN_KIND = "token_kind"
    NOT_MODELLED = "not_modelled"  # a real method the sandbox does not answer


@dataclass(frozen=True)
class Violation:
    """One way a request broke Slack's description of its method."""

    method: str
    problem: Problem
    detail: str

    def __str__(self) -> str:
        return f"{self.method}: {self.problem.value}: {self.detail}"


@dataclass(frozen=True)
class MethodSpec:
    """What the description says about one method."""

    params: frozenset[str]
    required: frozenset[str]
    tokens: frozenset[TokenKind]


# Methods newer than the description, from Slack's current docs and NOTES.md.
_BOT_OR_USER = frozenset({TokenKind.BOT, TokenKind.USER})
EXTRA_METHODS: dict[str, MethodSpec] = {
    # Socket Mode (2021): called with the app-level token, which needs `connections:write`.
    "apps.connections.open": MethodSpec(frozenset(), frozenset(), frozenset({TokenKind.APP})),
    # File uploads (2024: files.upload is retired; slack_sdk's files_upload_v2 makes these calls).
    "files.getUploadURLExternal": MethodSpec(
        frozenset({"filename", "length", "alt_txt", "snippet_type"}),
        frozenset({"filename", "length"}),
        _BOT_OR_USER,
    ),
    "files.completeUploadExternal": MethodSpec(
        frozenset({"files", "channel_id", "channels", "initial_comment", "thread_ts", "blocks"}),
        frozenset({"files"}),
        _BOT_OR_USER,
    ),
}

# Parameters Slack's current docs list and the 2020 description lacks (slack_sdk sends them when given).
EXTRA_PARAMS: dict[str, frozenset[str]] = {
    "chat.postMessage": frozenset({"metadata", "markdown_text", "container_id"}),
    "chat.postEphemeral": frozenset({"markdown_text"}),
    "chat.update": frozenset({"metadata", "markdown_text", "file_ids", "reply_broadcast"}),
    "conversations.open": frozenset({"prevent_creation"}),
    "conversations.create": frozenset({"team_id"}),
    "conversations.invite": frozenset({"force"}),
    "conversations.list": frozenset({"team_id"}),
    "users.list": frozenset({"team_id"}),
    "views.open": frozenset({"interactivity_pointer"}),
    "views.push": frozenset({"interactivity_pointer"}),
}

# Taken by every method: the token (better in the Authorization header), and `team_id`, which Slack
# reads on every call from an org-wide app and slack_sdk adds whenever Bolt knows the team.
EVERY_METHOD = frozenset({"token", "team_id"})

# Either of these satisfies the description's requirement (current docs).
ALTERNATIVES: dict[tuple[str, str], str] = {
    ("views.open", "trigger_id"): "interactivity_pointer",
    ("views.push", "trigger_id"): "interactivity_pointer",
}

# Scopes only a user token can hold: a method needing nothing else cannot be called with a bot token.
_USER_ONLY = {
    "admin",
    "chat:write:user",
    "files:write:user",
    "identity.basic",
    "search:read",
    "stars:read",
    "stars:write",
    "reminders:read",
    "reminders:write",
    "dnd:write",
    "users.profile:write",
    "users:write",
    "tokens.basic",
}


def _tokens(scopes: list[str]) -> frozenset[TokenKind]:
    bot_ok = any(s == "none" or not (s in _USER_ONLY or s.startswith("admin.")) for s in scopes)
    return frozenset({TokenKind.USER, TokenKind.BOT} if bot_ok else {TokenKind.USER})


@cache
def _load(path: Path) -> dict[str, MethodSpec]:
    raw = json.loads(path.read_text())
    methods: dict[str, MethodSpec] = {}
    for template, item in raw.get("paths", {}).items():
        for op in item.values():
            params = [p for p in op.get("parameters", []) if p.get("name") != "token"]
            scopes = [s for entry in op.get("security", []) for v in entry.values() for s in v]
            methods[template.lstrip("/")] = MethodSpec(
                frozenset(p["name"] for p in params),
                frozenset(p["name"] for p in params if p.get("required")),
                _tokens(scopes),
            )
    return methods


class SpecCheck:
    """Checks calls against the description (and the tables above)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or Path(os.environ.get("SLACK_OPENAPI_SPEC", SPEC_PATH))
        self.available = self.path.is_file()

    def methods(self) -> dict[str, MethodSpec]:
        """Every described method."""
        return {**(_load(self.path) if self.available else {}), **EXTRA_METHODS}

    def known(self, method: str) -> bool:
        """Whether the method exists (always True when the description is absent)."""
        return not self.available or method in self.methods()

    def check(self, method: str, params: Mapping[str, Any], token: TokenKind | None) -> list[Violation]:
        """Everything this call does against the description of `method`."""
        if not self.available:
            return []
        spec = self.methods().get(method)
        if spec is None:
            return [Violation(method, Problem.UNKNOWN_METHOD, "Slack has no such method")]
        out: list[Violation] = []
        if token is not None and token not in spec.tokens:
            kinds = ", ".join(sorted(t.value for t in spec.tokens))
            out.append(
                Violation(method, Problem.TOKEN_KIND, f"called with an {token.value} token; takes {kinds}")
            )
        for name in sorted(spec.required):
            alternative = ALTERNATIVES.get((method, name))
            if name not in params and (alternative is None or alternative not in params):
                out.append(Violation(method, Problem.MISSING_PARAMETER, name))
        allowed = spec.params | EXTRA_PARAMS.get(method, frozenset()) | EVERY_METHOD
        for name in sorted(set(params) - allowed):
            out.append(Violation(method, Problem.UNKNOWN_PARAMETER, name))
        return out
