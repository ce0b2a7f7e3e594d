"""The OAuth scopes Conductor's Slack app needs, and what breaks without each one.

Slack answers every Web API call with the token's granted scopes in the `x-oauth-scopes` header (for
example from `auth.test`); `missing` compares them with these, so the start-up check and
`/conductor status` can say which are missing, what each one breaks, and how to grant it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """A bot token scope and what Conductor does with it."""

    name: str
    needed_for: str


#: The bot token's scopes (also the manifest's `oauth_config.scopes.bot`).
BOT_SCOPES: tuple[Scope, ...] = (
    Scope("commands", "the slash commands (/session, /assign, /myrole …)"),
    Scope("chat:write", "every post: the run-of-show, the phases and warnings, role cards, answers"),
    Scope("im:write", "role cards, reminders and reports by direct message"),
    Scope("mpim:write", "group direct messages for role partners"),
    Scope(
        "groups:write", "the paper groups' private channels: creating them and inviting students and teachers"
    ),
    Scope("channels:read", "finding the class channel and who is in it"),
    Scope("groups:read", "who is in a private channel (a private class channel, the group channels)"),
    Scope("users:read", "people's names, and who is a workspace admin"),
    Scope("users:read.email", "instructors and roster students given by e-mail address"),
    Scope("files:write", "/export and /project export: the CSV files and the report"),
    Scope("usergroups:read", "pinging a user group (e.g. @students) rather than writing its name"),
)
#: The app-level token's scope (Socket Mode: the app opens its own connection to Slack).
APP_TOKEN_SCOPES: tuple[str, ...] = ("connections:write",)


def granted(header: str | None) -> frozenset[str]:
    """The scopes in an `x-oauth-scopes` header (`"commands,chat:write, im:write"`)."""
    return frozenset(s.strip() for s in (header or "").split(",") if s.strip())


def missing(header: str | None, needed: Iterable[Scope] = BOT_SCOPES) -> list[Scope]:
    """The needed scopes the header does not grant, in the order above."""
    have = granted(header)
    return [s for s in needed if s.name not in have]


GRANT = (
    "under OAuth & Permissions → Bot Token Scopes (or create the app again from deploy/slack/manifest.yml), "
    "then reinstall the app to the workspace"
)


def missing_lines(header: str | None) -> list[str]:
    """One line per missing scope, saying what it breaks, then how to grant them (empty when none is)."""
    gaps = missing(header)
    if not gaps:
        return []
    lines = [f"`{s.name}` is missing: {s.needed_for} will not work." for s in gaps]
    lines.append(f"Add them {GRANT}.")
    return lines


def lacking(name: str) -> str:
    """What to tell the person whose command Slack refused for want of the scope `name`."""
    scope = next((s for s in BOT_SCOPES if s.name == name), None)
    breaks = f" ({scope.needed_for})" if scope is not None else ""
    return f"The app lacks the `{name}` scope{breaks}. Add it {GRANT}, then try again."
