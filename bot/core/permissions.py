"""The channel permissions Conductor needs, what Confirm can do given those granted, and how to word a grant.

Pure: permissions are plain names (`Permission`, equal to discord.py's attribute names); the chat adapter
(`bot.adapters.discord.needs` for Discord) turns the platform's permission object into the set of names granted.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from enum import StrEnum


class Permission(StrEnum):
    """A channel permission Conductor needs, named as discord.py's `Permissions` attribute."""

    VIEW_CHANNEL = "view_channel"
    SEND_MESSAGES = "send_messages"
    EMBED_LINKS = "embed_links"
    READ_MESSAGE_HISTORY = "read_message_history"
    CREATE_PUBLIC_THREADS = "create_public_threads"
    CREATE_PRIVATE_THREADS = "create_private_threads"
    SEND_MESSAGES_IN_THREADS = "send_messages_in_threads"
    MANAGE_THREADS = "manage_threads"
    ATTACH_FILES = "attach_files"


# (the permission, the name Discord's UI shows, why Conductor needs it)
CHANNEL_NEEDS: tuple[tuple[Permission, str, str], ...] = (
    (Permission.VIEW_CHANNEL, "View Channel", "see the class channel"),
    (Permission.SEND_MESSAGES, "Send Messages", "post the run-of-show and phases"),
    (Permission.EMBED_LINKS, "Embed Links", "post phase cards and tables"),
    (Permission.READ_MESSAGE_HISTORY, "Read Message History", "edit its earlier posts"),
    (Permission.CREATE_PUBLIC_THREADS, "Create Public Threads", "open group threads (fallback)"),
    (Permission.CREATE_PRIVATE_THREADS, "Create Private Threads", "open private group and partner threads"),
    (Permission.SEND_MESSAGES_IN_THREADS, "Send Messages in Threads", "post into group threads"),
    (Permission.MANAGE_THREADS, "Manage Threads", "add members to threads and archive them"),
    (Permission.ATTACH_FILES, "Attach Files", "attach the session export"),
)

# What each part of Confirm needs in the class channel.
TABLE_NEEDS = (Permission.VIEW_CHANNEL, Permission.SEND_MESSAGES, Permission.EMBED_LINKS)
POST_NEEDS = (Permission.VIEW_CHANNEL, Permission.SEND_MESSAGES)
# Rooms as intended: private, members added and posted to, and students moved out of them on changes.
ROOM_NEEDS = (
    Permission.VIEW_CHANNEL,
    Permission.CREATE_PRIVATE_THREADS,
    Permission.SEND_MESSAGES_IN_THREADS,
    Permission.MANAGE_THREADS,
)


def permission_label(attr: str) -> str:
    """The name Discord's UI shows for a permission attribute."""
    for name, label, _ in CHANNEL_NEEDS:
        if name == attr:
            return label
    return attr.replace("_", " ").title()


def to_ask(granted: Set[str]) -> set[str]:
    """The needed permissions to ask for: those not granted, less those that only follow from another.

    Without View Channel every channel permission reads as missing, and without Send Messages Embed Links
    and Attach Files do (discord.py applies Discord's implicit denials): granting the first brings them back.
    """
    if Permission.VIEW_CHANNEL not in granted:
        return {Permission.VIEW_CHANNEL}
    missing: set[str] = {attr for attr, _, _ in CHANNEL_NEEDS if attr not in granted}
    if Permission.SEND_MESSAGES not in granted:
        missing -= {Permission.EMBED_LINKS, Permission.ATTACH_FILES}
    return missing


def missing(granted: Set[str]) -> list[tuple[str, str]]:
    """The (UI name, reason) pairs of every needed permission not granted.

    Without View Channel Discord reports every other channel permission as missing too, so only View
    Channel is named then: the others can only be known once it is granted.
    """
    asked = to_ask(granted)
    return [(label, why) for attr, label, why in CHANNEL_NEEDS if attr in asked]


