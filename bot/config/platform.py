"""`[platform]`, `[discord]` and `[slack]`: which chat the course lives in, and that chat's options."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.config.checks import check_http_url, check_ws_url
from bot.config.messages import Reporter
from bot.config.schema import ConfigModel
from bot.core.platform import Platform, SlackOptions

_CHANNEL_NAME = re.compile(r"[a-z0-9_-]{1,80}")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,11}")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,11}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: The shortest refresh of a phase's "time left": each refresh is a `chat.update`, and Slack allows about
#: 50 a minute for the whole workspace, shared by every session running.
REFRESH_MIN_SECONDS = 10


def section_problems(raw: Any, rep: Reporter) -> None:
    """Report a missing `[discord]` or `[slack]` section for the chosen platform (on the raw file)."""
    if not isinstance(raw, dict):
        return
    section = raw.get("platform")
    name = section.get("name", "discord") if isinstance(section, dict) else "discord"
    if name == Platform.DISCORD and "discord" not in raw:
        rep.error(
            ("discord",),
            'is required but missing (the course is on Discord; for Slack, set [platform] name = "slack" '
            "and add a [slack] section)",
        )
    elif name == Platform.SLACK and "slack" not in raw:
        rep.error(
            ("slack",), 'is required but missing: [platform] name = "slack" needs [slack] class_channel'
        )


def _slack(m: ConfigModel, rep: Reporter) -> SlackOptions | None:
    s = m.slack
    if s is None:
        return None
    from bot.adapters.slack.command_list import prefix_problem  # Slack's modules only for a Slack course

    channel = s.class_channel.removeprefix("#")
    if not (_CHANNEL_NAME.fullmatch(channel) or _CHANNEL_ID.fullmatch(channel)):
        rep.error(
            ("slack", "class_channel"),
            "must be a Slack channel name (lowercase letters, digits, '-' and '_', at most 80 characters, "
            f'like "reading-group") or a channel id like C0123ABCD (got {s.class_channel!r})',
        )
    for i, who in enumerate(s.instructors):
        if not (_USER_ID.fullmatch(who) or _EMAIL.fullmatch(who)):
            rep.error(
                ("slack", "instructors", i),
                f"{who!r} is neither a Slack member id (like U01ABCDEF12: in Slack, open their profile, "
                "⋮ More, Copy member ID) nor an e-mail address",
            )
    if (problem := prefix_problem(s.command_prefix)) is not None:
        rep.error(("slack", "command_prefix"), problem)
    refresh = s.time_left_refresh_seconds
    if 0 < refresh < REFRESH_MIN_SECONDS:
        rep.error(
            ("slack", "time_left_refresh_seconds"),
            f"must be 0 (never) or at least {REFRESH_MIN_SECONDS} (got {refresh}): each refresh edits a post, "
            "and Slack allows about 50 edits a minute for the whole workspace",
        )
    return SlackOptions(
        class_channel=channel,
        instructors=tuple(s.instructors),
        command_prefix=s.command_prefix,
        time_left_refresh=timedelta(seconds=refresh),
    )


def chat_options(m: ConfigModel, rep: Reporter) -> dict[str, Any]:
    """The Course's chat fields: the platform, Discord's roles and endpoints, the Slack options."""
    platform = Platform(m.platform.name)
    d = m.discord
    if d is not None and d.api_base is not None and (problem := check_http_url(d.api_base)):
        rep.error(("discord", "api_base"), problem)
    if d is not None and d.gateway_url is not None and (problem := check_ws_url(d.gateway_url)):
        rep.error(("discord", "gateway_url"), problem)
    slack = _slack(m, rep)
    on_slack = platform is Platform.SLACK and slack is not None
    return {
        "platform": platform,
        "slack": slack,
        "instructor_roles": tuple(d.instructor_roles) if d else (),
        "student_role": d.student_role if d else "",
        "class_channel": slack.class_channel if on_slack and slack else (d.class_channel if d else ""),
        "dev_guild_id": d.dev_guild_id if d else None,
        "api_base": d.api_base if d else None,
        "gateway_url": d.gateway_url if d else None,
    }
