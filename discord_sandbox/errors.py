"""Discord-shaped API errors raised inside the sandbox's REST handlers."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered to the client with Discord's status, code and body."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """Return the JSON body Discord sends for this error."""
        out: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            out["errors"] = self.errors
        return out


def missing_permissions() -> ApiError:
    """403 50013."""
    return ApiError(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    """403 50001."""
    return ApiError(403, 50001, "Missing Access")


def unknown_channel() -> ApiError:
    """404 10003."""
    return ApiError(404, 10003, "Unknown Channel")


def unknown_message() -> ApiError:
    """404 10008."""
    return ApiError(404, 10008, "Unknown Message")


def unknown_member() -> ApiError:
    """404 10007."""
    return ApiError(404, 10007, "Unknown Member")


def unknown_user() -> ApiError:
    """404 10013."""
    return ApiError(404, 10013, "Unknown User")


def unknown_interaction() -> ApiError:
    """404 10062."""
    return ApiError(404, 10062, "Unknown interaction")


def already_acknowledged() -> ApiError:
    """400 40060."""
    return ApiError(400, 40060, "Interaction has already been acknowledged.")


class FormErrors:
    """Collects invalid-form-body problems into Discord's nested `errors` tree (code 50035)."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        """Record one problem at `path` (e.g. ("embeds", 0, "title"))."""
        node = self.tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_len(self, path: tuple[str | int, ...], value: Any, limit: int) -> None:
        """Flag a string longer than `limit`."""
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def raise_if_any(self) -> None:
        """Raise 50035 if anything was recorded."""
        if self.tree:
            raise ApiError(400, 50035, "Invalid Form Body", self.tree)