def _lacking(granted: Set[str], attrs: tuple[Permission, ...]) -> tuple[str, ...]:
    asked = to_ask(granted)
    return tuple(permission_label(a) for a in attrs if a in asked)


@dataclass(frozen=True)
class ConfirmPlan:
    """What Confirm can do in a channel with the bot's permissions there, and what to grant for the rest."""

    table: bool  # the class table (an embed) can be posted
    posts: bool  # plain posts in the class channel (a closed-DM student's ping when their room is missing)
    rooms: bool  # group and partner rooms can be opened: created, members added, posted in
    private: bool  # ... as private threads
    table_grant: tuple[str, ...] = ()
    posts_grant: tuple[str, ...] = ()
    rooms_grant: tuple[str, ...] = ()  # what to grant for rooms as intended (private, students movable)
    other: tuple[tuple[str, str], ...] = ()  # other missing permissions (label, what it is for)


def confirm_plan(granted: Set[str]) -> ConfirmPlan:
    """What Confirm will and will not be able to do with these channel permissions granted."""
    view = Permission.VIEW_CHANNEL in granted
    threads = Permission.CREATE_PRIVATE_THREADS in granted or Permission.CREATE_PUBLIC_THREADS in granted
    rooms = view and threads and Permission.SEND_MESSAGES_IN_THREADS in granted
    manage = Permission.MANAGE_THREADS in granted
    table_grant = _lacking(granted, TABLE_NEEDS)
    rooms_grant = _lacking(granted, ROOM_NEEDS)
    if rooms and not manage:
        rooms_grant = tuple(g for g in rooms_grant if g != permission_label(Permission.MANAGE_THREADS))
    named = set(table_grant) | set(rooms_grant)
    if rooms and not manage:
        named.add(permission_label(Permission.MANAGE_THREADS))
    other = tuple((label, why) for label, why in missing(granted) if label not in named)
    return ConfirmPlan(
        table=not table_grant,
        posts=not _lacking(granted, POST_NEEDS),
        rooms=bool(rooms),
        private=bool(rooms and Permission.CREATE_PRIVATE_THREADS in granted),
        table_grant=table_grant,
        posts_grant=_lacking(granted, POST_NEEDS),
        rooms_grant=rooms_grant,
        other=other,
    )


def grant(labels: Iterable[str]) -> str:
    """Permission names as the instructor reads them: **A**, **B** and **C**."""
    bold = [f"**{label}**" for label in labels]
    return bold[0] if len(bold) == 1 else ", ".join(bold[:-1]) + " and " + bold[-1]


def plan_lines(plan: ConfirmPlan, granted: Set[str], where: str) -> list[str]:
    """What the preview tells the instructor Confirm will not be able to do, and what to grant."""
    lines = []
    if not plan.table:
        lines.append(f"The table will not be posted in {where}: grant {grant(plan.table_grant)} there.")
    if not plan.rooms:
        lines.append(
            f"The group and partner rooms cannot be opened: grant {grant(plan.rooms_grant)} in {where}."
        )
        if not plan.posts:
            lines.append(
                "Students whose DMs are closed cannot be pinged anywhere: I will name them to you, so you "
                "can tell them to use `/myrole`."
            )
    else:
        if not plan.private:
            lines.append(
                "The rooms will be **public** (anyone in the channel can read them): grant "
                f"{grant(plan.rooms_grant)} in {where} to keep them private."
            )
        if Permission.MANAGE_THREADS not in granted:
            lines.append(
                "Students moved later with `/roles` cannot be taken out of their old rooms: grant "
                f"{grant([permission_label(Permission.MANAGE_THREADS)])} in {where}."
            )
    if plan.other:
        also = ", ".join(f"**{label}** ({why})" for label, why in plan.other)
        lines.append(f"Also missing in {where}, not needed for Confirm: {also}.")
    if lines:
        lines.append(
            "Role cards go by DM whatever the permissions. Grant what is missing, then press **Confirm** "
            "(I check again); or press **Confirm** now: I do everything else, and `/conductor status` opens "
            "the rest once it is granted."
        )
    return lines
