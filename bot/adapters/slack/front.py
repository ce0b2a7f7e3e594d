"""What every Slack handler shares: the use cases, the people, how to answer, and the one error path.

`Front.answering` is the one error path of commands and clicks: a `ConductorError` is the answer; the
database being away is said as such; anything unexpected is logged and the person told that nothing was
changed. Instructor commands are checked at run time (`Front.instructor`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from bot.adapters.slack.answers import Answer, as_message, response
from bot.adapters.slack.render import Rendered
from bot.core.errors import ConductorError
from bot.services.errors import StorageUnavailable

if TYPE_CHECKING:
    from bot.adapters.slack.frontend import SlackConductor

log = logging.getLogger(__name__)
Respond = Callable[..., Awaitable[Any]]
Ack = Callable[..., Awaitable[None]]
UNEXPECTED = (
    "Something went wrong on my side and nothing was changed. Please try again; if it keeps happening, "
    "tell the instructor (the error is in my log)."
)


class Front:
    """The handlers' view of the Slack front end: the use cases, the people, how to answer."""

    def __init__(self, conductor: SlackConductor) -> None:
        self.c = conductor
        self.course = conductor.course
        self.app = conductor.app
        self.client = conductor.client
        self.people = conductor.directory
        assert conductor.course.slack is not None
        self.prefix = conductor.course.slack.command_prefix

    def answer(self, what: Answer, **extra: Any) -> dict[str, Any]:
        """An ephemeral answer, rendered for Slack now."""
        return response(what, self.c.sender.options(ephemeral=True), **extra)

    def shown(self, what: Answer) -> Rendered:
        """An answer as one person sees it (a modal's blocks, a DM): mentions shown, no one notified."""
        return self.c.sender.rendered(as_message(what), ephemeral=True)

    def venue(self, channel: str) -> str:
        """Where the session lives: the class channel when the workspace has it, else this channel."""
        return self.people.class_channel or channel

    def instructor(self, user: str) -> None:
        """Refuse, with what to do, when a member is not an instructor."""
        if not self.people.is_instructor(user):
            raise ConductorError(
                "Only instructors can do that. Instructors are set in config.toml (`[slack] instructors`), "
                "or are the workspace's admins when none are set."
            )

    async def dm(self, user: str, what: Answer) -> None:
        """Send one person an answer in their direct messages with the app."""
        shown = self.shown(what)
        opened = await self.client.conversations_open(users=user)
        await self.client.chat_postMessage(channel=opened["channel"]["id"], **shown.post_args())

    @asynccontextmanager
    async def answering(self, respond: Respond, what: str) -> AsyncIterator[None]:
        """The one error path: a clear answer for a refusal, a logged apology for anything else."""
        try:
            yield
        except ConductorError as refusal:
            await respond(**self.answer(refusal.rich))
        except StorageUnavailable as error:
            log.warning("%s: the database is unavailable: %s", what, error)
            await respond(**self.answer(str(error)))
        except Exception:
            log.exception("%s failed", what)
            await respond(**self.answer(UNEXPECTED))
