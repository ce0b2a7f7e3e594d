"""Buttons, views and modals whose errors take the same single path as slash commands (`bot.adapters.discord.tree`).

discord.py only logs an exception raised by a persistent (dynamic) button's callback and answers
nothing, so the student sees "This interaction failed". Every Conductor component derives from one
of these bases instead: a `ConductorError` comes back as an ephemeral message with its words, and
anything unexpected is logged with the interaction id and answered with the same short apology.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Self, TypeVar

import discord

from bot.adapters.discord.tree import answer_error, answer_within

ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])
# How long a button's work may take before its press is deferred (Discord's first answer must come fast
# while the database is busy; an idle bot answers well within it, directly).
QUICK_ANSWER = 0.05


class ConductorItem(discord.ui.DynamicItem[ItemT], template=r"(?!)"):
    """A persistent component: subclasses implement `allowed` and `act`; errors are answered centrally."""

    # Seconds `act` may take before the press is deferred ephemerally (its answer then follows); None
    # never defers. Only for components whose answer is an ephemeral message (not a modal, not an edit).
    ANSWER_WITHIN: ClassVar[float | None] = None

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Run `allowed`; an error there is answered like any other."""
        try:
            return await self.allowed(interaction)
        except Exception as error:
            await answer_error(interaction, error, f"component {self.custom_id!r}")
            return False

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run `act` (deferring it when slower than ANSWER_WITHIN); errors are answered, never swallowed."""
        if self.ANSWER_WITHIN is None:
            await self._act(interaction)
        else:
            await answer_within(interaction, self._act(interaction), self.ANSWER_WITHIN)

    async def _act(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.act(interaction)
        except Exception as error:
            await answer_error(interaction, error, f"component {self.custom_id!r}")

    async def allowed(self, interaction: discord.Interaction[Any]) -> bool:
        """Whether this user may use the component (answer them yourself when not); default yes."""
        return True

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """What pressing the component does."""
        raise NotImplementedError


class SessionButton(ConductorItem[discord.ui.Button[Any]], template=r"(?!)"):
    """A persistent button bound to one session: subclasses set LABEL, STYLE and PREFIX and write `act`."""

    LABEL: ClassVar[str] = ""
    STYLE: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.primary
    PREFIX: ClassVar[str] = ""

    def __init__(self, session_id: int) -> None:
        super().__init__(
            discord.ui.Button(label=self.LABEL, style=self.STYLE, custom_id=f"{self.PREFIX}{session_id}")
        )
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from its custom id (the session is its `session` group)."""
        return cls(int(match["session"]))


class ConductorView(discord.ui.View):
    """A view (non-persistent items) whose callback errors go through the single error path."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        """Answer the user; log the unexpected."""
        await answer_error(interaction, error, f"view item {getattr(item, 'custom_id', item)!r}")


class ConductorModal(discord.ui.Modal):
    """A modal whose submit errors go through the single error path."""

    # discord.py's own Modal.on_error drops BaseView's `item` parameter; this matches Modal's, which it calls.
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        """Answer the user; log the unexpected."""
        await answer_error(interaction, error, f"modal {self.custom_id!r}")
