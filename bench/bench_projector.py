"""Many open projector pages: `python -m bench.bench_projector [--pages 300] [--rounds 5]`.

Starts the sandbox in this process and the real bot as `python -m bot run` in another (with `[web]` on
a free local port), starts a session, opens N pages' event streams (the same Server-Sent Events the
page's script reads), then has the instructor run `/session next` a few times and measures, for every
page, the time from the command being sent to that page receiving the new phase. Also reports the
bot's resident memory with the pages open.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.bench_sessions import percentile
from discord_sandbox import Sandbox, SandboxLimits

ROOT = Path(__file__).resolve().parents[1]
PHASES = "".join(
    f'\n[[phases]]\nkey = "proj-{i}"\nname = "Projector phase {i}"\nseconds = 600\ntext = "Phase {i}"\n'
    for i in range(8)
) + "\n[plans.projector]\nphases = [{}]\n".format(", ".join(f'"proj-{i}"' for i in range(8)))


def rss_mb(pid: int) -> float:
    """Resident memory of a process now, in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    """A local port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Page:
    """One open page: reads the event stream and notes when each phase title first arrived."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.ready = asyncio.Event()
        self.changed = asyncio.Event()

    async def reached(self, title: str) -> None:
        """Wait until this page has shown `title`."""
        while title not in self.seen:
            self.changed.clear()
            await self.changed.wait()

    async def follow(self, http: aiohttp.ClientSession, url: str) -> None:
        """Read `state` events until cancelled."""
        async with http.get(url) as response:
            event = ""
            async for raw in response.content:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "state":
                    title = json.loads(line[6:])["title"]
                    self.seen.setdefault(title, time.perf_counter())
                    self.ready.set()
                    self.changed.set()


async def main(pages: int, rounds: int) -> None:
    """Run the benchmark and print a table."""
    workdir = Path(tempfile.mkdtemp(prefix="conductor-bench-"))
    config = workdir / "config.toml"
    port = free_port()
    config.write_text(
        (ROOT / "config.toml").read_text() + PHASES + f'\n[web]\nhost = "127.0.0.1"\nport = {port}\n'
    )
    sb = Sandbox(limits=SandboxLimits())
    await sb.start()
    guild = sb.add_guild("Bench")
    teacher = guild.add_member("Teacher", username="teacher", roles=[guild.add_role("Instructor")])
    guild.add_role("Student")
    channel = guild.add_text_channel("reading-group")
    env = sb.bot_env(f"sqlite+aiosqlite:///{workdir / 'bench.db'}", config, "WARNING")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=str(ROOT), stdout=asyncio.subprocess.DEVNULL
    )
    latencies: list[float] = []
    try:
        await sb.wait_for(lambda: any(c["name"] == "session" for c in sb.commands()), timeout=60)
        await sb.wait_ready(timeout=60)
        rss_before = rss_mb(proc.pid)
        await sb.run_command(teacher, "session start", channel=channel, options={"plan": "projector"})
        answer = await sb.run_command(teacher, "session projector", channel=channel)
        link = answer.text.split()[-1]
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=None)
        ) as http:
            opened = [Page() for _ in range(pages)]
            readers = [asyncio.create_task(p.follow(http, link + "/events")) for p in opened]
            await asyncio.wait_for(asyncio.gather(*(p.ready.wait() for p in opened)), 60)
            rss_open = rss_mb(proc.pid)
            for round_ in range(1, rounds + 1):
                title = f"Projector phase {round_}"
                began = time.perf_counter()
                await sb.run_command(teacher, "session next", channel=channel)
                waiting = asyncio.gather(*(p.reached(title) for p in opened))
                try:
                    await asyncio.wait_for(waiting, 10)
                except TimeoutError:
                    pass
                latencies += [p.seen[title] - began for p in opened if title in p.seen]
                missing = sum(title not in p.seen for p in opened)
                if missing:
                    print(f"round {round_}: {missing} pages never got the new phase")
            rss_after = rss_mb(proc.pid)
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
    finally:
        proc.terminate()
        await proc.wait()
        await sb.close()
    per_round = [max(latencies[i : i + pages]) for i in range(0, len(latencies), pages)]
    print(f"{pages} open pages on one session, {rounds} x /session next ({len(latencies)} page updates)")
    print("| metric | value |\n| --- | --- |")
    print(
        f"| /session next to a page showing the new phase, p50 | {statistics.median(latencies) * 1000:.0f} ms |"
    )
    print(
        f"| /session next to a page showing the new phase, p99 | {percentile(latencies, 99) * 1000:.0f} ms |"
    )
    print(f"| /session next to the last page, worst round | {max(per_round) * 1000:.0f} ms |")
    print(
        f"| bot RSS before / with {pages} pages open / after the rounds | {rss_before:.0f} / {rss_open:.0f} / {rss_after:.0f} MB |"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.pages, args.rounds))
