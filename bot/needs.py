"""The Discord permissions Conductor needs in its channels, and what to tell an instructor when one is missing."""

from __future__ import annotations

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
    """The (UI name, reason) pairs of every needed permission that `permissions` lacks."""
    return [(label, why) for attr, label, why in CHANNEL_NEEDS if not getattr(permissions, attr)]


def permission_label(attr: str) -> str:
    """The name Discord's UI shows for a permission attribute."""
    for name, label, _ in CHANNEL_NEEDS:
        if name == attr:
            return label
    return attr.replace("_", " ").title()
