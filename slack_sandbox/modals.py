"""Modals: the views each member has open (a stack of up to 3), and the trigger ids that open them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

MAX_STACK = 3


@dataclass
class Trigger:
    """A trigger id issued on a member's action; it opens one view within its lifetime (3 s)."""

    id: str
    user: str
    issued: float
    view_id: str | None = None  # the modal the action happened in (views.push needs one)
    used: bool = False


@dataclass
class View:
    """A modal as the member sees it: the app's definition, what they typed, the errors shown."""

    id: str
    user: str
    definition: dict[str, Any]
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    values: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    open: bool = True

    @property
    def callback_id(self) -> str:
        """The app's name for this view."""
        return str(self.definition.get("callback_id") or "")

    @property
    def private_metadata(self) -> str:
        """The context the app carries in the view."""
        return str(self.definition.get("private_metadata") or "")

    @property
    def external_id(self) -> str:
        """The app's own id for the view, if it gave one."""
        return str(self.definition.get("external_id") or "")

    @property
    def title(self) -> str:
        """The title's text."""
        title = self.definition.get("title") or {}
        return str(title.get("text", "")) if isinstance(title, dict) else ""

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The view's blocks."""
        blocks = self.definition.get("blocks")
        return blocks if isinstance(blocks, list) else []

    def replace(self, definition: dict[str, Any]) -> None:
        """Show a new definition in the same view (what the member typed in kept inputs stays)."""
        self.definition = definition
        self.hash = new_hash()
        self.errors = {}

    def payload(self, team_id: str, app_id: str, bot_id: str | None) -> dict[str, Any]:
        """The view object of `views.*` answers and `view_submission` payloads."""
        d = self.definition
        return {
            "id": self.id,
            "team_id": team_id,
            "type": d.get("type", "modal"),
            "title": d.get("title"),
            "submit": d.get("submit"),
            "close": d.get("close"),
            "blocks": self.blocks,
            "private_metadata": self.private_metadata,
            "callback_id": self.callback_id,
            "state": {"values": self.values},
            "hash": self.hash,
            "clear_on_close": bool(d.get("clear_on_close", False)),
            "notify_on_close": bool(d.get("notify_on_close", False)),
            "root_view_id": self.root_view_id,
            "previous_view_id": self.previous_view_id,
            "app_id": app_id,
            "external_id": self.external_id,
            "app_installed_team_id": team_id,
            "bot_id": bot_id,
        }


def new_hash() -> str:
    """A view hash as Slack writes them (`"1569262015.55b5e41b"`)."""
    return f"{secrets.randbelow(10**10):010d}.{secrets.token_hex(4)}"


class Modals:
    """Every member's stack of open views, and the trigger ids issued."""

    def __init__(self) -> None:
        self.stacks: dict[str, list[View]] = {}
        self.views: dict[str, View] = {}
        self.triggers: dict[str, Trigger] = {}

    def top(self, user: str) -> View | None:
        """The view a member is looking at."""
        stack = self.stacks.get(user) or []
        return stack[-1] if stack else None

    def by_external_id(self, external_id: str) -> View | None:
        """An open view by the app's own id for it."""
        return next((v for v in self.views.values() if v.open and v.external_id == external_id), None)

    def open(self, view: View, *, push: bool) -> None:
        """Show a view: on top of the member's stack (push), or as a new stack."""
        if not push:
            self.close_all(view.user)
        stack = self.stacks.setdefault(view.user, [])
        if stack:
            view.previous_view_id = stack[-1].id
            view.root_view_id = stack[0].id
        stack.append(view)
        self.views[view.id] = view

    def close_top(self, user: str) -> View | None:
        """Close the view on top; the one below shows again."""
        stack = self.stacks.get(user) or []
        if not stack:
            return None
        view = stack.pop()
        view.open = False
        return view

    def close_all(self, user: str) -> list[View]:
        """Close every view the member has open."""
        closed = []
        while self.top(user) is not None:
            view = self.close_top(user)
            if view is not None:
                closed.append(view)
        return closed
