"""Many sessions across one or several bot processes on one database: `python -m bench.bench_shards`.

Starts the local Discord sandbox in this process (four guilds, one per shard; rate limits off by
default, since one bot token's 50 requests/second would otherwise be all that is measured: the bots
are then told they have no limit to keep, `DISCORD_GLOBAL_PER_SECOND`), a throwaway PostgreSQL server
(tests/pg.py) unless `--database-url` names a database (`sqlite`: a fresh SQLite file), and
`--processes` bot processes (`python -m bot run --shards ... --shard-count 4`; with 1, an unsharded
process). An instructor starts a compressed plan in every one of `--sessions` channels
(spread over the four guilds), `--stagger` seconds apart, and for every phase post the benchmark
measures how long after the phase's scheduled start the sandbox received it. Also reports each
process's CPU time and peak memory.

`--at-once` schedules every session to begin at the same clock minute (`/session start at:`), so all
of them change phase at the same instants: with `--rate-limits`, the 50 requests/second global limit
then sets a floor of sessions/50 seconds for each transition's posts, and the benchmark reports the
last post against it and whether the earliest-started sessions wait longer than the latest. (No
warnings then: the default 120 s warning is longer than the phases, and a warning shortly before
each end would be another burst of sessions' posts just before the transition.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bench.bench_sessions import percentile, proc_stats
from bot.storage.db import Database
from bot.storage.models import SessionRow
from discord_sandbox import Channel, Sandbox, SandboxLimits

ROOT = Path(__file__).resolve().parents[1]
SHARDS = 4
ZONE = ZoneInfo("Europe/Copenhagen")  # config.toml's course time zone, in which `at:` is read
END = "end of the session"  # the words of the last post, the session's end (bot/rendering/session.py)


def phases(seconds: int) -> str:
    """Three phases of `seconds` each, as a plan named `bench`."""
    return (
        "\n".join(
            f'[[phases]]\nkey = "shard-{k}"\nname = "Shard phase {k.upper()}"\nseconds = {seconds}\ntext = "{k}"\n'
            for k in "abc"
        )
        + '[plans.bench]\nphases = ["shard-a", "shard-b", "shard-c"]\n'
    )


def next_minute(after: datetime) -> datetime:
    """The first whole minute at or after `after`."""
    whole = after.replace(second=0, microsecond=0)
    return whole if whole == after else whole + timedelta(minutes=1)


@dataclass(frozen=True)
class Post:
    """One transition's post: which session (by start order), which transition, how late (ms)."""

    order: int
    transition: int  # 0..2 the phases, 3 the end
    late_ms: float
    timed: bool  # fired by the session's timer (not posted by the `/session start` command itself)


def measure(
    channels: list[Channel], rows: dict[int, SessionRow], bot_id: int, at_once: bool
) -> tuple[list[Post], list[str]]:
    """Every transition's post, and the transitions never announced (summarised as "Already over")."""
    posts: list[Post] = []
    missing: list[str] = []
    for order, ch in enumerate(channels):
        row = rows[ch.id]
        first: dict[int, dict[str, Any]] = {  # each bot message as first posted (edits mark it over)
            m.id: (m.edits[0] if m.edits else {"content": m.content, "embeds": m.embeds})
            for m in ch.messages
            if m.author_id == bot_id
        }
        at = row.started_at
        wanted = [f"Now: {entry['name']}" for entry in row.entries] + [END]
        for index, title in enumerate(wanted):
            post = next(
                (
                    m
                    for m in ch.messages
                    if m.id in first
                    and (
                        title in (first[m.id].get("content") or "")
                        if title == END
                        else ((first[m.id].get("embeds") or [{}])[0].get("title") == title)
                    )
                ),
                None,
            )
            if post is None:
                missing.append(f"{ch.name}: {title}")
            else:
                late = (datetime.fromisoformat(post.timestamp) - at).total_seconds() * 1000
                posts.append(Post(order, index, late, at_once or index > 0))
            if index < len(row.entries):
                at += timedelta(milliseconds=row.entries[index]["planned_ms"])
    return posts, missing


