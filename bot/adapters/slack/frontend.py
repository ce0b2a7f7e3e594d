"""Conductor on Slack: the Bolt app, built on the same application as the Discord bot, and its start-up.

`SlackConductor` builds the Web API client (pointed at `SLACK_API_BASE` when set: the local sandbox),
the directory of people, the rooms, the outbox's Slack sender, and the application through the one
composition root; `start` migrates, reads the workspace, catches up (outbox, timers) and then connects
over Socket Mode, so a command arriving first finds everything ready.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

from bot.adapters.slack.handlers import register
from bot.adapters.slack.ids import to_int
from bot.adapters.slack.people import Directory
from bot.adapters.slack.rooms import SlackRooms
from bot.adapters.slack.sender import SlackSender
from bot.adapters.slack.transport import web_client
from bot.compose import Application, FrontEnd, build_application
from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConductorError
from bot.core.plan import Course
from bot.delivery import Deliverer
from bot.lifecycle import install_signal_handlers, remove_signal_handlers
from bot.scheduling import Scheduler
from bot.settings import Settings
from bot.storage.db import Database

log = logging.getLogger(__name__)
REFRESH_JOB = "slack:time-left"


class SlackConductor:
    """The Slack front end: a Bolt `AsyncApp` driving the application's use cases."""

    def __init__(self, settings: Settings, course: Course, *, clock: Clock | None = None) -> None:
        if course.slack is None:
            raise ConductorError("This configuration has no [slack] section: add one to run on Slack.")
        problems = settings.slack_problems()
        if problems:
            raise ConductorError("Slack is not set up:\n- " + "\n- ".join(problems))
        assert settings.slack_bot_token is not None
        self.settings = settings
        self.course = course
        self.clock = clock or SystemClock()
        self.client = web_client(
            settings.slack_bot_token.get_secret_value(), settings.resolved_slack_api_base()
        )
        self._app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
        signing = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
        self.http_port = settings.slack_http_port  # HTTP mode (signed requests); else Socket Mode
        self.directory = Directory(self.client, course)
        self.rooms = SlackRooms(self.client, self.clock)
        self.db = Database(settings.resolved_database_url())
        self.scheduler = Scheduler()
        self.sender = SlackSender(self.client, self.directory, course, self.clock)
        self.deliverer = Deliverer(self.sender, self.db, self.clock, self.scheduler)
        self.app: Application = build_application(
            course,
            self.db,
            self.scheduler,
            self.clock,
            FrontEnd(
                outbox=self.deliverer,
                flush=self.deliverer.flush,
                threads=self.rooms,
                rooms=None,  # project groups' rooms are not on Slack yet
                instructors=lambda team: [to_int(u) for u in self.directory.instructor_ids()],
                students=lambda team: [to_int(u) for u in self.directory.student_ids()],
                class_targets=self._class_targets,
            ),
        )
        self._bot_token = settings.slack_bot_token.get_secret_value()
        self.bolt = AsyncApp(
            client=self.client,
            authorize=self._authorizer(),
            signing_secret=signing if self.http_port is not None else None,
            request_verification_enabled=self.http_port is not None,
            ignoring_self_events_enabled=True,
        )
        register(self.bolt, self)
        self.socket: AsyncSocketModeHandler | None = None
        self.http: web.AppRunner | None = None
        self.stopping = False
        self._stop = asyncio.Event()

    def _authorizer(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """Bolt's authorize: every request is this workspace's, with the bot token read at start-up.

        Bolt's default makes an `auth.test` call on the first request, which delays its acknowledgement.
        """

        async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            return AuthorizeResult(
                enterprise_id=enterprise_id,
                team_id=team_id,
                bot_token=self._bot_token,
                bot_user_id=self.directory.bot_user or None,
                bot_scopes=sorted(self.directory.granted),
            )

        return authorize

    def _class_targets(self) -> list[tuple[int, int]]:
        channel = self.directory.class_channel
        return [(self.directory.team_id, to_int(channel))] if channel and self.directory.team else []

    @property
    def team_id(self) -> int:
        """The workspace, as the application stores it."""
        return self.directory.team_id

    async def start(self) -> None:
        """Migrate, read the workspace, catch up (outbox, timers), then connect over Socket Mode."""
        await self.db.migrate()
        await self.directory.load()
        self.rooms.granted = self.directory.granted
        log.info(
            "start-up: Slack workspace %s, class channel %s, %d members",
            self.directory.team,
            self.directory.class_channel,
            len(self.directory.people),
        )
        self.scheduler.start()
        await self.deliverer.flush_all()
        await self.app.sessions.rebuild()
        log.info("start-up: caught up (outbox sent, live sessions' timers set)")
        if self.app.web is not None:  # the projector pages `/session projector` links to
            await self.app.web.start()
        self._refresh_later()
        if self.http_port is not None:
            self.http = await serve_http(self.bolt, self.http_port)
            log.info("start-up: taking Slack's signed requests on port %d (/slack/events)", self.http_port)
            return
        self.socket = AsyncSocketModeHandler(self.bolt, self._app_token)
        await self.socket.connect_async()  # type: ignore[no-untyped-call]  # slack_bolt leaves it untyped
        log.info("start-up: connected to Slack over Socket Mode")

    def _refresh_later(self) -> None:
        """Set the timer for the next "time left" refresh (none when `time_left_refresh` is zero)."""
        period = self.course.slack.time_left_refresh if self.course.slack else None
        if period is not None and period.total_seconds() > 0 and not self.stopping:
            self.scheduler.at(REFRESH_JOB, self.clock.now() + period, self._refresh)

    async def _refresh(self) -> None:
        """Rewrite the "time left" of running phase posts (Slack has no live countdown), then set the next."""
        try:
            await self.sender.refresh()
        except Exception:
            log.exception("refreshing the time left failed; trying again next period")
        finally:
            self._refresh_later()

    async def close(self) -> None:
        """Stop taking commands and timers, let the timers and outbox finish what is under way, close."""
        self.stopping = True
        self.scheduler.pause()  # no new timer fires; one already running finishes before the database closes
        if self.http is not None:
            await self.http.cleanup()
        if self.socket is not None:
            await self.socket.close_async()  # type: ignore[no-untyped-call]  # slack_bolt leaves it untyped
        self.scheduler.cancel(REFRESH_JOB)
        await self.scheduler.drain(grace=self.settings.stop_grace_seconds)
        await self.deliverer.settle(grace=self.settings.stop_grace_seconds)
        self.deliverer.stop()
        self.scheduler.shutdown()
        if self.app.web is not None:
            await self.app.web.close()
        await self.db.close()
        if self.client.session is not None:
            await self.client.session.close()

    def request_stop(self, reason: str) -> None:
        """Stop gracefully (SIGTERM, SIGINT): `run` returns once everything is closed."""
        log.info("stopping (%s)", reason)
        self._stop.set()

    async def run(self) -> None:
        """Start, serve until asked to stop, then close."""
        self._stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        install_signal_handlers(loop, self.request_stop)
        try:
            await self.start()
            await self._stop.wait()
        finally:
            await self.close()
            remove_signal_handlers(loop)


async def serve_http(bolt: AsyncApp, port: int) -> web.AppRunner:
    """HTTP mode: Slack's requests at `/slack/events`, each checked against the signing secret by Bolt."""

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    return runner


def describe(payload: dict[str, Any]) -> str:
    """A Slack request in a log line: what and who, never its text."""
    user = payload.get("user_id") or (payload.get("user") or {}).get("id")
    what = payload.get("command") or payload.get("type") or "event"
    return f"{what} by {user}"
