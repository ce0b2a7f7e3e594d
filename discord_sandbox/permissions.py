"""Discord permission bits and the channel permission computation the sandbox enforces."""

from __future__ import annotations

from enum import IntFlag
from typing import Any


class Perm(IntFlag):
    """Discord permission bits (the subset a session bot meets)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38


ALL_PERMISSIONS = (1 << 51) - 1

DEFAULT_EVERYONE = (
    Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY | Perm.USE_APPLICATION_COMMANDS | Perm.ADD_REACTIONS
)

DEFAULT_BOT = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.CREATE_PRIVATE_THREADS
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.MANAGE_THREADS
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.ADD_REACTIONS
    | Perm.USE_EXTERNAL_EMOJIS
)


def apply_overwrites(
    base: int, overwrites: list[dict[str, Any]], everyone_id: int, role_ids: set[int], member_id: int
) -> int:
    """Apply channel overwrites (everyone, then roles, then member) to guild-level permissions."""
    if base & Perm.ADMINISTRATOR:
        return ALL_PERMISSIONS
    perms = base
    by_id = {int(o["id"]): o for o in overwrites}
    ev = by_id.get(everyone_id)
    if ev is not None:
        perms = (perms & ~int(ev["deny"])) | int(ev["allow"])
    allow = deny = 0
    for o in overwrites:
        if o["type"] == 0 and int(o["id"]) in role_ids:
            allow |= int(o["allow"])
            deny |= int(o["deny"])
    perms = (perms & ~deny) | allow
    mo = by_id.get(member_id)
    if mo is not None and mo["type"] == 1:
        perms = (perms & ~int(mo["deny"])) | int(mo["allow"])
    if not perms & Perm.VIEW_CHANNEL:
        return 0
    return perms
