"""Two bot processes (two of four shards each) on one PostgreSQL database, sessions in four guilds.

One process is killed with SIGKILL in the middle of a phase and restarted. Every phase of every session
is announced exactly once (or, if it came and went while its process was down, summarised once), the
end once; the other process's guilds go on without a late start; commands are synced once.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.storage.db import Database
from bot.storage.models import PostRow
from discord_sandbox import Channel, Guild, Member, Message, Sandbox
from tests.e2e.conftest import ROOT, write_config
from tests.pg import PostgresServer

from .conftest import bot_posts, duplicates, first_title, first_version

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SHARDS = 4
PROCESSES = {"A": "0,1", "B": "2,3"}
NAMES = ["Block A", "Block B", "Block C", "Block D", "Block E"]
KEYS = ", ".join(f'"s{i}"' for i in range(len(NAMES)))
PLAN = (
    "\n".join(
        f'[[phases]]\nkey = "s{i}"\nname = "{name}"\nseconds = 3\naudience = "class"\ntext = "Work on {name}."\n'
        for i, name in enumerate(NAMES)
    )
    + f"[plans.shards]\nphases = [{KEYS}]\n"
)


class ShardProcess:
    """`python -m bot run --shards IDS --shard-count 4`, its output in a file; killable with SIGKILL."""

    def __init__(self, sb: Sandbox, env: dict[str, str], shards: str, log: Path) -> None:
        self.sb, self.env, self.log = sb, env, log
        self.shards = [int(i) for i in shards.split(",")]
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start it and wait until each of its shards has identified (its start-up work is done)."""
        before = {i: self.sb.shard_gateway(i).identifies for i in self.shards}
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--shards",
                ",".join(map(str, self.shards)),
                "--shard-count",
                str(SHARDS),
                env=self.env,
                cwd=str(ROOT),
                stdout=out,
                stderr=out,
            )

        def connected() -> bool:
            return all(
                self.sb.shard_gateway(i).identifies > before[i] and self.sb._live(shard=i)
                for i in self.shards
            )

        await self.sb.wait_for(
            lambda: connected() or self.proc.returncode is not None,  # type: ignore[union-attr]
            timeout=60,
            what=f"shards {self.shards} to connect",
        )
        assert self.proc.returncode is None, self.log.read_text()[-3000:]

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()

    async def terminate(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()


def course_guild(sb: Sandbox, shard: int) -> tuple[Guild, Channel, Member]:
    """A course server on that shard: roles, the class channel, an instructor and three students."""
    guild = sb.add_guild(f"Course on shard {shard}", shard=shard)
    instructor = guild.add_role("Instructor")
    student = guild.add_role("Student")
    channel = guild.add_text_channel("reading-group")
    teacher = guild.add_member(f"Teacher {shard}", username=f"teacher-{shard}", roles=[instructor])
    for n in range(3):
        guild.add_member(f"Student {shard}{n}", username=f"student-{shard}-{n}", roles=[student])
    return guild, channel, teacher


def phases_of(posts: list[Message]) -> tuple[list[str], list[str], int]:
    """Phases announced, phases summarised as over, and how many announcements started late."""
    announced, summarised, late = [], [], 0
    for m in posts:
        title = first_title(m)
        if title.startswith("Now: "):
            announced.append(title.removeprefix("Now: "))
        for embed in first_version(m).get("embeds") or []:
            for f in embed.get("fields", []):
                if f["name"] == "Already over":
                    summarised += f["value"].split(", ")
                late += f["name"] == "Started late"
        for line in (first_version(m).get("content") or "").splitlines():
            if line.startswith("Also over: "):
                summarised += line.removeprefix("Also over: ").rstrip(".").split(", ")
    return announced, summarised, late


async def test_two_processes_share_four_guilds_and_a_sigkill_loses_and_repeats_nothing(
    sandbox: Sandbox, tmp_path: Path, pg_server: PostgresServer
) -> None:
    sb = sandbox
    sb.shard_count = SHARDS
    rooms = [course_guild(sb, shard) for shard in range(SHARDS)]
    assert [sb.shard_of(g.id) for g, _, _ in rooms] == list(range(SHARDS))
    config = write_config(tmp_path, PLAN, warning_seconds="warning_seconds = [1]\n# ")
    url = await pg_server.create_database()
    env = sb.bot_env(url, config)
    procs = {
        name: ShardProcess(sb, env, ids, tmp_path / f"bot-{name}.log") for name, ids in PROCESSES.items()
    }
    try:
        await asyncio.gather(*(p.start() for p in procs.values()))  # both migrate the empty database at once
        await sb.wait_for(lambda: any(c["name"] == "session" for c in sb.commands()), timeout=30)
        for _guild, channel, teacher in rooms:
            started = await sb.run_command(
                teacher, "session start", channel=channel, options={"plan": "shards"}
            )
            await started.wait_followup(timeout=10)
            assert "Started **shards**" in started.text

        def announced(channel: Channel, name: str) -> bool:
            return any(first_title(m) == f"Now: {name}" for m in bot_posts(sb, channel))

        # Mid-phase of "Block B" everywhere: process B (guilds on shards 2 and 3) is killed, no clean-up.
        await sb.wait_for(lambda: all(announced(c, NAMES[1]) for _, c, _ in rooms), timeout=20)
        await procs["B"].kill()
        # While B is down, A's guilds move on to the next phase, on time.
        await sb.wait_for(lambda: all(announced(c, NAMES[2]) for _, c, _ in rooms[:2]), timeout=20)
        await asyncio.sleep(1.5)  # B stays down past a transition of its own guilds
        await procs["B"].start()

        def over(channel: Channel) -> bool:
            posts = bot_posts(sb, channel)
            ended = any("end of the session" in (m.content or "") for m in posts)
            return ended and not any((m.embeds or [{}])[0].get("title", "").startswith("Now:") for m in posts)

        await sb.wait_for(lambda: all(over(c) for _, c, _ in rooms), timeout=60, what="every session over")
        db = Database(url)
        try:
            # The last edits' rounds have written their outcome (deliveries record once sent).
            async def statuses() -> Counter[str]:
                async with db.session() as s:
                    rows = await s.execute(select(PostRow.status, func.count()).group_by(PostRow.status))
                    return Counter(dict(rows.all()))

            for _ in range(50):
                counts = await statuses()
                if counts["pending"] == 0:
                    break
                await asyncio.sleep(0.1)
        finally:
            await db.close()
    finally:
        await asyncio.gather(*(p.terminate() for p in procs.values()))

    logs = " ".join(str(p.log) for p in procs.values())
    syncs = [r for r in sb.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert len(syncs) == 1, f"commands synced {len(syncs)} times; {logs}"
    for shard, (_guild, channel, _) in enumerate(rooms):
        posts = bot_posts(sb, channel)
        said, summarised, late = phases_of(posts)
        where = f"guild on shard {shard}: announced {said}, summarised {summarised}; {logs}"
        assert sorted(said + summarised) == sorted(NAMES), where
        assert said == [n for n in NAMES if n in said], where
        assert [first_title(m) for m in posts].count("Run-of-show: shards") == 1, where
        assert sum("end of the session" in (m.content or "") for m in posts) == 1, where
        assert duplicates(posts) == [], where
        if shard in (0, 1):  # the process that stayed up: every phase announced, none late
            assert said == NAMES and late == 0, where
            # ... and only it sent them: no post of its guilds went out twice, even deduplicated by nonce.
            sends = Counter(
                (r.json or {}).get("nonce")
                for r in sb.requests
                if r.method == "POST" and r.path == f"/channels/{channel.id}/messages"
            )
            assert [n for n, c in sends.items() if c > 1] == [], where
    assert counts["pending"] == 0 and counts["failed"] == 0, counts
