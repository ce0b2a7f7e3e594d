"""A local Discord for tests and dry runs: REST + gateway on loopback that the real discord.py talks to.

Point a bot at it::

    import discord, yarl
    from discord_sandbox import Sandbox, SandboxLimits

    sb = Sandbox(limits=SandboxLimits(rate_limits=True))
    await sb.start()
    guild = sb.add_guild("DTU 02501")
    channel = guild.add_text_channel("reading-group")
    student = guild.add_member("Student 01")
    discord.http.Route.BASE = sb.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sb.gateway_url)
    # bot = commands.Bot(..., chunk_guilds_at_startup=False); asyncio.create_task(bot.start(sb.token))
    await sb.wait_ready()
    it = await sb.run_command(student, "session start", channel=channel, options={"minutes": 5})
    assert "started" in it.text

Restore ``Route.BASE`` and ``DEFAULT_GATEWAY`` afterwards (see ``tests/sandbox/conftest.py``).
"""

from .errors import ApiError
from .interactions import InteractionResult
from .permissions import DEFAULT_BOT, DEFAULT_EVERYONE, Perm
from .server import RecordedRequest, Sandbox, SandboxLimits, Stats
from .state import Attachment, Channel, Guild, Member, Message, Role, Thread, User
from .users import CommandError

__all__ = [
    "DEFAULT_BOT",
    "DEFAULT_EVERYONE",
    "ApiError",
    "Attachment",
    "Channel",
    "CommandError",
    "Guild",
    "InteractionResult",
    "Member",
    "Message",
    "Perm",
    "RecordedRequest",
    "Role",
    "Sandbox",
    "SandboxLimits",
    "Stats",
    "Thread",
    "User",
]
