"""Which chat a course lives in, and the Slack options of `[slack]` (pure: the config builds them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Platform(StrEnum):
    """The chat platform of a course (`[platform] name`)."""

    DISCORD = "discord"
    SLACK = "slack"


@dataclass(frozen=True)
class SlackOptions:
    """`[slack]`: where the class is, who teaches it, and how commands and the time left are shown."""

    #: The class channel: a name (`reading-group`) or a channel id (`C0123ABCD`).
    class_channel: str
    #: Instructors as Slack user ids (`U01ABCDEF12`) or e-mail addresses; none: workspace admins and owners.
    instructors: tuple[str, ...] = ()
    #: Put before every slash command (`cd-` makes `/session` into `/cd-session`).
    command_prefix: str = ""
    #: How often a phase post's "time left" line is edited (Slack has no live countdown); zero: never.
    time_left_refresh: timedelta = timedelta(seconds=60)
