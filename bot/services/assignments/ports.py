"""The service's ports: what it needs from the chat platform and the outbox, as Protocols.

The chat platform's own errors never reach the service: its adapter (for Discord, `bot.adapters.discord.threads`)
raises `PlatformFailed`, or `PlatformRefused` when the platform refused for lack of a permission.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.core.permissions import ConfirmPlan

Flush = Callable[[str], Awaitable[None]]


class PlatformFailed(Exception):
    """A request the chat platform failed; `detail` is the platform's own error, as logged and stored."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class PlatformRefused(PlatformFailed):
    """A request the chat platform refused for lack of a permission (Discord: 403 Forbidden)."""


def described(error: BaseException) -> str:
    """An error as logged and stored: the platform's own error for `PlatformFailed`, else its repr."""
    return error.detail if isinstance(error, PlatformFailed) else repr(error)


class RoomPort(Protocol):
    """Private rooms (Discord: threads) in a channel: open one, add and remove members, archive it."""

    async def create(self, channel_id: int, name: str, private: bool) -> tuple[int, bool]:
        """Open a room (private when asked and allowed); returns its id and whether it is private."""
        ...

    async def add(self, thread_id: int, user_ids: list[int]) -> None:
        """Add members to a room."""
        ...

    async def remove(self, thread_id: int, user_ids: list[int]) -> None:
        """Remove members from a room."""
        ...

    async def archive(self, thread_id: int) -> None:
        """Archive a room (members keep reading it; it leaves the channel's active list)."""
        ...


class ThreadPort(RoomPort, Protocol):
    """All the assignment service asks of the platform: rooms, DM channels, what it may do in a channel."""

    async def open_dm(self, user_id: int) -> None:
        """Open (or find) the DM channel with a user, so sending the card needs no further request."""
        ...

    def plan(self, channel_id: int) -> ConfirmPlan:
        """What Confirm can do in this channel with the bot's permissions there."""
        ...

    def where(self, channel_id: int) -> str:
        """The channel as users read it (a mention)."""
        ...
