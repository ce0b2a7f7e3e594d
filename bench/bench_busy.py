"""Answers while the bot is busy: `python -m bench.bench_busy [--students 300] [--sessions 50]`.

Starts the local Discord sandbox (rate limits on) in this process and the real bot as `python -m bot
run` in another. One class of `--students` students gets its role cards (the `/assign` Confirm fan-out,
one DM each), timed so that the fan-out is under way when `--sessions` other sessions change phase at
the same instant. Meanwhile scripted users keep interacting, a few times a second: a student's
`/myrole`, a "Got it" on a delivered card, an "I'm here" check-in press, an instructor's `/session
status`. For each, the time from the interaction being sent to the bot's first answer (the initial
callback, a defer counts) is recorded by the sandbox. The same probes are first run on the idle bot.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from discord_sandbox import Sandbox, SandboxLimits

ROOT = Path(__file__).resolve().parents[1]
PHASES = """
[[phases]]
key = "busy-a"
name = "Busy phase A"
seconds = {first}
text = "A"

[[phases]]
key = "busy-b"
name = "Busy phase B"
seconds = 600
text = "B"

[plans.busy]
phases = ["busy-a", "busy-b"]
"""


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def config(tmp: Path, students: int, first: int) -> Path:
    """The shipped config, with papers enough for the class and the two-phase bench plan."""
    papers = max(0, math.ceil(students / 14) - 4 + 1)
    extra = "".join(
        f'\n[[papers]]\nkey = "extra{i}"\ntitle = "Extra paper {i}"\nlink = "https://arxiv.org/abs/{i}"\n'
        for i in range(papers)
    )
    text = (ROOT / "config.toml").read_text()
    head, sep, rest = text.partition(
        "# ---------------------------------------------------------------------------------------------\n# Roles"
    )
    path = tmp / "config.toml"
    path.write_text(head + extra + "\n" + sep + rest + PHASES.format(first=first))
    return path


class Probes:
    """Fires the four kinds of interaction in turn and keeps each one's first-answer time."""

    def __init__(self, sb: Sandbox, teacher: Any, students: list[Any], room: Any, checkin: Any) -> None:
        self.sb, self.teacher, self.students, self.room, self.checkin = sb, teacher, students, room, checkin
        self.rng = random.Random(15)
        self.times: dict[str, list[float]] = {}
        self.acked: set[int] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.failed = 0

    def _card(self) -> tuple[Any, Any] | None:
        """A student with a delivered card not yet acknowledged, and the card."""
        for member in self.rng.sample(self.students, len(self.students)):
            if member.id in self.acked:
                continue
            cards = [m for m in self.sb.dms(member) if any(label == "Got it" for label, _ in m.buttons)]
            if cards:
                self.acked.add(member.id)
                return member, cards[-1]
        return None

    async def _one(self, kind: str, who: Any = None) -> None:
        sb, student = self.sb, who or self.rng.choice(self.students)
        try:
            if kind == "/myrole":
                it = await sb.run_command(student, "myrole", channel=self.room)
            elif kind == "/session status":
                it = await sb.run_command(self.teacher, "session status", channel=self.room)
            elif kind.startswith("check-in press"):
                it = await sb.click(student, self.checkin, self.checkin.buttons[0][1])
            else:
                found = self._card()
                if found is None:
                    return
                member, card = found
                got_it = next(cid for label, cid in card.buttons if label == "Got it")
                it = await sb.click(member, card, got_it)
        except Exception as error:  # a probe that was not answered in time counts as a failure
            self.failed += 1
            print(f"  probe {kind} failed: {error}", file=sys.stderr)
            return
        if it.answered_at is not None:
            self.times.setdefault(kind, []).append((it.answered_at - it.created) * 1000)

    async def press_all(self, every: float) -> None:
        """Every student presses "I'm here" once, one press every `every` seconds."""
        for member in self.students:
            task = asyncio.create_task(self._one("check-in press (first)", member))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            await asyncio.sleep(every)
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=30)

    async def run(self, seconds: float, every: float, kinds: list[str]) -> None:
        """Fire one probe every `every` seconds for `seconds`, without waiting for answers in between."""
        cycle = itertools.cycle(kinds)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            task = asyncio.create_task(self._one(next(cycle)))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            await asyncio.sleep(every)
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=30)

    def report(self, title: str) -> list[float]:
        """Print p50 / p99 / max per kind; returns every time."""
        print(f"\n{title}\n| interaction | answers | p50 | p99 | max |\n| --- | --- | --- | --- | --- |")
        every: list[float] = []
        for kind, values in sorted(self.times.items()):
            every += values
            print(
                f"| {kind} | {len(values)} | {statistics.median(values):.0f} ms | "
                f"{percentile(values, 99):.0f} ms | {max(values):.0f} ms |"
            )
        if every:
            print(
                f"| all | {len(every)} | {statistics.median(every):.0f} ms | {percentile(every, 99):.0f} ms | "
                f"{max(every):.0f} ms |"
            )
        return every


