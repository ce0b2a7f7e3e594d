"""The one place that decides who may run what: instructor commands are declared with `instructor_only`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from bot.adapters.discord.errors import NotInstructor

if TYPE_CHECKING:
    from bot.adapters.discord.client import ConductorBot

T = TypeVar("T")


def is_instructor(member: discord.abc.User, instructor_roles: tuple[str, ...]) -> bool:
    """True for members holding a configured instructor role, or the server's administrators."""
    if not isinstance(member, discord.Member):
        return False
    if member.guild_permissions.administrator or member.guild.owner_id == member.id:
        return True
    wanted = {r.casefold() for r in instructor_roles}
    return any(role.name.casefold() in wanted for role in member.roles)


async def _instructor_check(interaction: discord.Interaction[ConductorBot]) -> bool:
    roles = tuple(interaction.client.course.instructor_roles)
    if interaction.guild is None or not is_instructor(interaction.user, roles):
        raise NotInstructor(roles)
    return True


def instructor_only() -> Callable[[T], T]:
    """Hide a command from non-managers by default in Discord, and check the instructor roles at run time."""

    def decorate(func: Any) -> Any:
        func = app_commands.default_permissions(manage_guild=True)(func)
        func = app_commands.guild_only()(func)
        return app_commands.check(_instructor_check)(func)

    return decorate
