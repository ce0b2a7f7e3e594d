"""The session's rooms on Slack: a private channel per paper group and per role pair (`ThreadPort`).

Slack threads are replies anyone in the channel can read, so a room is a private channel, created with a
name that is valid and unique in the workspace (`rg-2024-03-12-controlnet-group`; `-2`, `-3`... when the
name is taken), the app a member, the students and teachers invited, archived when the session ends.
Slack's errors stay here: a refusal for a missing scope or a restricted action leaves as
`PlatformRefused`, any other failure as `PlatformFailed`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.ids import to_int, to_slack
from bot.adapters.slack.transport import MethodPace
from bot.core.clock import Clock
from bot.core.permissions import ConfirmPlan
from bot.services.assignments.ports import PlatformFailed, PlatformRefused

NAME_MAX = 80
REFUSALS = frozenset(
    {"missing_scope", "restricted_action", "not_allowed_token_type", "ekm_access_denied", "is_archived"}
)
ROOM_SCOPES = ("groups:write",)


@contextmanager
def translated() -> Iterator[None]:
    """Slack's errors as the port's: refused (a scope, a restriction) or failed, the original as the cause."""
    try:
        yield
    except SlackApiError as error:
        code = str(error.response.get("error", "")) if error.response is not None else ""
        if code in REFUSALS:
            raise PlatformRefused(f"Slack: {code}") from error
        raise PlatformFailed(f"Slack: {code or error!r}") from error
    except (SlackClientError, OSError, TimeoutError) as error:
        raise PlatformFailed(repr(error)) from error


def channel_name(title: str, when: datetime, taken: int = 0) -> str:
    """A valid Slack channel name for a room: `rg-<date>-<slug>`, lowercase, at most 80 characters."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-") or "room"
    suffix = f"-{taken + 1}" if taken else ""
    stem = f"rg-{when:%Y-%m-%d}-"
    return stem + slug[: NAME_MAX - len(stem) - len(suffix)].rstrip("-") + suffix


class SlackRooms:
    """Private channels as the assignment's rooms, and the DMs its role cards go to."""

    def __init__(self, client: AsyncWebClient, clock: Clock, granted: frozenset[str] = frozenset()) -> None:
        self.client = client
        self.clock = clock
        self.granted = granted  # the scopes installed (empty: unknown, assume all)
        self.pace = MethodPace()

    async def create(self, channel_id: int, name: str, private: bool) -> tuple[int, bool]:
        """Open a private channel for a room (a free name found when taken); its id, and True (private)."""
        for taken in range(50):
            wanted = channel_name(name, self.clock.now(), taken)
            try:
                await self.pace.turn("conversations.create")
                with translated():
                    answer = await self.client.conversations_create(name=wanted, is_private=True)
            except PlatformFailed as error:
                if "name_taken" in error.detail:
                    continue
                raise
            return to_int(answer["channel"]["id"]), True
        raise PlatformFailed(f"Slack: no free channel name for {name!r} after 50 tries")

    async def add(self, thread_id: int, user_ids: list[int]) -> None:
        """Invite members to a room (those already in it are skipped)."""
        if not user_ids:
            return
        await self.pace.turn("conversations.invite")
        with translated():
            await self.client.conversations_invite(
                channel=to_slack(thread_id), users=",".join(to_slack(u) for u in user_ids), force=True
            )

    async def remove(self, thread_id: int, user_ids: list[int]) -> None:
        """Take members out of a room."""
        for uid in user_ids:
            try:
                await self.pace.turn("conversations.kick")
                with translated():
                    await self.client.conversations_kick(channel=to_slack(thread_id), user=to_slack(uid))
            except PlatformFailed as error:
                if "not_in_channel" not in error.detail:
                    raise

    async def archive(self, thread_id: int) -> None:
        """Archive a room at the session's end (its members keep reading it)."""
        try:
            await self.pace.turn("conversations.archive")
            with translated():
                await self.client.conversations_archive(channel=to_slack(thread_id))
        except PlatformFailed as error:
            if "already_archived" not in error.detail:
                raise

    async def open_dm(self, user_id: int) -> None:
        """Nothing to open: a card is posted to the student's id and Slack opens the DM with it.

        Opening it here with `conversations.open` (Tier 3: about 50 a minute) would hold 300 role cards
        up for five minutes; the sender learns the DM's id from the card's own post.
        """

    def plan(self, channel_id: int) -> ConfirmPlan:
        """What Confirm can do: everything, unless the installed scopes lack what rooms need."""
        missing = tuple(s for s in ROOM_SCOPES if self.granted and s not in self.granted)
        rooms = not missing
        return ConfirmPlan(
            table=True,
            posts=True,
            rooms=rooms,
            private=rooms,
            rooms_grant=tuple(f"the `{s}` scope" for s in missing),
        )

    def where(self, channel_id: int) -> str:
        """A channel as users read it: a link to it."""
        return f"<#{channel_id}>"
