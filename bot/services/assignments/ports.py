"""The service's ports: what it needs from the chat platform and the outbox, as Protocols."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.needs import ConfirmPlan

Flush = Callable[[str], Awaitable[None]]


class ThreadPort(Protocol):
    """The Discord side of threads: create them, add and remove members."""

    def can_create_private(self, channel_id: int) -> bool:
        """Whether private threads can be made in this channel."""
        ...

    async def create(self, channel_id: int, name: str, private: bool) -> tuple[int, bool]:
        """Create a thread; returns its id and whether it is private."""
        ...

    async def add(self, thread_id: int, user_ids: list[int]) -> None:
        """Add members to a thread."""
        ...

    async def remove(self, thread_id: int, user_ids: list[int]) -> None:
        """Remove members from a thread."""
        ...

    async def archive(self, thread_id: int) -> None:
        """Archive a thread (members keep reading it; it leaves the channel's active list)."""
        ...

    async def open_dm(self, user_id: int) -> None:
        """Open (or find) the DM channel with a user, so sending the card needs no further request."""
        ...

    def plan(self, channel_id: int) -> ConfirmPlan:
        """What Confirm can do in this channel with the bot's permissions there."""
        ...

    def where(self, channel_id: int) -> str:
        """The channel as users read it (a mention)."""
        ...
