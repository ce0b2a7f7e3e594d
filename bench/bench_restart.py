"""Restart catch-up after `kill -9`: `python -m bench.bench_restart [--rounds 3]`.

Starts the local Discord sandbox (rate limits on) in this process and the real bot as `python -m bot
run` in another (JSON logs to a file), starts a session whose first phase lasts 2 s, SIGKILLs the bot
in the middle of that phase, waits until the next phase is due (so the transition is missed), restarts
the bot and measures, from the moment the new process is spawned, how long until the sandbox receives
the catch-up post ("Now: ..." of the missed phase). Each round uses a new session in its own channel.

The time is broken down with the bot's own log lines (their timestamps are wall-clock, like the spawn
time and the sandbox's): "Conductor starting" (imports, settings, config, the bot built), "start-up:
logged in" (REST login), "database ready" (migrations checked), "start-up: ... extensions loaded",
"start-up: caught up" (outbox and timers), then the sandbox's receipt of the post. `--importtime`
also prints the slowest imports of `python -m bot run`'s modules (`python -X importtime`).

The bot's own modules are compiled to bytecode first (`compileall`, as an installed package is), so the
runs time starting the bot, not compiling it; `--no-compile` leaves `__pycache__` as it is (with
PYTHONDONTWRITEBYTECODE set, the bot's source is then compiled again at every start: about 0.3 s more).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from discord_sandbox import Sandbox, SandboxLimits

ROOT = Path(__file__).resolve().parents[1]
PHASES = """
[[phases]]
key = "restart-a"
name = "Restart phase A"
seconds = 2
text = "A"

[[phases]]
key = "restart-b"
name = "Restart phase B"
seconds = 600
text = "B"

[plans.restart]
phases = ["restart-a", "restart-b"]
"""
MARKS = (
    ("imports, settings, config, bot built", "Conductor starting"),
    ("REST login", "start-up: logged in"),
    ("migrations check", "database ready"),
    ("extensions (cogs) loaded", "extensions loaded"),
    ("outbox and timers (catch-up)", "start-up: caught up"),
)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc: less noisy than wall time."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def title(message: Any) -> str:
    """The first version of a bot message's first embed title."""
    embeds = (message.edits[0]["embeds"] if message.edits else message.embeds) or [{}]
    return str(embeds[0].get("title", ""))


def log_times(path: Path, since: float) -> list[tuple[float, str]]:
    """(wall-clock time, message) of the bot's JSON log lines written after `since`."""
    out = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        at = datetime.fromisoformat(record["time"]).timestamp()
        if at >= since - 0.01:
            out.append((at, str(record.get("message", ""))))
    return out


def import_report(bot_dir: Path, top: int = 12) -> tuple[float, list[tuple[float, str]]]:
    """Total import time of what `python -m bot run` imports before it starts, and the slowest packages."""
    code = (
        "try:\n    from bot import startup\n    startup.pause()\nexcept ImportError:\n    pass\n"  # as the bot does
        "import bot.cli, discord, bot.config, bot.settings, bot.adapters.discord.wiring, bot.logs"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=bot_dir,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(bot_dir)},
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line[len("import time:") :].split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append((int(cumulative) / 1e6, depth, name.strip()))
    total = sum(c for c, depth, _ in rows if depth == 0)
    heads = [(c, name) for c, depth, name in rows if depth <= 1]
    return total, sorted(heads, reverse=True)[:top]


