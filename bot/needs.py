"""The Discord permissions Conductor needs in its channels, and what to tell an instructor when one is missing."""

from __future__ import annotations

from dataclasses import dataclass

import discord

# (attribute of discord.Permissions, the name Discord's UI shows, why Conductor needs it)
CHANNEL_NEEDS: tuple[tuple[str, str, str], ...] = (
    ("view_channel", "View Channel", "see the class channel"),
    ("send_messages", "Send Messages", "post the run-of-show and phases"),
    ("embed_links", "Embed Links", "post phase cards and tables"),
    ("read_message_history", "Read Message History", "edit its earlier posts"),
    ("create_public_threads", "Create Public Threads", "open group threads (fallback)"),
    ("create_private_threads", "Create Private Threads", "open private group and partner threads"),
    ("send_messages_in_threads", "Send Messages in Threads", "post into group threads"),
    ("manage_threads", "Manage Threads", "add members to threads and archive them"),
    ("attach_files", "Attach Files", "attach the session export"),
)


def missing_permissions(permissions: discord.Permissions) -> list[tuple[str, str]]:
    """The (UI name, reason) pairs of every needed permission that `permissions` lacks.

    Without View Channel Discord reports every other channel permission as missing too, so only View
    Channel is named then: the others can only be known once it is granted.
    """
    asked = _to_ask(permissions)
    return [(label, why) for attr, label, why in CHANNEL_NEEDS if attr in asked]


def _to_ask(permissions: discord.Permissions) -> set[str]:
    """The needed permissions to ask for: those that are missing, less those that only follow from another.

    Without View Channel every channel permission reads as missing, and without Send Messages Embed Links
    and Attach Files do (discord.py applies Discord's implicit denials): granting the first brings them back.
    """
    if not permissions.view_channel:
        return {"view_channel"}
    missing = {attr for attr, _, _ in CHANNEL_NEEDS if not getattr(permissions, attr)}
    if not permissions.send_messages:
        missing -= {"embed_links", "attach_files"}
    return missing


def permission_label(attr: str) -> str:
    """The name Discord's UI shows for a permission attribute."""
    for name, label, _ in CHANNEL_NEEDS:
        if name == attr:
            return label
    return attr.replace("_", " ").title()


# What each part of Confirm needs in the class channel.
TABLE_NEEDS = ("view_channel", "send_messages", "embed_links")
POST_NEEDS = ("view_channel", "send_messages")
# Rooms as intended: private, members added and posted to, and students moved out of them on changes.
ROOM_NEEDS = ("view_channel", "create_private_threads", "send_messages_in_threads", "manage_threads")


def _lacking(permissions: discord.Permissions, attrs: tuple[str, ...]) -> tuple[str, ...]:
    asked = _to_ask(permissions)
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


def confirm_plan(permissions: discord.Permissions) -> ConfirmPlan:
    """What Confirm will and will not be able to do with these channel permissions."""
    view = permissions.view_channel
    threads = permissions.create_private_threads or permissions.create_public_threads
    rooms = view and threads and permissions.send_messages_in_threads
    table_grant = _lacking(permissions, TABLE_NEEDS)
    rooms_grant = _lacking(permissions, ROOM_NEEDS)
    if rooms and not permissions.manage_threads:
        rooms_grant = tuple(g for g in rooms_grant if g != permission_label("manage_threads"))
    named = set(table_grant) | set(rooms_grant)
    if rooms and not permissions.manage_threads:
        named.add(permission_label("manage_threads"))
    other = tuple((label, why) for label, why in missing_permissions(permissions) if label not in named)
    return ConfirmPlan(
        table=not table_grant,
        posts=not _lacking(permissions, POST_NEEDS),
        rooms=bool(rooms),
        private=bool(rooms and permissions.create_private_threads),
        table_grant=table_grant,
        posts_grant=_lacking(permissions, POST_NEEDS),
        rooms_grant=rooms_grant,
        other=other,
    )


def grant(labels: tuple[str, ...] | list[str]) -> str:
    """Permission names as the instructor reads them: **A**, **B** and **C**."""
    bold = [f"**{label}**" for label in labels]
    return bold[0] if len(bold) == 1 else ", ".join(bold[:-1]) + " and " + bold[-1]


def plan_lines(plan: ConfirmPlan, permissions: discord.Permissions, where: str) -> list[str]:
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
        if not permissions.manage_threads:
            lines.append(
                "Students moved later with `/roles` cannot be taken out of their old rooms: grant "
                f"{grant([permission_label('manage_threads')])} in {where}."
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
