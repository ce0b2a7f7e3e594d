"""Interactions the scripted users started, and what the bot answered to them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .state import Message

if TYPE_CHECKING:
    from .server import Sandbox


@dataclass
class InteractionResult:
    """One interaction sent to the bot and everything the user saw in return."""

    sandbox: Sandbox
    id: int
    token: str
    type: int
    label: str
    user_id: int
    channel_id: int
    guild_id: int | None
    payload: dict[str, Any]
    source_message: Message | None = None
    created: float = field(default_factory=time.monotonic)
    response_type: int | None = None
    answered_at: float | None = None  # monotonic time the initial callback arrived
    message: Message | None = None
    followups: list[Message] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    late_attempts: int = 0
    edits_before: int = 0

    @property
    def answered(self) -> bool:
        """Whether the bot has sent the initial callback."""
        return self.response_type is not None

    @property
    def ephemeral(self) -> bool:
        """Whether the response message is ephemeral (flag 64)."""
        return bool(self.message is not None and self.message.flags & 64)

    @property
    def deferred(self) -> bool:
        """Whether the response was a defer (type 5 or 6)."""
        return self.response_type in (5, 6)

    @property
    def messages(self) -> list[Message]:
        """Response message (if any) followed by followups."""
        shown = self.response_type in (4, 5, 7) or (
            self.response_type == 6 and bool(self.message and self.message.edits)
        )
        out = [self.message] if self.message is not None and shown else []
        return out + list(self.followups)

    @property
    def text(self) -> str:
        """All text the user saw: the response and the followups."""
        return "\n".join(m.text for m in self.messages if m.text)

    def _has_followup(self) -> bool:
        if self.followups:
            return True
        if self.message is not None and self.response_type == 5:
            return not self.message.flags & 128
        if self.response_type == 6 and self.message is not None:
            return len(self.message.edits) > self.edits_before
        return False

    async def wait_followup(self, timeout: float = 5.0) -> Message:  # noqa: ASYNC109 (public API takes timeout=)
        """Wait until a deferred interaction got its followup (or its @original was edited)."""
        await self.sandbox.wait_for(self._has_followup, timeout=timeout, what=f"a followup to {self.label!r}")
        if self.followups:
            return self.followups[-1]
        assert self.message is not None
        return self.message
