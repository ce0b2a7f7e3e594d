"""Errors raised by the Discord side: refusals that the central error handler turns into clear messages."""

from __future__ import annotations

from discord import app_commands

from bot.core.errors import ConductorError

__all__ = ["ConductorError", "NotInstructor"]


class NotInstructor(app_commands.CheckFailure):
    """A student (or anyone without an instructor role) ran an instructor command."""

    def __init__(self, roles: tuple[str, ...]) -> None:
        names = ", ".join(f"**{r}**" for r in roles) or "an instructor role"
        super().__init__(f"This command is for instructors only (members with {names}). Ask your teacher.")
