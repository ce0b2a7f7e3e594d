"""Who is who in a Slack workspace: the class channel, its students, the instructors, display names.

Slack has no roles: instructors are the configured user ids or e-mail addresses (`[slack] instructors`),
or, when none are configured, the workspace's admins and owners; students are the other human members of
the class channel. The directory is read at start-up and refreshed when asked (a command that needs the
class refreshes it first), so a member who joined since is seen.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.ids import is_slack_id, to_int, to_slack
from bot.adapters.slack.scopes import granted
from bot.core.errors import ConductorError
from bot.core.plan import Course
from bot.services.assignments import ClassList

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    """A member of the workspace as the app needs them."""

    id: str
    name: str  # the handle (`name`)
    shown: str  # the display name, else the real name, else the handle
    email: str | None
    admin: bool
    bot: bool
    real_name: str = ""


def person(user: dict[str, Any]) -> Person:
    """A `users.list` / `users.info` user as a `Person`."""
    profile = user.get("profile") or {}
    shown = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user["name"]
    return Person(
        id=user["id"],
        name=user.get("name", user["id"]),
        shown=shown,
        email=(profile.get("email") or None),
        admin=bool(user.get("is_admin") or user.get("is_owner")),
        bot=bool(user.get("is_bot")) or user["id"] == "USLACKBOT",
        real_name=profile.get("real_name") or user.get("real_name") or "",
    )


class Directory:
    """The workspace's people and the class channel, read through the Web API."""

    def __init__(self, client: AsyncWebClient, course: Course) -> None:
        self.client = client
        self.course = course
        assert course.slack is not None
        self.options = course.slack
        self.team: str = ""
        self.bot_user: str = ""
        self.people: dict[str, Person] = {}
        self.class_channel: str | None = None
        self.class_members: list[str] = []
        self.granted: frozenset[str] = frozenset()

    @property
    def team_id(self) -> int:
        """The workspace as the app stores it."""
        return to_int(self.team)

    async def load(self) -> None:
        """Read who the app is, the workspace's members and the class channel."""
        who = await self.client.auth_test()
        self.team, self.bot_user = who["team_id"], who["user_id"]
        headers = {k.lower(): v for k, v in (who.headers or {}).items()}
        self.granted = granted(str(headers.get("x-oauth-scopes", "")))
        await self.refresh()

    async def refresh(self) -> None:
        """Read the members and the class channel again."""
        people: dict[str, Person] = {}
        async for page in await self.client.users_list(limit=200):
            for user in page.get("members", []):
                if not user.get("deleted"):
                    p = person(user)
                    people[p.id] = p
        self.people = people
        self.class_channel = await self._find_class_channel()
        self.class_members = []
        if self.class_channel is not None:
            async for page in await self.client.conversations_members(channel=self.class_channel, limit=200):
                self.class_members.extend(page.get("members", []))

    async def remember(self, user_id: str) -> None:
        """Read a member the directory does not know yet (they joined since it was read)."""
        if user_id in self.people:
            return
        answer = await self.client.users_info(user=user_id)
        self.people[user_id] = person(answer["user"])

    async def by_email(self, email: str) -> Person | None:
        """The member with this e-mail address: known already, else asked with `users.lookupByEmail`.

        None when no member has it; a missing `users:read.email` scope is raised (`SlackApiError`).
        """
        wanted = email.strip().casefold()
        for p in self.people.values():
            if (p.email or "").casefold() == wanted:
                return p
        try:
            answer = await self.client.users_lookupByEmail(email=email.strip())
        except SlackApiError as error:
            if error.response.get("error") == "users_not_found":
                return None
            raise
        found = person(answer["user"])
        self.people[found.id] = found
        return found

    async def _find_class_channel(self) -> str | None:
        wanted = self.options.class_channel.strip().removeprefix("#")
        if is_slack_id(wanted) and wanted[0] in "CG":
            return wanted
        async for page in await self.client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=200
        ):
            for channel in page.get("channels", []):
                if channel.get("name", "").casefold() == wanted.casefold():
                    return str(channel["id"])
        log.warning("the class channel #%s is not in the workspace (or the app is not in it)", wanted)
        return None

    # --- who is who ---------------------------------------------------------------------------------

    def instructor_ids(self) -> list[str]:
        """The instructors: the configured ones, else the workspace's admins and owners (no bots)."""
        configured = {i.strip().casefold() for i in self.options.instructors if i.strip()}
        if configured:
            return sorted(
                p.id
                for p in self.people.values()
                if not p.bot and (p.id.casefold() in configured or (p.email or "").casefold() in configured)
            )
        return sorted(p.id for p in self.people.values() if p.admin and not p.bot)

    def is_instructor(self, user_id: str) -> bool:
        """Whether a member may run the instructor commands (checked at each command)."""
        return user_id in self.instructor_ids()

    def student_ids(self) -> list[str]:
        """The class: human members of the class channel who are not instructors."""
        teachers = set(self.instructor_ids())
        return sorted(
            uid
            for uid in self.class_members
            if uid != self.bot_user and uid not in teachers and not self._is_bot(uid)
        )

    def _is_bot(self, user_id: str) -> bool:
        p = self.people.get(user_id)
        return p is None or p.bot

    def shown(self, user_id: str) -> str:
        """A member's display name (their id when unknown)."""
        p = self.people.get(user_id)
        return p.shown if p is not None else user_id

    def names(self) -> dict[str, str]:
        """Every member's display name, by Slack id."""
        return {uid: p.shown for uid, p in self.people.items()}

    def teacher_ids(self, refs: Sequence[str]) -> tuple[int, ...]:
        """The members a paper's teachers name (their handle, display name, e-mail or id), as stored ids."""
        out = []
        for ref in refs:
            teacher = self.course.teacher(ref)
            wanted = {
                ref.casefold(),
                *((teacher.discord.casefold(), teacher.name.casefold()) if teacher else ()),
            }
            for p in self.people.values():
                keys = {p.id.casefold(), p.name.casefold(), p.shown.casefold(), (p.email or "").casefold()}
                if not p.bot and keys & wanted:
                    out.append(to_int(p.id))
                    break
        return tuple(out)

    def class_list(self) -> ClassList:
        """The class as the assignment needs it: students by stored id with names, teachers per paper."""
        students = {to_int(uid): self.shown(uid) for uid in self.student_ids()}
        teachers = {paper.key: self.teacher_ids(paper.teachers) for paper in self.course.papers}
        return ClassList(students, teachers)

    def require_class_channel(self) -> str:
        """The class channel's id, or a clear error saying how to set it up."""
        if self.class_channel is None:
            raise ConductorError(
                f"I cannot find the class channel #{self.options.class_channel}: create it (or correct "
                "`[slack] class_channel` in config.toml) and invite me to it with `/invite @Conductor`."
            )
        return self.class_channel

    def stored(self, slack_id: str) -> int:
        """A Slack id as the application stores it."""
        return to_int(slack_id)

    def slack(self, stored: int) -> str:
        """A stored id as the Slack id it stands for."""
        return to_slack(stored)
