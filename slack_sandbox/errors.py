"""Slack's error answers: HTTP 200 with `{"ok": false, "error": ...}` and, at times, more fields."""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    """An answer `{"ok": false, "error": ...}` (HTTP 200, as Slack answers errors), with extra fields."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON answer."""
        return {"ok": False, "error": self.error, **self.extra}


def invalid_arguments(*messages: str) -> SlackError:
    """Slack's answer to arguments it cannot use, with its `[ERROR] ...` lines."""
    return SlackError("invalid_arguments", response_metadata={"messages": list(messages)})
