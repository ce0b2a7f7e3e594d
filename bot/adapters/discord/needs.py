"""The discord.py side of the permissions Conductor needs: `discord.Permissions` read as the names granted.

The rules (what is missing, what Confirm can do, how to word a grant) are pure, in `bot.core.permissions`;
they are re-exported here for the Discord-side callers (cogs, doctor, delivery).
"""

from __future__ import annotations

import discord

from bot.core import permissions as core
from bot.core.permissions import CHANNEL_NEEDS, ConfirmPlan, Permission, grant, permission_label

__all__ = [
    "CHANNEL_NEEDS",
    "ConfirmPlan",
    "confirm_plan",
    "grant",
    "granted",
    "missing_permissions",
    "permission_label",
    "plan_lines",
]


def granted(permissions: discord.Permissions) -> frozenset[Permission]:
    """The needed permissions that `permissions` grants."""
    return frozenset(p for p in Permission if getattr(permissions, p.value))


def missing_permissions(permissions: discord.Permissions) -> list[tuple[str, str]]:
    """The (UI name, reason) pairs of every needed permission that `permissions` lacks."""
    return core.missing(granted(permissions))


def confirm_plan(permissions: discord.Permissions) -> ConfirmPlan:
    """What Confirm will and will not be able to do with these channel permissions."""
    return core.confirm_plan(granted(permissions))


def plan_lines(plan: ConfirmPlan, permissions: discord.Permissions, where: str) -> list[str]:
    """What the preview tells the instructor Confirm will not be able to do, and what to grant."""
    return core.plan_lines(plan, granted(permissions), where)
