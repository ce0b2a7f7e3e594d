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
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench.bench_sessions import PHASES, bot_process, measured, print_lateness, proc_stats
from bot.adapters.slack.ids import to_slack
from bot.rehearse_slack import announced, sandbox_env, sandbox_settings
from slack_sandbox import Channel, RateLimits, ScriptedUser, SlackSandbox

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


async def run_sessions(
    sb: SlackSandbox, teacher: ScriptedUser, channels: list[Channel], stagger: float
) -> list[float]:
    """Once the app is connected, the teacher starts the bench plan in each channel; until every end."""
    await sb.wait_for(sb.socket.live, timeout=60, what="the app to connect")
    answer_times: list[float] = []

    async def start(index: int) -> None:
        await asyncio.sleep(index * stagger)  # classes do not begin on the same millisecond
        began = time.perf_counter()
        await teacher.command("/session", "start bench", channels[index], timeout=30)
        answer_times.append(time.perf_counter() - began)

    await asyncio.gather(*(start(i) for i in range(len(channels))))
    await sb.wait_for(
        lambda: all(any("end of the session" in m.text for m in sb.posts(ch)) for ch in channels),
        timeout=180,
        what="every session to end",
    )
    return answer_times


async def main(sessions: int, stagger: float, rate_limits: bool = True, app_log: Path | None = None) -> None:
    """Run the benchmark and print a table."""
    workdir = Path(tempfile.mkdtemp(prefix="conductor-bench-slack-"))
    db_path = workdir / "bench.db"
    sb = SlackSandbox(rate_limits=RateLimits() if rate_limits else RateLimits.off())
    await sb.start()
    teacher = sb.add_user("Teacher", name="teacher", is_admin=True)
    channels = [sb.add_channel(f"class-{i:02d}", [teacher]) for i in range(sessions)]
    settings = sandbox_settings(sb, f"sqlite+aiosqlite:///{db_path}", config(workdir))
    env = {**sandbox_env(sb, settings), "LOG_LEVEL": "INFO" if app_log is not None else "WARNING"}
    log_file = app_log.open("wb") if app_log is not None else None  # else the app's log is dropped
    try:
        async with bot_process("--platform", "slack", env=env, log=log_file) as proc:
            answer_times = await run_sessions(sb, teacher, channels, stagger)
            cpu, peak_kb = proc_stats(proc.pid)
    finally:
        await sb.close()
        if log_file is not None:
            log_file.close()

    def received(channel_id: int, name: str) -> datetime:
        """When the sandbox stored the post that first announced "Now: <name>" in a channel (its ts)."""
        channel = sb.workspace.channels[to_slack(channel_id)]
        post = next(m for m in sb.posts(channel) if announced(sb.workspace, m) == name)
        return datetime.fromtimestamp(float(post.ts), UTC)

    lateness, timed = measured(db_path, received)
    limits = "on" if rate_limits else "off"
    limited = ", ".join(f"{m} {n}" for m, n in Counter(sb.rate_limited).most_common()) or "none"
    print(
        f"{sessions} sessions x 4 phases of 5 s on Slack, starts {stagger:g} s apart, rate limits {limits} "
        f"({len(lateness)} phase posts)"
    )
    print_lateness(lateness, timed, answer_times)
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