def report_at_once(posts: list[Post], sessions: int, per_second: int) -> None:
    """Each simultaneous transition's last post against the rate limit's floor, and fairness by start order."""
    floor = sessions / per_second
    tenth = max(1, sessions // 10)
    print(f"| rate-limit floor for {sessions} posts at {per_second}/s | {floor:.1f} s |")
    for transition in sorted({p.transition for p in posts}):
        late = [p for p in posts if p.transition == transition]
        last = max(p.late_ms for p in late) / 1000
        name = "the end" if transition == 3 else f"phase {'ABC'[transition]}"
        early = [p.late_ms for p in late if p.order < tenth]
        final = [p.late_ms for p in late if p.order >= sessions - tenth]
        print(
            f"| {name}: last post after the instant / floor | {last:.1f} s / {floor:.1f} s = "
            f"{last / floor:.2f}x ({len(late)} posts) |"
        )
        print(
            f"| {name}: first-started 10% median / max, last-started 10% median / max | "
            f"{statistics.median(early) / 1000:.1f} / {max(early) / 1000:.1f} s, "
            f"{statistics.median(final) / 1000:.1f} / {max(final) / 1000:.1f} s |"
        )


async def main(
    sessions: int,
    processes: int,
    database_url: str | None,
    rate_limits: bool,
    stagger: float,
    at_once: bool,
    phase_seconds: int,
    profile: str | None = None,
) -> None:
    """Run the benchmark and print a table."""
    server = None
    workdir = Path(tempfile.mkdtemp(prefix="conductor-bench-shards-"))
    if database_url == "sqlite":
        database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    if database_url is None:
        from tests.pg import PostgresServer, find_bindir

        bindir = find_bindir()
        if bindir is None:
            raise SystemExit("no PostgreSQL binaries: install postgresql or pass --database-url")
        server = PostgresServer(bindir)
        server.start()
        database_url = await server.create_database("bench")
    config = workdir / "config.toml"
    base = (ROOT / "config.toml").read_text()
    if not at_once:  # a warning 2 s before each end; at once, the transitions' posts are measured alone
        base = base.replace("warning_seconds = [120]", "warning_seconds = [2]")
    config.write_text(base + phases(phase_seconds))
    limits = SandboxLimits(rate_limits=rate_limits)
    sb = Sandbox(limits=limits)
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
    env = sb.bot_env(database_url, config, os.environ.get("BENCH_LOG_LEVEL", "WARNING"))
    if not rate_limits:  # a Discord without limits: the bot need not keep to the 50/s it would otherwise
        env["DISCORD_GLOBAL_PER_SECOND"] = "100000"
    procs = []
    per = SHARDS // processes if processes > 1 else 0
    for p in range(processes):
        args = ["--shards", ",".join(str(s) for s in range(p * per, (p + 1) * per))] if per else []
        args += ["--shard-count", str(SHARDS)] if per else []
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                *(["-m", "bench.sampler", f"{profile}.{p + 1}"] if profile else []),
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
            lambda kind, m, ch: ended.add(ch.id) if END in (m.content or "") else None
        )
        options = {"plan": "bench"}
        if at_once:  # every session begins at one clock minute, after all the starts (and their posts)
            begin = next_minute(datetime.now(ZONE) + timedelta(seconds=sessions * stagger + 30))
            options["at"] = begin.strftime("%Y-%m-%d %H:%M")
            print(f"every session begins at {begin:%H:%M:%S} ({options['at']}, {ZONE.key})")

        async def start(index: int, shard: int, channel: Channel) -> None:
            await asyncio.sleep(index * stagger)  # classes do not begin on the same millisecond
            began = time.perf_counter()
            await sb.run_command(teachers[shard], "session start", channel=channel, options=options)
            answer_times.append(time.perf_counter() - began)

        await asyncio.gather(*(start(i, shard, ch) for i, (shard, ch) in enumerate(channels)))
        if at_once and datetime.now(ZONE) >= begin:
            raise SystemExit(f"the starts took past {begin:%H:%M}: use a smaller --stagger")
        bot_id = sb.bot_user.id

        def done() -> bool:  # cheap: a scan of 500 channels on every request would slow the sandbox
            return len(ended) == len(channels)

        await sb.wait_for(done, timeout=300 + 4 * phase_seconds, what="every session to end")
        stats = [proc_stats(p.pid) for p in procs]
    finally:
        for proc in procs:
            proc.terminate()
        await asyncio.gather(*(proc.wait() for proc in procs))
        await sb.close()

    db = Database(database_url)
    async with db.session() as s:
        rows = {row.channel_id: row for row in await s.scalars(select(SessionRow))}
    await db.close()
    if server is not None:
        server.stop()
    posts, missing = measure([ch for _, ch in channels], rows, bot_id, at_once)
    phase_posts = [p.late_ms for p in posts if p.transition < 3]
    timed = [p.late_ms for p in posts if p.timed and p.transition < 3]
    backend = database_url.split(":", 1)[0].split("+", 1)[0]
    when = "all beginning at the same instant" if at_once else f"starts {stagger:g} s apart"
    print(
        f"{sessions} sessions x 3 phases of {phase_seconds} s over {processes} process(es), {backend}, {when}, "
        f"rate limits {'on' if rate_limits else 'off'} ({len(phase_posts)} phase posts)"
    )
    if missing:
        print(f"{len(missing)} phase(s) not announced, e.g. {missing[:3]}")
    print("| metric | value |\n| --- | --- |")
    print(f"| phase-post lateness median | {statistics.median(phase_posts):.0f} ms |")
    print(f"| phase-post lateness p99 | {percentile(phase_posts, 99):.0f} ms |")
    print(f"| phase-post lateness max | {max(phase_posts):.0f} ms |")
    print(
        f"| timer-fired transitions only: median / p99 | {statistics.median(timed):.0f} / "
        f"{percentile(timed, 99):.0f} ms |"
    )
    if at_once:
        report_at_once(posts, sessions, limits.global_per_second)
    print(f"| /session start answer, median | {statistics.median(answer_times) * 1000:.0f} ms |")
    print(f"| requests answered 429 | {sb.stats.rate_limited} of {sb.stats.requests} |")
    for i, (cpu, peak_kb) in enumerate(stats):
        print(f"| process {i + 1}: CPU time / peak memory (VmHWM) | {cpu:.1f} s / {peak_kb / 1024:.0f} MB |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--processes", type=int, default=2, choices=[1, 2, 4])
    parser.add_argument(
        "--database-url", default=None, help="default: a throwaway PostgreSQL server; `sqlite`: a fresh file"
    )
    parser.add_argument("--rate-limits", action="store_true", help="turn the sandbox's rate limits on")
    parser.add_argument("--stagger", type=float, default=0.1, help="seconds between two sessions' starts")
    parser.add_argument(
        "--at-once",
        action="store_true",
        help="every session begins at the same minute (starts still staggered)",
    )
    parser.add_argument("--phase-seconds", type=int, default=20, help="each of the three phases' length")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run each bot under cProfile, its stats in FILE.1, FILE.2... (slower)",
    )
    args = parser.parse_args()
    asyncio.run(
        main(
            args.sessions,
            args.processes,
            args.database_url,
            args.rate_limits,
            args.stagger,
            args.at_once,
            args.phase_seconds,
            args.profile,
        )
    )
