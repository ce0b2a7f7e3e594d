"""Many sessions across several bot processes on one database: `python -m bench.bench_shards`.

Starts the local Discord sandbox in this process (four guilds, one per shard; rate limits off by
default, since one bot token's 50 requests/second would otherwise be all that is measured), a
throwaway PostgreSQL server (tests/pg.py) unless `--database-url` names one, and `--processes` bot
processes (`python -m bot run --shards ... --shard-count 4`; with 1, an unsharded process). An
instructor starts a compressed plan in every one of `--sessions` channels (spread over the four
guilds), and for every phase post the benchmark measures how long after the phase's scheduled start
the sandbox received it. Also reports each process's CPU time and peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bench.bench_sessions import percentile, proc_stats
from bot.storage.db import Database
from bot.storage.models import SessionRow
from discord_sandbox import Sandbox, SandboxLimits

ROOT = Path(__file__).resolve().parents[1]
SHARDS = 4
PHASES = (
    "\n".join(
        f'[[phases]]\nkey = "shard-{k}"\nname = "Shard phase {k.upper()}"\nseconds = 20\ntext = "{k}"\n'
        for k in "abc"
    )
    + '[plans.bench]\nphases = ["shard-a", "shard-b", "shard-c"]\n'
)


async def main(
    sessions: int, processes: int, database_url: str | None, rate_limits: bool, stagger: float
) -> None:
    """Run the benchmark and print a table."""
    server = None
    workdir = Path(tempfile.mkdtemp(prefix="conductor-bench-shards-"))
    if database_url is None:
        from tests.pg import PostgresServer, find_bindir

        bindir = find_bindir()
        if bindir is None:
            raise SystemExit("no PostgreSQL binaries: install postgresql or pass --database-url")
        server = PostgresServer(bindir)
        server.start()
        database_url = await server.create_database("bench")
    config = workdir / "config.toml"
    config.write_text(
        (ROOT / "config.toml").read_text().replace("warning_seconds = [120]", "warning_seconds = [2]")
        + PHASES
    )
    sb = Sandbox(limits=SandboxLimits(rate_limits=rate_limits))
    sb.shard_count = SHARDS if processes > 1 else 1
    await sb.start()
    teachers, channels = [], []
    for shard in range(SHARDS):
        guild = sb.add_guild(f"Course {shard}", shard=shard if processes > 1 else None)
        instructor = guild.add_role("Instructor")
        guild.add_role("Student")
        teachers.append(guild.add_member(f"Teacher {shard}", username=f"teacher{shard}", roles=[instructor]))
    guilds = sb.guilds
    for i in range(sessions):
        channels.append((i % SHARDS, guilds[i % SHARDS].add_text_channel(f"class-{i:03d}")))
    env = sb.bot_env(database_url, config, "WARNING")
    procs = []
    per = SHARDS // processes if processes > 1 else 0
    for p in range(processes):
        args = ["--shards", ",".join(str(s) for s in range(p * per, (p + 1) * per))] if per else []
        args += ["--shard-count", str(SHARDS)] if per else []
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                *args,
                env=env,
                cwd=str(ROOT),
                stdout=asyncio.subprocess.DEVNULL,
            )
        )
    try:
        await sb.wait_for(lambda: any(c["name"] == "session" for c in sb.commands()), timeout=120)
        await sb.wait_ready(timeout=120)
        answer_times: list[float] = []
        ended: set[int] = set()
        sb.message_listeners.append(
            lambda kind, m, ch: ended.add(ch.id) if "end of the session" in (m.content or "") else None
        )

        async def start(index: int, shard: int, channel: object) -> None:
            await asyncio.sleep(index * stagger)  # classes do not begin on the same millisecond
            began = time.perf_counter()
            await sb.run_command(teachers[shard], "session start", channel=channel, options={"plan": "bench"})
            answer_times.append(time.perf_counter() - began)

        await asyncio.gather(*(start(i, shard, ch) for i, (shard, ch) in enumerate(channels)))
        bot_id = sb.bot_user.id

        def done() -> bool:  # cheap: a scan of 500 channels on every request would slow the sandbox
            return len(ended) == len(channels)

        await sb.wait_for(done, timeout=300, what="every session to end")
        stats = [proc_stats(p.pid) for p in procs]
    finally:
        for p in procs:
            p.terminate()
        await asyncio.gather(*(p.wait() for p in procs))
        await sb.close()

    db = Database(database_url)
    async with db.session() as s:
        rows = {row.channel_id: row for row in await s.scalars(select(SessionRow))}
    await db.close()
    if server is not None:
        server.stop()
    lateness: list[float] = []
    missing: list[str] = []
    timed: list[float] = []  # transitions fired by the timer (the first phase starts with the command)
    for _, ch in channels:
        row = rows[ch.id]
        at = row.started_at
        first_titles = {
            m.id: ((m.edits[0]["embeds"] if m.edits else m.embeds) or [{}])[0].get("title", "")
            for m in ch.messages
            if m.author_id == bot_id
        }
        for index, entry in enumerate(row.entries):
            post = next((m for m in ch.messages if first_titles.get(m.id) == f"Now: {entry['name']}"), None)
            if post is None:  # never announced (summarised as "Already over"): counted, not measured
                missing.append(f"{ch.name}: {entry['name']} ({list(first_titles.values())})")
                at += timedelta(milliseconds=entry["planned_ms"])
                continue
            lateness.append((datetime.fromisoformat(post.timestamp) - at).total_seconds() * 1000)
            if index > 0:
                timed.append(lateness[-1])
            at += timedelta(milliseconds=entry["planned_ms"])
    backend = database_url.split(":", 1)[0].split("+", 1)[0]
    print(
        f"{sessions} sessions x 3 phases of 20 s over {processes} process(es), {backend}, starts {stagger:g} s "
        f"apart, rate limits {'on' if rate_limits else 'off'} ({len(lateness)} phase posts)"
    )
    if missing:
        print(f"{len(missing)} phase(s) not announced, e.g. {missing[:3]}")
    print("| metric | value |\n| --- | --- |")
    print(f"| phase-post lateness median | {statistics.median(lateness):.0f} ms |")
    print(f"| phase-post lateness p99 | {percentile(lateness, 99):.0f} ms |")
    print(f"| phase-post lateness max | {max(lateness):.0f} ms |")
    print(
        f"| timer-fired transitions only: median / p99 | {statistics.median(timed):.0f} / "
        f"{percentile(timed, 99):.0f} ms |"
    )
    print(f"| /session start answer, median | {statistics.median(answer_times) * 1000:.0f} ms |")
    for i, (cpu, peak_kb) in enumerate(stats):
        print(f"| process {i + 1}: CPU time / peak memory (VmHWM) | {cpu:.1f} s / {peak_kb / 1024:.0f} MB |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--processes", type=int, default=2, choices=[1, 2, 4])
    parser.add_argument("--database-url", default=None, help="default: a throwaway PostgreSQL server")
    parser.add_argument("--rate-limits", action="store_true", help="turn the sandbox's rate limits on")
    parser.add_argument("--stagger", type=float, default=0.1, help="seconds between two sessions' starts")
    args = parser.parse_args()
    asyncio.run(main(args.sessions, args.processes, args.database_url, args.rate_limits, args.stagger))