async def main(students: int, sessions: int, dm_window: float, every: float) -> None:
    """Run the benchmark and print the tables."""
    workdir = Path(tempfile.mkdtemp(prefix="conductor-bench-busy-"))
    lead = 14  # seconds from the sessions' start to their transition
    path = config(workdir, students, lead)
    sb = Sandbox(limits=SandboxLimits(rate_limits=True, dm_open_window=dm_window))
    await sb.start()
    guild = sb.add_guild("Bench")
    teacher_role = guild.add_role("Instructor")
    student_role = guild.add_role("Student")
    room = guild.add_text_channel("room")  # not the configured class channel: each session posts at home
    channels = [guild.add_text_channel(f"class-{i:02d}") for i in range(sessions)]
    teacher = guild.add_member("Teacher", username="teacher-dimitrios", roles=[teacher_role])
    people = [
        guild.add_member(f"Student {i:03d}", username=f"s{i:03d}", roles=[student_role])
        for i in range(students)
    ]
    env = sb.bot_env(f"sqlite+aiosqlite:///{workdir / 'bench.db'}", path, "WARNING")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=str(ROOT), stdout=asyncio.subprocess.DEVNULL
    )
    try:
        await sb.wait_for(lambda: any(c["name"] == "session" for c in sb.commands()), timeout=60)
        await sb.wait_ready(timeout=60)
        bot_id = sb.bot_user.id
        started = await sb.run_command(
            teacher, "session start", channel=room, options={"plan": "reading-group"}
        )
        await started.wait_followup(timeout=30)
        # The check-in presses go to another session, so that /assign still seats the whole class.
        # Everyone checks in first (so /assign seats the whole class); later presses are repeats.
        posted = await sb.run_command(teacher, "checkin", channel=room)
        await posted.wait_followup(timeout=30)

        def checkins() -> list[Any]:
            return [m for m in room.messages if m.buttons and m.buttons[0][0] == "I'm here"]

        await sb.wait_for(lambda: bool(checkins()), timeout=30, what=f"the check-in post ({posted.text})")
        checkin = checkins()[0]
        kinds = ["/myrole", "check-in press", "/session status"]
        idle = Probes(sb, teacher, people, room, checkin)
        await idle.press_all(every / 4)
        await idle.run(6.0, every, kinds)
        quiet = idle.report("idle bot: time to the first answer")

        # The other sessions start together: their first transition comes `lead` seconds later.
        began = time.monotonic()
        await asyncio.gather(
            *(
                sb.run_command(teacher, "session start", channel=ch, options={"plan": "busy"})
                for ch in channels
            )
        )
        transition = began + lead
        it = await sb.run_command(teacher, "assign", channel=room)
        preview = await it.wait_followup(timeout=60)
        buttons = [cid for label, cid in preview.buttons if label == "Confirm"]
        if not buttons:
            raise SystemExit(f"no preview: {preview.text}")
        confirm = buttons[0]
        await asyncio.sleep(max(0.0, transition - 4 - time.monotonic()))  # cards are going out at the instant
        busy = Probes(sb, teacher, people, room, checkin)
        probing = asyncio.create_task(busy.run(16.0, every, [*kinds, "Got it"]))
        clicked = time.monotonic()
        done = await sb.click(teacher, preview, confirm)
        await probing
        await done.wait_followup(timeout=600)
        fanout = time.monotonic() - clicked

        def moved() -> bool:
            return all(
                any(
                    ((m.edits[0]["embeds"] if m.edits else m.embeds) or [{}])[0].get("title")
                    == "Now: Busy phase B"
                    for m in ch.messages
                    if m.author_id == bot_id
                )
                for ch in channels
            )

        try:
            await sb.wait_for(moved, timeout=60, what="every session's transition")
        except TimeoutError:
            seen = [
                ((m.edits[0]["embeds"] if m.edits else m.embeds) or [{}])[0].get("title") or m.content[:60]
                for m in channels[0].messages
            ]
            raise SystemExit(f"not every session moved on; #class-00 shows {seen}") from None
    finally:
        proc.terminate()
        await proc.wait()
        await sb.close()
    cards = sum(1 for p in people for m in sb.dms(p) if any(label == "Got it" for label, _ in m.buttons))
    print(
        f"\nbusy: {cards} role cards (confirm to summary {fanout:.1f} s) and {sessions} sessions changing phase "
        f"at the same instant, {transition - clicked:.1f} s after Confirm"
    )
    loud = busy.report("busy bot: time to the first answer")
    print(f"\nfirst answer p99, idle: {percentile(quiet, 99):.0f} ms")
    print(f"first answer p99, busy: {percentile(loud, 99):.0f} ms (failed probes: {busy.failed})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument(
        "--dm-window", type=float, default=1.0, help="seconds per 10 DM opens (Discord-like: 10)"
    )
    parser.add_argument("--every", type=float, default=0.1, help="seconds between two probes")
    args = parser.parse_args()
    asyncio.run(main(args.students, args.sessions, args.dm_window, args.every))
