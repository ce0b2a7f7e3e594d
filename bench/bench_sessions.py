"""How late phase posts arrive with many sessions at once: `python -m bench.bench_sessions [--sessions 50]`.

Starts the local Discord sandbox (rate limits on) in this process and the real bot as `python -m bot
run` in another, opens one class channel per session, has an instructor start a compressed plan in
each (phases a few seconds long), and measures, for every phase post, how long after the phase's
scheduled start the sandbox received it. Also reports the bot process's CPU time and peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from asyncio.subprocess import Process
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.storage.models import SessionRow
from discord_sandbox import Channel, Member, Sandbox, SandboxLimits

ROOT = Path(__file__).resolve().parents[1]
PHASES = """
[[phases]]
key = "bench-a"
name = "Bench phase A"
seconds = 5
text = "A"

[[phases]]
key = "bench-b"
name = "Bench phase B"
seconds = 5
text = "B"

[[phases]]
key = "bench-c"
name = "Bench phase C"
seconds = 5
text = "C"

[[phases]]
key = "bench-d"
name = "Bench phase D"
seconds = 5
text = "D"

[plans.bench]
phases = ["bench-a", "bench-b", "bench-c", "bench-d"]
"""


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def measured(db_path: Path, received: Callable[[int, str], datetime]) -> tuple[list[float], list[float]]:
    """Each phase post's lateness (ms) in the sessions the bot stored: all of them, and the timer-fired ones.

    `received(channel_id, phase name)` is when the sandbox stored that phase's post in that channel.
    """
    engine = create_engine(f"sqlite:///{db_path}")
    with Session(engine) as s:
        rows = list(s.scalars(select(SessionRow)))
    lateness: list[float] = []
    timed: list[float] = []  # transitions fired by the timer (the first phase starts with the command)
    for row in rows:
        at = row.started_at.replace(tzinfo=UTC)
        for index, entry in enumerate(row.entries):
            late_ms = (received(row.channel_id, entry["name"]) - at).total_seconds() * 1000
            lateness.append(late_ms)
            if index > 0:
                timed.append(late_ms)
            at += timedelta(milliseconds=entry["planned_ms"])
    return lateness, timed


def print_lateness(lateness: list[float], timed: list[float], answer_times: list[float]) -> None:
    """The table's head and its lateness rows (ms): all phase posts, the timer-fired ones, the answers."""
    print("| metric | value |\n| --- | --- |")
    print(f"| phase-post lateness median | {statistics.median(lateness):.0f} ms |")
    print(f"| phase-post lateness p99 | {percentile(lateness, 99):.0f} ms |")
    print(f"| phase-post lateness max | {max(lateness):.0f} ms |")
    print(
        f"| timer-fired transitions only: median / p99 | {statistics.median(timed):.0f} / "
        f"{percentile(timed, 99):.0f} ms |"
    )
    print(f"| /session start answer, median | {statistics.median(answer_times) * 1000:.0f} ms |")


def proc_stats(pid: int) -> tuple[float, int]:
    """CPU seconds used and peak resident memory (kB) of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    peak = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    return cpu, peak


@asynccontextmanager
async def bot_process(*args: str, env: dict[str, str], log: Any = None) -> AsyncIterator[Process]:
    """`python -m bot run ARGS` in its own process (its log to `log`, else dropped); SIGTERM at the end."""
    command = [sys.executable, "-m", "bot", "run", *args]
    dropped = asyncio.subprocess.DEVNULL
    proc = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=str(ROOT), stdout=dropped, stderr=dropped if log is None else log
    )
    try:
        yield proc
    finally:
        proc.terminate()
        await proc.wait()


async def run_sessions(sb: Sandbox, teacher: Member, channels: list[Channel], stagger: float) -> list[float]:
    """The teacher starts the bench plan in each channel (`stagger` s apart) and waits for every end."""
    await sb.wait_for(lambda: any(c["name"] == "session" for c in sb.commands()), timeout=60)
    await sb.wait_ready(timeout=60)
    answer_times = []

    async def start(index: int, channel: Channel) -> None:
        await asyncio.sleep(
            index * stagger
        )  # spread the starts: classes do not begin on the same millisecond
        began = time.perf_counter()
        await sb.run_command(teacher, "session start", channel=channel, options={"plan": "bench"})
        answer_times.append(time.perf_counter() - began)

    await asyncio.gather(*(start(i, ch) for i, ch in enumerate(channels)))
    bot_id = sb.bot_user.id

    def done() -> bool:
        return all(
            any("end of the session" in (m.content or "") for m in ch.messages if m.author_id == bot_id)
            for ch in channels
        )

    await sb.wait_for(done, timeout=120, what="every session to end")
    return answer_times


async def main(sessions: int, rate_limits: bool = True, stagger: float = 0.0) -> None:
    """Run the benchmark and print a table."""
    workdir = Path(tempfile.mkdtemp(prefix="conductor-bench-"))
    config = workdir / "config.toml"
    config.write_text(
        (ROOT / "config.toml").read_text().replace("warning_seconds = [120]", "warning_seconds = [2]")
        + PHASES
    )
    db_path = workdir / "bench.db"
    sb = Sandbox(limits=SandboxLimits(rate_limits=rate_limits))
    await sb.start()
    guild = sb.add_guild("Bench")
    instructor_role = guild.add_role("Instructor")
    guild.add_role("Student")
    teacher = guild.add_member("Teacher", username="teacher", roles=[instructor_role])
    channels = [guild.add_text_channel(f"class-{i:02d}") for i in range(sessions)]
    env = sb.bot_env(f"sqlite+aiosqlite:///{db_path}", config, "WARNING")
    if not rate_limits:  # a Discord without limits: the bot need not keep to the 50/s it would otherwise
        env["DISCORD_GLOBAL_PER_SECOND"] = "100000"
    try:
        async with bot_process(env=env) as proc:
            answer_times = await run_sessions(sb, teacher, channels, stagger)
            cpu, peak_kb = proc_stats(proc.pid)
    finally:
        await sb.close()

    bot_id = sb.bot_user.id
    by_id = {ch.id: ch for ch in channels}

    def received(channel_id: int, name: str) -> datetime:
        """When the sandbox stored the post first titled "Now: <name>" in a channel."""
        post = next(
            m
            for m in by_id[channel_id].messages
            if m.author_id == bot_id
            and ((m.edits[0]["embeds"] if m.edits else m.embeds) or [{}])[0].get("title") == f"Now: {name}"
        )
        return datetime.fromisoformat(post.timestamp)

    lateness, timed = measured(db_path, received)
    limits = "on" if rate_limits else "off"
    print(
        f"{sessions} sessions x 4 phases of 5 s, starts {stagger:g} s apart, rate limits {limits} ({len(lateness)} phase posts)"
    )
    print_lateness(lateness, timed, answer_times)
    print(f"| bot CPU time | {cpu:.1f} s |")
    print(f"| bot peak memory (VmHWM) | {peak_kb / 1024:.0f} MB |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--no-rate-limits", action="store_true", help="turn the sandbox's rate limits off")
    parser.add_argument("--stagger", type=float, default=0.0, help="seconds between two sessions' starts")
    args = parser.parse_args()
    asyncio.run(main(args.sessions, not args.no_rate_limits, args.stagger))
