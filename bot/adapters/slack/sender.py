"""The outbox's posts to Slack: each stored message rendered for Slack when it is sent (`Sender`).

A channel post goes to its channel; a DM (`dm`) is posted to the member's id, which Slack turns into
their DM with the app (`DirectMessages` keeps the DM's id for later edits); an edit (`edit`, `dm-edit`)
is `chat.update` of the message the outbox recorded (its `ts`). Phase posts
that show a time as "in 12 min" are remembered, so `refresh` can rewrite that line while the phase runs
(Slack has no countdown that updates by itself).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.answers import message_with_ids
from bot.adapters.slack.ids import to_int, to_slack
from bot.adapters.slack.people import Directory
from bot.adapters.slack.render import Options, Rendered, render
from bot.adapters.slack.transport import ChannelPace, DirectMessages, int_to_ts, ts_to_int
from bot.core.clock import Clock
from bot.core.message import Em, Inline, Message, Rich, Strong, Time, TimeStyle
from bot.core.plan import Course
from bot.delivery import Failure
from bot.messages.outbox import message_of
from bot.storage.models import PostRow

log = logging.getLogger(__name__)
DMS = frozenset({"dm", "dm-edit"})
EDITS = frozenset({"edit", "dm-edit"})
REFUSED = frozenset(
    {"missing_scope", "not_in_channel", "restricted_action", "is_archived", "not_allowed_token_type"}
)
GONE = frozenset(
    {"channel_not_found", "message_not_found", "user_not_found", "cant_update_message", "is_inactive"}
)


def _nodes(message: Message) -> Iterator[Inline]:
    """Every inline node of a message, nested ones included."""

    def walk(nodes: Rich) -> Iterator[Inline]:
        for node in nodes:
            yield node
            if isinstance(node, Strong | Em):
                yield from walk(node.children)

    yield from walk(message.text)
    for card in message.cards:
        for part in (card.title, card.body, card.footer, *(f.value for f in card.fields)):
            yield from walk(part)


def countdown_until(message: Message, now: datetime) -> datetime | None:
    """When a message's "in N min" stops changing: its last relative time still ahead (None: none)."""
    times = [n.at for n in _nodes(message) if isinstance(n, Time) and n.style is TimeStyle.RELATIVE]
    ahead = [t for t in times if t > now]
    return max(ahead) if ahead else None


@dataclass
class Live:
    """A posted message whose relative time is refreshed: where it is, what it says, until when."""

    channel: str
    ts: str
    message: Message
    until: datetime


class SlackSender:
    """Sends the outbox's posts with the Web API."""

    platform = "Slack"

    def __init__(self, client: AsyncWebClient, directory: Directory, course: Course, clock: Clock) -> None:
        self.client = client
        self.directory = directory
        self.course = course
        self.clock = clock
        self.pace = ChannelPace()
        self.dms = DirectMessages(client)
        self.live: dict[tuple[str, str], Live] = {}

    def options(self, ephemeral: bool = False) -> Options:
        """How messages are rendered now: this instant, the course's zone, members' names, the prefix."""
        assert self.course.slack is not None
        return Options(
            now=self.clock.now(),
            zone=self.course.tz,
            names={to_int(uid): name for uid, name in self.directory.names().items()},
            ephemeral=ephemeral,
            command_prefix=self.course.slack.command_prefix,
        )

    def rendered(self, message: Message, ephemeral: bool = False) -> Rendered:
        """A message as Slack shows it now."""
        return render(message, self.options(ephemeral))

    async def _channel(self, row: PostRow) -> str:
        if row.kind not in DMS:
            return to_slack(row.channel_id)
        return await self.dms.open(to_slack(row.channel_id))

    async def send(self, row: PostRow, payload: Mapping[str, Any], target_id: int | None) -> int | None:
        """Post (or edit) one outbox post; the message's id (its `ts` as digits)."""
        message = message_with_ids(message_of(payload))
        shown = self.rendered(message)
        if shown.cuts:
            log.info("post %s/%s cut to Slack's limits: %s", row.scope, row.key, "; ".join(shown.cuts))
        if row.kind in EDITS:
            if target_id is None:
                return None
            channel = await self._channel(row)
            ts = int_to_ts(target_id)
            await self.client.chat_update(channel=channel, ts=ts, text=shown.text, blocks=list(shown.blocks))
            self._remember(channel, ts, message)
            return target_id
        where = to_slack(row.channel_id)  # a channel, or for a DM the member
        await self.pace.turn(where)
        if row.kind in DMS:
            answer = await self.dms.post(where, **shown.post_args())
        else:
            answer = await self.client.chat_postMessage(channel=where, **shown.post_args())
        channel, ts = str(answer["channel"]), str(answer["ts"])
        self._remember(channel, ts, message)
        return ts_to_int(ts)

    def _remember(self, channel: str, ts: str, message: Message) -> None:
        """Keep a message whose "in N min" must be refreshed while that time is ahead."""
        until = countdown_until(message, self.clock.now())
        if until is not None:
            self.live[(channel, ts)] = Live(channel, ts, message, until)
        else:
            self.live.pop((channel, ts), None)

    async def refresh(self) -> int:
        """Rewrite the "time left" of posts whose time is still ahead (at most once per call); how many."""
        now = self.clock.now()
        done = 0
        for key, live in list(self.live.items()):
            if live.until <= now:
                del self.live[key]
                continue
            shown = self.rendered(live.message)
            try:
                await self.client.chat_update(
                    channel=live.channel, ts=live.ts, text=shown.text, blocks=list(shown.blocks)
                )
                done += 1
            except SlackApiError as error:
                log.warning("could not refresh the time left of %s/%s: %s", live.channel, live.ts, error)
                del self.live[key]
        return done

    # --- what the outbox makes of errors -------------------------------------------------------------

    def failure(self, error: BaseException) -> Failure | None:
        """How a failed send counts: refused (a scope, not in the channel), gone, worth retrying, or a bug."""
        if isinstance(error, SlackApiError):
            code = str(error.response.get("error", "")) if error.response is not None else ""
            if code in REFUSED:
                return Failure.REFUSED
            if code in GONE:
                return Failure.GONE
            return Failure.RETRY
        if isinstance(error, SlackClientError | OSError | TimeoutError):
            return Failure.RETRY
        return None

    def describe(self, error: BaseException) -> str:
        """An error as stored with the post."""
        if isinstance(error, SlackApiError) and error.response is not None:
            return f"slack: {error.response.get('error')}"
        return repr(error)

    def where(self, channel_id: int) -> str:
        """A channel as a message names it."""
        return f"<#{channel_id}>"

    async def refused_text(self, row: PostRow, error: BaseException) -> str:
        """What to tell the instructor when Slack refused a post."""
        code = str(error.response.get("error", "")) if isinstance(error, SlackApiError) else ""
        if code == "not_in_channel":
            fix = "invite me there with `/invite @Conductor`"
        elif code == "missing_scope":
            needed = error.response.get("needed") if isinstance(error, SlackApiError) else None
            fix = f"add the `{needed}` scope to the app and reinstall it" if needed else "reinstall the app"
        else:
            fix = f"Slack said `{code or 'refused'}`"
        return (
            f"I could not post the session's messages in <#{row.channel_id}>: {fix}. The session keeps "
            "running; its next posts go through once that is fixed."
        )
