"""Memory: the bot with one guild of 1,000 members, and across repeated rehearsals in one process.

`python -m bench.bench_memory [--members 1000] [--rehearsals 10]`

1. Starts the sandbox with a guild of N members and the real bot as `python -m bot run` in its own
   process; once it is connected and has answered `/conductor status`, reads its resident memory.
2. Runs M rehearsals of the reading-group afternoon (500x, 22 students) one after the other in this
   process and prints the resident memory after each, to show whether it grows. `--trace` also shows
   what grew between the third rehearsal and the last (tracemalloc, live objects by type); tracing
   slows Python down, so pass `--speed 150` with it or the rehearsals fall behind their clock.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
import tempfile
import tracemalloc
from collections import Counter
from pathlib import Path

from bot.rehearse import Options, Rehearsal
from discord_sandbox import Sandbox, SandboxLimits

ROOT = Path(__file__).resolve().parents[1]


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process in MB (VmRSS)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def guild_memory(members: int) -> float:
    """The bot process's resident memory once connected to a guild of `members` members."""
    sb = Sandbox(limits=SandboxLimits())
    await sb.start()
    guild = sb.add_guild("Big course")
    instructor = guild.add_role("Instructor")
    student = guild.add_role("Student")
    channel = guild.add_text_channel("reading-group")
    teacher = guild.add_member("Teacher", username="teacher", roles=[instructor])
    for i in range(members - 1):
        guild.add_member(f"Student {i:04d}", username=f"s{i:04d}", roles=[student])
    workdir = Path(tempfile.mkdtemp(prefix="conductor-mem-"))
    env = sb.bot_env(f"sqlite+aiosqlite:///{workdir / 'mem.db'}", ROOT / "config.toml", "WARNING")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=str(ROOT), stdout=asyncio.subprocess.DEVNULL
    )
    try:
        await sb.wait_for(lambda: any(c["name"] == "session" for c in sb.commands()), timeout=60)
        await sb.wait_ready(timeout=60)
        answer = await sb.run_command(teacher, "conductor status", channel=channel, options={})
        assert "Conductor status" in answer.text, answer.text
        return rss_mb(proc.pid)
    finally:
        proc.terminate()
        await proc.wait()
        await sb.close()


async def rehearsal_memory(count: int, trace: bool = False, speed: float = 500) -> list[float]:
    """This process's resident memory after each of `count` rehearsals.

    With `trace`, Python's allocations are traced (tracemalloc, slower) and what grew most between the
    third rehearsal and the last is printed, by the line that allocated it, with the live objects
    (by type) that grew most.
    """
    logging.getLogger("discord").setLevel(logging.ERROR)
    if trace:
        tracemalloc.start(1)  # one frame: deeper tracing slows the 500x rehearsal past its deadlines
    baseline: tracemalloc.Snapshot | None = None
    census: Counter[str] = Counter()
    out = []
    for seed in range(count):
        rehearsal = Rehearsal(
            Options(
                config=ROOT / "config.toml",
                plan="reading-group",
                speed=speed,
                students=22,
                seed=seed,
                echo=lambda line: None,
            )
        )
        report = await rehearsal.run()
        if report.problems or not report.phases:
            raise SystemExit(f"rehearsal {seed} went wrong: {report.summary()}")
        del rehearsal, report
        gc.collect()
        out.append(rss_mb())
        if trace and seed == min(2, count - 1):
            baseline = tracemalloc.take_snapshot()
            census = object_census()
    if baseline is not None:
        print_growth(baseline, tracemalloc.take_snapshot(), count - min(2, count - 1))
        grown = object_census()
        grown.subtract(census)
        print("live objects that grew most, by type:")
        for name, n in grown.most_common(12):
            print(f"  {n:+7d} {name}")
    return out


def object_census() -> Counter[str]:
    """How many objects the garbage collector tracks, by type (module.qualname)."""
    gc.collect()
    return Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())


def print_growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, rehearsals: int) -> None:
    """The allocations that grew most between two snapshots, by line and by the project's caller."""
    keep = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib*")]
    before, after = before.filter_traces(keep), after.filter_traces(keep)
    total = sum(s.size_diff for s in after.compare_to(before, "filename"))
    print(
        f"Python allocations grew {total / 1024:+.0f} kB over the last {rehearsals} rehearsals; most by line:"
    )
    for stat in after.compare_to(before, "lineno")[:12]:
        print(f"  {stat.size_diff / 1024:+8.1f} kB {stat.count_diff:+7d} blocks  {stat.traceback[0]}")


async def main(members: int, rehearsals: int, trace: bool = False, speed: float = 500) -> None:
    """Run both measurements and print them."""
    mem = await guild_memory(members)
    print(f"bot RSS with one guild of {members} members, connected and answering: {mem:.1f} MB")
    after = await rehearsal_memory(rehearsals, trace, speed)
    print("RSS after each rehearsal (MB): " + ", ".join(f"{m:.0f}" for m in after))
    if len(after) > 2:
        print(f"growth from rehearsal 2 to {len(after)}: {after[-1] - after[1]:+.1f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rehearsals", type=int, default=10)
    parser.add_argument(
        "--trace",
        action="store_true",
        help="trace allocations: what grew from rehearsal 3 to the last (slower)",
    )
    parser.add_argument(
        "--speed", type=float, default=500, help="the rehearsals' speed (slower keeps up while tracing: 150)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.members, args.rehearsals, args.trace, args.speed))
