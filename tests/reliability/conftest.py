"""Shared pieces of the reliability suite: the e2e sandbox fixtures, a killable bot process, checks."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bot.settings import Settings
from discord_sandbox import Channel, Member, Message, Sandbox
from tests.e2e import conftest as e2e
from tests.e2e.conftest import BotProcess

# The e2e fixtures, for this package too: the sandbox (its requests checked against Discord's OpenAPI
# description afterwards) and its limits. (tests/conftest.py restores discord.py's endpoints.)
sandbox = e2e.sandbox
limits = e2e.limits


class LoggedBotProcess(BotProcess):
    """`python -m bot run` whose output goes to a file (a pipe nobody reads could fill up and block it)."""

    def __init__(self, sb: Sandbox, settings: Settings, log_path: Path) -> None:
        super().__init__(sb, settings)
        self.log_path = log_path
        self._file: Any = None

    async def start(self) -> None:
        """Start the process and wait until it has identified on the gateway (start-up work is done)."""
        sb = self.sandbox
        before = sb.gateway.identifies
        self._file = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=self.env(),
            cwd=str(e2e.ROOT),
            stdout=self._file,
            stderr=self._file,
        )
        await sb.wait_for(
            lambda: (sb.gateway.identifies > before and sb._live()) or self.proc.returncode is not None,  # type: ignore[union-attr]
            timeout=60,
            what="the bot process to connect",
        )
        assert self.proc.returncode is None, self.log_path.read_text()[-3000:]

    async def kill(self) -> bytes:
        """SIGKILL: no clean-up of any kind."""
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()
        self._file.close()
        return b""

    async def terminate(self) -> bytes:
        """SIGTERM, then wait."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.terminate()
        await self.proc.wait()
        self._file.close()
        return b""


def first_version(m: Message) -> dict[str, Any]:
    """A bot message as it was first sent (before any edit)."""
    if m.edits:
        return dict(m.edits[0])
    return {"content": m.content, "embeds": m.embeds}


def first_title(m: Message) -> str:
    """The embed title of a message as first sent ("" without an embed)."""
    embeds = first_version(m).get("embeds") or []
    return embeds[0].get("title", "") if embeds else ""


def bot_posts(sb: Sandbox, channel: Channel) -> list[Message]:
    """Everything the bot posted in a channel (ephemeral answers are not channel messages)."""
    return [m for m in channel.messages if m.author_id == sb.bot_user.id and not m.deleted]


def duplicates(posts: list[Message]) -> list[str]:
    """Posts that appear more than once: same nonce, or the same content and embeds as first sent."""
    nonces = Counter(m.nonce for m in posts if m.nonce is not None)
    bodies = Counter(
        json.dumps([first_version(m).get("content"), first_version(m).get("embeds")], sort_keys=True)
        for m in posts
    )
    return [f"nonce {n} x{c}" for n, c in nonces.items() if c > 1] + [
        f"{b[:160]} x{c}" for b, c in bodies.items() if c > 1
    ]


def outbox_statuses(db: Path) -> Counter[str]:
    """How many outbox posts are in each status (read straight from the SQLite file)."""
    with sqlite3.connect(db) as conn:
        return Counter(dict(conn.execute("select status, count(*) from posts group by status").fetchall()))


config_path = e2e.config_path
classroom = e2e.classroom


def cards(sb: Sandbox, member: Member) -> list[Message]:
    """Role cards DMed to a student."""
    return [m for m in sb.dms(member) if m.embeds and "Your role" in m.embeds[0].get("title", "")]


def fallbacks(sb: Sandbox, member: Member) -> list[Message]:
    """ "Show my role" pings for a student in any thread."""
    return [
        m
        for t in sb.guilds[0].threads
        for m in t.messages
        if f"<@{member.id}>" in (m.content or "") and any(label == "Show my role" for label, _ in m.buttons)
    ]


def assert_each_phase_said_once(posts: list[Message], phases: list[str], db: Path) -> None:
    """Every phase announced or summarised exactly once, in order; the end once; nothing doubled or stuck."""
    announced = [t for t in map(first_title, posts) if t.startswith("Now:")]
    summarised = [
        f"Now: {name}"
        for m in posts
        for line in (m.content or "").splitlines()
        if line.startswith("Also over: ")
        for name in line.removeprefix("Also over: ").rstrip(".").split(", ")
    ]
    assert sorted(announced + summarised) == sorted(phases), (announced, summarised)
    assert announced == [p for p in phases if p in announced]
    assert sum("end of the session" in (m.content or "") for m in posts) == 1
    assert duplicates(posts) == []
    statuses = outbox_statuses(db)
    assert statuses["pending"] == 0 and statuses["failed"] == 0, statuses
