"""A Slack workspace on the sandbox (a teacher, two students, the class channel) and a tiny Bolt app.

The app is the real slack_bolt AsyncApp on slack_sdk's AsyncWebClient, connected with the real
AsyncSocketModeHandler. Every test ends by checking that nothing it sent broke Slack's description of
the Web API and that the app did nothing Slack would refuse (`sb.assert_clean()`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from slack_sandbox import Channel, RateLimits, ScriptedUser, SlackSandbox, SocketSettings

Connect = Callable[[AsyncApp], Awaitable[AsyncSocketModeHandler]]


@dataclass(eq=False)  # a logging handler must stay hashable
class BoltLog(logging.Handler):
    """Warnings and errors slack_bolt and slack_sdk logged: a sign the sandbox said something odd."""

    records: list[logging.LogRecord] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def allow(self, text: str) -> None:
        """Expect warnings containing `text` in this test (e.g. a listener that never acknowledges)."""
        self.allowed.append(text)

    def unexpected(self) -> list[str]:
        lines = [f"{r.name}: {r.getMessage()}" for r in self.records]
        return [line for line in lines if not any(a in line for a in self.allowed)]


@pytest.fixture(autouse=True)
def bolt_log() -> Iterator[BoltLog]:
    """Fail a test in which Bolt or slack_sdk warned (unless the test allowed that warning)."""
    handler = BoltLog()
    loggers = [logging.getLogger(name) for name in ("slack_bolt", "slack_sdk")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)
    assert handler.unexpected() == [], "slack_bolt / slack_sdk logged problems"


@pytest.fixture
def rate_limits() -> RateLimits:
    """Slack's rate limits (a test module may override this fixture)."""
    return RateLimits()


@pytest.fixture
def socket_settings() -> SocketSettings:
    """Slack's 3 s deadline for acknowledgements (a test module may override this fixture)."""
    return SocketSettings()


@pytest.fixture
async def sb(rate_limits: RateLimits, socket_settings: SocketSettings) -> AsyncIterator[SlackSandbox]:
    async with SlackSandbox(rate_limits=rate_limits, socket=socket_settings) as sandbox:
        yield sandbox
        sandbox.assert_clean()


def web_client(sb: SlackSandbox, **kwargs: object) -> AsyncWebClient:
    """slack_sdk's client pointed at the sandbox with the bot token."""
    return AsyncWebClient(token=sb.bot_token, base_url=sb.api_url, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def web(sb: SlackSandbox) -> AsyncWebClient:
    return web_client(sb)


@pytest.fixture
def app(sb: SlackSandbox) -> AsyncApp:
    """A Bolt app on the sandbox; the test adds its listeners, then `await connect(app)`."""
    return AsyncApp(client=web_client(sb))


@pytest.fixture
async def connect(sb: SlackSandbox) -> AsyncIterator[Connect]:
    """Connect apps over Socket Mode (closed at the end of the test)."""
    handlers: list[AsyncSocketModeHandler] = []

    async def start(app: AsyncApp) -> AsyncSocketModeHandler:
        handler = AsyncSocketModeHandler(app, sb.app_token)
        handlers.append(handler)
        before = len(sb.socket.connections)
        await handler.connect_async()
        await sb.wait_for(
            lambda: len(sb.socket.connections) > before and sb.socket.live(), 5, "the app to connect"
        )
        return handler

    yield start
    for handler in handlers:
        await handler.close_async()


@dataclass
class Klass:
    """The people of a seminar and their channel."""

    teacher: ScriptedUser
    alice: ScriptedUser
    bob: ScriptedUser
    room: Channel


@pytest.fixture
def klass(sb: SlackSandbox) -> Klass:
    teacher = sb.add_user("Dimitrios Papadopoulos", name="dimitrios", email="dimi@example.edu", is_admin=True)
    alice = sb.add_user("Alice Andersen", name="alice", display_name="Alice", email="alice@example.edu")
    bob = sb.add_user("Bob Berg", name="bob", email="bob@example.edu", tz="America/New_York")
    room = sb.add_channel("reading-group", [teacher, alice, bob])
    return Klass(teacher, alice, bob, room)
