"""How fast role cards reach a big class: `python -m bench.bench_cards [--students 300] [--dm-window 1.0]`.

Starts the sandbox (rate limits on) and the real bot in this process, seats `--students` students
(papers added to the shipped config so they fit), runs `/session start` and `/assign`, presses Confirm
and measures:

* the `/assign` interaction answer time (it defers at once, then follows up with the preview);
* the time from the first DM channel opened to the last role card delivered, against the fastest the
  sandbox's limits allow: opening DM channels is limited to `dm_open_limit` per `dm_open_window`
  (Discord-like 10 per 10 s; `--dm-window` shortens the window so a run takes seconds, not minutes),
  and everything shares the global 50 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from pathlib import Path

import discord

from bot.adapters.discord.wiring import build_bot
from bot.config import load_config
from bot.settings import Settings
from discord_sandbox import Sandbox, SandboxLimits

ROOT = Path(__file__).resolve().parents[1]


def config(tmp: Path, papers: int) -> Path:
    """The shipped config plus `papers` extra papers, so a big class fits."""
    extra = "".join(
        f'\n[[papers]]\nkey = "extra{i}"\ntitle = "Extra paper {i}"\nlink = "https://arxiv.org/abs/{i}"\n'
        for i in range(papers)
    )
    text = (ROOT / "config.toml").read_text()
    head, sep, rest = text.partition(
        "# ---------------------------------------------------------------------------------------------\n# Roles"
    )
    path = tmp / "config.toml"
    path.write_text(head + extra + "\n" + sep + rest)
    return path


async def main(students: int, dm_window: float, timeline: bool = False) -> None:
    """Run the benchmark once and print the figures."""
    limits = SandboxLimits(dm_open_window=dm_window)
    sandbox = Sandbox(limits=limits)
    await sandbox.start()
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        papers_needed = max(0, math.ceil(students / 14) - 4 + 1)
        path = config(tmp, papers_needed)
        course = load_config(path)
        guild = sandbox.add_guild("Bench")
        teacher_role = guild.add_role("Instructor")
        student_role = guild.add_role("Student")
        channel = guild.add_text_channel("reading-group")
        teacher = guild.add_member("Teacher", username="teacher-dimitrios", roles=[teacher_role])
        people = [
            guild.add_member(f"Student {i:03d}", username=f"s{i:03d}", roles=[student_role])
            for i in range(students)
        ]
        settings = Settings(
            _env_file=None,
            discord_token=sandbox.token,
            database_url=f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
            discord_api_base=sandbox.api_base,
            discord_gateway_url=sandbox.gateway_url,
            conductor_config=path,
        )
        bot = build_bot(settings, course, guild_ready_timeout=0.05)
        run = asyncio.create_task(bot.start(sandbox.token))
        try:
            await sandbox.wait_ready(timeout=30)
            await sandbox.wait_for(lambda: bot.is_ready() and sandbox.commands(), timeout=30, what="the bot")
            await sandbox.run_command(
                teacher, "session start", channel=channel, options={"plan": "reading-group"}
            )
            began = time.monotonic()
            it = await sandbox.run_command(teacher, "assign", channel=channel)
            answered = time.monotonic() - began
            preview = await it.wait_followup(timeout=60)
            buttons = [cid for label, cid in preview.buttons if label == "Confirm"]
            if not buttons:
                raise SystemExit(f"no preview: {preview.text}")
            confirm = buttons[0]
            clicked = time.monotonic()
            done = await sandbox.click(teacher, preview, confirm)
            await done.wait_followup(timeout=3600)
            total = time.monotonic() - clicked
            delivered = [m for p in people for m in sandbox.dms(p)]
            opens = [r.at for r in sandbox.requests if r.route == "/users/@me/channels" and r.status == 200]
            sends = [
                r.at
                for r in sandbox.requests
                if r.method == "POST" and r.route == "/channels/{channel_id}/messages" and r.status == 200
            ]
            first, last = min(opens), max(sends)
            cards = last - first
            bound = max(
                (math.ceil(students / limits.dm_open_limit) - 1) * limits.dm_open_window,
                2 * students / limits.global_per_second,
            )
            print(f"students: {students}, role cards delivered: {len(delivered)}")
            print(f"/assign answer time: {answered * 1000:.0f} ms (deferred; preview followed)")
            print(
                f"cards: first DM opened -> last card sent: {cards:.2f} s; fastest the limits allow: {bound:.2f} s; ratio {cards / bound:.2f}x"
            )
            print(
                f"confirm pressed -> summary (table, {len(guild.threads)} threads, all cards): {total:.2f} s"
            )
            print(f"429s: {sandbox.stats.rate_limited} {dict(sandbox.stats.rate_limited_by_route)}")
            if timeline:
                for second in range(math.ceil(last - first) + 1):
                    o = sum(1 for x in opens if second <= x - first < second + 1)
                    s = sum(1 for x in sends if second <= x - first < second + 1)
                    print(f"  t={second:3d}s  DM channels opened {o:3d}  messages sent {s:3d}")
        finally:
            await bot.close()
            await asyncio.gather(run, return_exceptions=True)
            await sandbox.close()
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument(
        "--dm-window", type=float, default=1.0, help="seconds per 10 DM opens (Discord-like: 10)"
    )
    parser.add_argument("--timeline", action="store_true", help="print requests per second")
    args = parser.parse_args()
    asyncio.run(main(args.students, args.dm_window, args.timeline))