async def main(rounds: int, show_imports: bool, bot_dir: Path = ROOT, compile_first: bool = True) -> None:
    """Run the benchmark and print a table."""
    if compile_first and not compileall.compile_dir(bot_dir / "bot", quiet=1):
        raise SystemExit(f"could not compile {bot_dir / 'bot'}")
    workdir = Path(tempfile.mkdtemp(prefix="conductor-bench-restart-"))
    config = workdir / "config.toml"
    config.write_text((ROOT / "config.toml").read_text() + PHASES)
    log_path = workdir / "bot.log"
    sb = Sandbox(limits=SandboxLimits(rate_limits=True))
    await sb.start()
    guild = sb.add_guild("Bench")
    instructor_role = guild.add_role("Instructor")
    guild.add_role("Student")
    teacher = guild.add_member("Teacher", username="teacher", roles=[instructor_role])
    env = sb.bot_env(f"sqlite+aiosqlite:///{workdir / 'bench.db'}", config, "INFO")
    env["LOG_FORMAT"] = "json"
    if bot_dir != ROOT:  # an older checkout's `bot` and `cogs` come before the installed ones
        env["PYTHONPATH"] = str(bot_dir)
    log_file = log_path.open("ab")

    async def spawn() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=str(bot_dir), stdout=log_file, stderr=log_file
        )

    results: list[dict[str, float]] = []
    proc = await spawn()
    try:
        await sb.wait_for(lambda: any(c["name"] == "session" for c in sb.commands()), timeout=60)
        await sb.wait_ready(timeout=60)
        bot_id = sb.bot_user.id
        for i in range(rounds):
            channel = guild.add_text_channel(f"class-{i:02d}")

            def posted(name: str, channel: Any = channel) -> Any:
                return next(
                    (m for m in channel.messages if m.author_id == bot_id and title(m) == f"Now: {name}"),
                    None,
                )

            await sb.run_command(teacher, "session start", channel=channel, options={"plan": "restart"})
            await sb.wait_for(lambda: posted("Restart phase A") is not None, timeout=30, what="phase A")
            first = datetime.fromisoformat(posted("Restart phase A").timestamp).timestamp()
            await asyncio.sleep(max(0.0, first + 0.7 - time.time()))
            proc.send_signal(signal.SIGKILL)  # mid-phase: no clean-up of any kind
            await proc.wait()
            await asyncio.sleep(max(0.0, first + 2.5 - time.time()))  # phase B is now due, and missed
            spawned = time.time()
            proc = await spawn()
            await sb.wait_for(
                lambda: posted("Restart phase B") is not None, timeout=60, what="the catch-up post"
            )
            cpu = cpu_seconds(proc.pid)  # the bot's CPU time by the catch-up post (read just after it)
            received = datetime.fromisoformat(posted("Restart phase B").timestamp).timestamp()
            await sb.wait_ready(timeout=60)
            await asyncio.sleep(0.5)  # let the log lines reach the file
            row = {"total": received - spawned, "cpu": cpu}
            lines = log_times(log_path, spawned)
            for label, needle in MARKS:
                at = next((t for t, msg in lines if needle in msg), None)
                if at is not None:
                    row[label] = at - spawned
            results.append(row)
            print(f"round {i + 1}: spawn to catch-up post {row['total'] * 1000:.0f} ms", flush=True)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
        log_file.close()
        await sb.close()

    def median(key: str) -> float:
        values = [r[key] for r in results if key in r]
        return statistics.median(values) * 1000 if values else float("nan")

    print(
        f"\n{rounds} kill -9 / restart rounds, rate limits on; times from process spawn (median over rounds)"
    )
    print("| step done | at (ms after spawn) | step took (ms) |\n| --- | --- | --- |")
    previous = 0.0
    steps = sorted([(median(label), label) for label, _ in MARKS if any(label in r for r in results)])
    steps.append((median("total"), "catch-up post received by the sandbox"))
    for at, label in sorted(steps):
        print(f"| {label} | {at:.0f} | {at - previous:.0f} |")
        previous = at
    print(f"\nbot CPU time (user + system) by the catch-up post, median: {median('cpu'):.0f} ms")
    print(
        f"spawn to first catch-up post, median: {median('total'):.0f} ms (worst {max(r['total'] for r in results) * 1000:.0f} ms)"
    )
    if show_imports:
        total, heads = import_report(bot_dir)
        print(
            f"\nimports of `python -m bot run` (python -X importtime, one run): {total * 1000:.0f} ms in all"
        )
        print("| module (cumulative, where first imported, top two levels) | ms |\n| --- | --- |")
        for seconds, name in heads:
            print(f"| {name} | {seconds * 1000:.0f} |")
    bytecode = "compiled first" if compile_first else "as found (--no-compile)"
    print(f"\n(machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; bytecode {bytecode})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-imports", action="store_true", help="skip the -X importtime breakdown")
    parser.add_argument(
        "--bot-dir", type=Path, default=ROOT, help="run the bot from this checkout (e.g. an older commit's)"
    )
    parser.add_argument(
        "--no-compile", action="store_true", help="do not compile the bot's modules to bytecode first"
    )
    args = parser.parse_args()
    asyncio.run(main(args.rounds, not args.no_imports, args.bot_dir.resolve(), not args.no_compile))
