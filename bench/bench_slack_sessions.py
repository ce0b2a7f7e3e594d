"""Phase-post lateness on Slack with many sessions: `python -m bench.bench_slack_sessions [--sessions 50] [--stagger 0.1]`.

Starts the local Slack sandbox (Slack's rate limits on: chat.postMessage about 1 a second per channel,
chat.update Tier 3, ...) in this process and the real app as `python -m bot run --platform slack` in
another, opens one channel per session (the configured class channel does not exist, so each session
lives where it was started), has the instructor type `/session start bench` in each, and measures, for
every phase post, how long after the phase's scheduled start the sandbox stored it (its `ts`). Also
reports the app process's CPU time and peak memory, and the 429s by method.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bench.bench_sessions import PHASES, percentile, proc_stats
from bot.adapters.slack.ids import to_int
from bot.rehearse_slack import announced
from bot.storage.models import SessionRow
from slack_sandbox import RateLimits, SlackSandbox

ROOT = Path(__file__).resolve().parents[1]
SLACK = """
[platform]
name = "slack"

[slack]
class_channel = "no-class-channel"
"""


def config(workdir: Path) -> Path:
    """The shipped course on Slack with the four 5-second bench phases and a 2-second warning."""
    path = workdir / "config.toml"
    text = (ROOT / "config.toml").read_text().replace("warning_seconds = [120]", "warning_seconds = [2]")
    path.write_text(text + PHASES + SLACK)
    return path


def app_env(sb: SlackSandbox, database_url: str, config_path: Path) -> dict[str, str]:
    """The app process's environment: the sandbox's tokens and address, the database, the config."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")}
    return {
        **keep,
        "SLACK_BOT_TOKEN": sb.bot_token,
        "SLACK_APP_TOKEN": sb.app_token,
        "SLACK_API_BASE": sb.api_url,
        "DATABASE_URL": database_url,
        "CONDUCTOR_CONFIG": str(config_path),
        "LOG_LEVEL": "WARNING",
    }


async def main(sessions: int, stagger: float, rate_limits: bool = True, app_log: Path | None = None) -> None:
    """Run the benchmark and print a table."""
    workdir = Path(tempfile.mkdtemp(prefix="conductor-bench-slack-"))
    db_path = workdir / "bench.db"
    sb = SlackSandbox(rate_limits=RateLimits() if rate_limits else RateLimits.off())
    await sb.start()
    teacher = sb.add_user("Teacher", name="teacher", is_admin=True)
    channels = [sb.add_channel(f"class-{i:02d}", [teacher]) for i in range(sessions)]
    env = app_env(sb, f"sqlite+aiosqlite:///{db_path}", config(workdir))
    if app_log is not None:
        env["LOG_LEVEL"] = "INFO"
    log_file = app_log.open("wb") if app_log is not None else None  # else the app's log is dropped
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--platform",
        "slack",
        env=env,
        cwd=str(ROOT),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log_file if log_file is not None else asyncio.subprocess.DEVNULL,
    )
    try:
        await sb.wait_for(sb.socket.live, timeout=60, what="the app to connect")
        answer_times: list[float] = []

        async def start(index: int) -> None:
            await asyncio.sleep(index * stagger)  # classes do not begin on the same millisecond
            began = time.perf_counter()
            await teacher.command("/session", "start bench", channels[index], timeout=30)
            answer_times.append(time.perf_counter() - began)

        await asyncio.gather(*(start(i) for i in range(sessions)))

        def done() -> bool:
            return all(any("end of the session" in m.text for m in sb.posts(ch)) for ch in channels)

        await sb.wait_for(done, timeout=180, what="every session to end")
        cpu, peak_kb = proc_stats(proc.pid)
    finally:
        proc.terminate()
        await proc.wait()
        await sb.close()
        if log_file is not None:
            log_file.close()

    engine = create_engine(f"sqlite:///{db_path}")
    with Session(engine) as s:
        rows = {row.channel_id: row for row in s.scalars(select(SessionRow))}
    lateness: list[float] = []
    timed: list[float] = []  # transitions fired by the timer (the first phase starts with the command)
    for ch in channels:
        row = rows[to_int(ch.id)]
        at = row.started_at.replace(tzinfo=UTC)
        posted = {name: m for m in sb.posts(ch) if (name := announced(sb.workspace, m))}
        for index, entry in enumerate(row.entries):
            post = posted[entry["name"]]
            late_ms = (datetime.fromtimestamp(float(post.ts), UTC) - at).total_seconds() * 1000
            lateness.append(late_ms)
            if index > 0:
                timed.append(late_ms)
            at += timedelta(milliseconds=entry["planned_ms"])
    limits = "on" if rate_limits else "off"
    limited = ", ".join(f"{m} {n}" for m, n in Counter(sb.rate_limited).most_common()) or "none"
    print(
        f"{sessions} sessions x 4 phases of 5 s on Slack, starts {stagger:g} s apart, rate limits {limits} "
        f"({len(lateness)} phase posts)"
    )
    print("| metric | value |\n| --- | --- |")
    print(f"| phase-post lateness median | {statistics.median(lateness):.0f} ms |")
    print(f"| phase-post lateness p99 | {percentile(lateness, 99):.0f} ms |")
    print(f"| phase-post lateness max | {max(lateness):.0f} ms |")
    print(
        f"| timer-fired transitions only: median / p99 | {statistics.median(timed):.0f} / "
        f"{percentile(timed, 99):.0f} ms |"
    )
    print(f"| /session start answer, median | {statistics.median(answer_times) * 1000:.0f} ms |")
    print(f"| Web API calls / 429s | {len(sb.requests)} / {len(sb.rate_limited)} ({limited}) |")
    print(f"| app CPU time | {cpu:.1f} s |")
    print(f"| app peak memory (VmHWM) | {peak_kb / 1024:.0f} MB |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--stagger", type=float, default=0.1, help="seconds between two sessions' starts")
    parser.add_argument("--no-rate-limits", action="store_true", help="turn the sandbox's rate limits off")
    parser.add_argument("--app-log", type=Path, default=None, help="write the app's INFO log to this file")
    args = parser.parse_args()
    asyncio.run(main(args.sessions, args.stagger, not args.no_rate_limits, args.app_log))
