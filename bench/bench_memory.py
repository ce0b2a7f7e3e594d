"""Memory: the bot with one guild of 1,000 members, and across repeated rehearsals in one process.

`python -m bench.bench_memory [--members 1000] [--rehearsals 10]`

1. Starts the sandbox with a guild of N members and the real bot as `python -m bot run` in its own
   process; once it is connected and has answered `/conductor status`, reads its resident memory.
2. Runs M rehearsals of the reading-group afternoon (500x, 22 students) one after the other in this
   process and prints the resident memory after each, to show whether it grows.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
import tempfile
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


async def rehearsal_memory(count: int) -> list[float]:
    """This process's resident memory after each of `count` rehearsals."""
    logging.getLogger("discord").setLevel(logging.ERROR)
    out = []
    for seed in range(count):
        rehearsal = Rehearsal(
            Options(
                config=ROOT / "config.toml",
                plan="reading-group",
                speed=500,
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
    return out


async def main(members: int, rehearsals: int) -> None:
    """Run both measurements and print them."""
    mem = await guild_memory(members)
    print(f"bot RSS with one guild of {members} members, connected and answering: {mem:.0f} MB")
    after = await rehearsal_memory(rehearsals)
    print("RSS after each rehearsal (MB): " + ", ".join(f"{m:.0f}" for m in after))
    if len(after) > 2:
        print(f"growth from rehearsal 2 to {len(after)}: {after[-1] - after[1]:+.1f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rehearsals", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.members, args.rehearsals))
