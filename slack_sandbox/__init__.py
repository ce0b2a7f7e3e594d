"""A local Slack for tests and rehearsals: the Web API, Socket Mode and response_urls on loopback.

The real slack_sdk and Slack Bolt talk to it unchanged::

    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient
    from slack_sandbox import SlackSandbox

    async with SlackSandbox() as sb:
        alice = sb.add_user("Alice Andersen", email="alice@example.edu")
        room = sb.add_channel("reading-group", [alice])
        app = AsyncApp(client=AsyncWebClient(token=sb.bot_token, base_url=sb.api_url))
        # ... app.command("/session") ...
        handler = AsyncSocketModeHandler(app, sb.app_token)
        await handler.connect_async()
        seen = await alice.command("/session", "start 13:50", channel=room)
        assert "Posting to #reading-group" in seen.text
        sb.assert_clean()  # every request matched Slack's description; nothing Slack would refuse

See README.md in this directory for what it enforces and what it does not model.
"""

from .errors import SlackError
from .http_api import RecordedCall
from .modals import View
from .mrkdwn import Live, LiveKind
from .ratelimits import Rate, RateLimits, Tier
from .reader import Shown
from .sandbox import DEFAULT_SCOPES, SlackSandbox
from .scripted import CommandError, Outcome, ScriptedUser, Submission
from .socket_mode import Envelope, EnvelopeType, SocketSettings
from .spec import Problem, Violation
from .workspace import Channel, Kind, Message, User

__all__ = [
    "DEFAULT_SCOPES",
    "Channel",
    "CommandError",
    "Envelope",
    "EnvelopeType",
    "Kind",
    "Live",
    "LiveKind",
    "Message",
    "Outcome",
    "Problem",
    "Rate",
    "RateLimits",
    "RecordedCall",
    "ScriptedUser",
    "Shown",
    "SlackError",
    "SlackSandbox",
    "SocketSettings",
    "Submission",
    "Tier",
    "User",
    "View",
    "Violation",
]
