"""Every benchmark in one table: `python -m bench` (or `bench/run.sh`); takes a few minutes.

Each benchmark runs in its own process (so one's memory or event loop cannot skew another's), its
output is kept under bench/results/, and the headline figures are gathered into a Markdown table.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

# 500 sessions in one process on SQLite against the sandbox's 50 requests/second global limit: all
# beginning at the same clock minute (then changing phase together), or started 0.1 s apart.
ONE_PROCESS = ["--sessions", "500", "--processes", "1", "--database-url", "sqlite", "--rate-limits"]
AT_ONCE = [*ONE_PROCESS, "--at-once", "--stagger", "0.02", "--phase-seconds", "40"]
STAGGERED = [*ONE_PROCESS, "--stagger", "0.1", "--phase-seconds", "60"]

# (module, arguments, [(label, regex with one or more groups, unit, target)])
BENCHES: list[tuple[str, list[str], list[tuple[str, str, str, str]]]] = [
    (
        "bench.bench_sessions",
        ["--sessions", "50", "--stagger", "0.1"],
        [
            ("phase-post lateness, 50 sessions, median", r"lateness median \| (\d+) ms", "ms", ""),
            ("phase-post lateness, 50 sessions, p99", r"lateness p99 \| (\d+) ms", "ms", "< 250 ms"),
        ],
    ),
    (
        "bench.bench_sessions",
        ["--sessions", "50"],
        [
            (
                "phase-post lateness, 50 sessions changing phase at the same instant, p99 (timer-fired)",
                r"timer-fired transitions only: median / p99 \| \d+ / (\d+) ms",
                "ms",
                "< 250 ms",
            ),
        ],
    ),
    (
        "bench.bench_slack_sessions",
        ["--sessions", "50", "--stagger", "0.1"],
        [
            ("Slack: phase-post lateness, 50 sessions, median", r"lateness median \| (\d+) ms", "ms", ""),
            ("Slack: phase-post lateness, 50 sessions, p99", r"lateness p99 \| (\d+) ms", "ms", "< 250 ms"),
        ],
    ),
    (
        "bench.bench_shards",
        ["--sessions", "500", "--processes", "2"],
        [
            (
                "phase-post lateness, 500 sessions over two sharded processes on PostgreSQL, median",
                r"lateness median \| (\d+) ms",
                "ms",
                "",
            ),
            (
                "phase-post lateness, 500 sessions over two sharded processes on PostgreSQL, p99",
                r"lateness p99 \| (\d+) ms",
                "ms",
                "",
            ),
        ],
    ),
    (
        "bench.bench_shards",
        AT_ONCE,
        [
            (
                f"500 sessions changing phase at the same instant, 50/s global limit on, {name}: last post / the 10 s floor",
                rf"{name}: last post after the instant / floor \| [\d.]+ s / [\d.]+ s = ([\d.]+)x",
                "x",
                "within 1.1x",
            )
            for name in ("phase A", "phase B", "phase C", "the end")
        ]
        + [
            (
                "the same, phase B: median lateness of the first-started 10% / the last-started 10%",
                r"phase B: first-started 10% median / max, last-started 10% median / max \| ([\d.]+) / [\d.]+ s, ([\d.]+) /",
                "s",
                "first-started not later",
            ),
            ("the same, requests answered 429", r"requests answered 429 \| (\d+ of \d+)", "", "none"),
        ],
    ),
    (
        "bench.bench_shards",
        STAGGERED,
        [
            (
                "500 sessions, starts 0.1 s apart, 50/s global limit on, phase-post lateness p99",
                r"lateness p99 \| (\d+) ms",
                "ms",
                "<= 50 ms",
            ),
        ],
    ),
    (
        "bench.bench_cards",
        ["--students", "300"],
        [
            ("/assign answer time", r"/assign answer time: (\d+) ms", "ms", "far under 3 s"),
            ("300 role cards vs the rate-limit bound", r"ratio ([\d.]+)x", "x", "within 1.2x"),
        ],
    ),
    (
        "bench.bench_slack_cards",
        ["--students", "300"],
        [
            ("Slack: /assign acknowledged", r"acknowledged in (\d+) ms", "ms", "< 3000 ms"),
            (
                "Slack: 300 role cards, Confirm pressed to the last card",
                r"last card stored: ([\d.]+) s",
                "s",
                "",
            ),
            (
                "Slack: the whole Confirm with its rooms",
                r"report \(\d+ rooms, all cards\): ([\d.]+) s",
                "s",
                "",
            ),
        ],
    ),
    (
        "bench.bench_projector",
        ["--pages", "300"],
        [
            (
                "300 open projector pages: /session next to the new phase on a page, p50",
                r"new phase, p50 \| (\d+) ms",
                "ms",
                "",
            ),
            (
                "300 open projector pages: /session next to the new phase on a page, p99",
                r"new phase, p99 \| (\d+) ms",
                "ms",
                "< 1000 ms",
            ),
            (
                "bot RSS with 300 projector pages open",
                r"pages open / after the rounds \| \d+ / (\d+) /",
                "MB",
                "",
            ),
        ],
    ),
    (
        "bench.bench_solver",
        [],
        [("solver, 5,000 students (median)", r"^\s*5000\s+([\d.]+)", "ms", "< 1000 ms")],
    ),
    (
        "bench.bench_term",
        [],
        [
            (
                "term of rotations (43 students, 10 weeks, some absent): repeated roles above the lower bound",
                r"repeated roles above the bound, median: (\d+)",
                "",
                "0",
            ),
            (
                "term of rotations: uneven roles (held more than ceil(weeks/5) times), measured (bound)",
                r"uneven roles, median over terms: (\d+ \(bound \d+\))",
                "",
                "the bound",
            ),
            (
                "term of rotations: repeated partner pairs, measured (bound)",
                r"repeated partner pairs, median over terms: (\d+ \(bound \d+\))",
                "",
                "the bound",
            ),
        ],
    ),
    (
        "bench.bench_restart",
        ["--rounds", "3"],
        [
            (
                "restart after kill -9: process spawn to the first catch-up post (median)",
                r"spawn to first catch-up post, median: (\d+) ms",
                "ms",
                "<= 1500 ms",
            ),
        ],
    ),
    (
        "bench.bench_busy",
        ["--students", "300", "--sessions", "50"],
        [
            (
                "first answer to an interaction during a 300-card fan-out and 50 transitions, p99",
                r"first answer p99, busy: (\d+) ms",
                "ms",
                "<= 100 ms",
            ),
        ],
    ),
    (
        "bench.bench_memory",
        ["--members", "1000", "--rehearsals", "10"],
        [
            (
                "bot RSS, one guild of 1,000 members",
                r"1000 members, connected and answering: (\d+) MB",
                "MB",
                "< 150 MB",
            ),
            (
                "RSS growth over rehearsals 2-10 in one process",
                r"growth from rehearsal 2 to \d+: ([+-][\d.]+) MB",
                "MB",
                "no growth",
            ),
        ],
    ),
]


def main() -> int:
    """Run every benchmark and print the table."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    for module, args, figures in BENCHES:
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        name = module.split(".")[-1] + ("-" + "-".join(a.strip("-") for a in args) if args else "")
        (RESULTS / f"{name}.txt").write_text(done.stdout + done.stderr)
        print(f"ran {module} {' '.join(args)} in {time.monotonic() - began:.0f} s (exit {done.returncode})")
        for label, pattern, unit, target in figures:
            match = re.search(pattern, done.stdout, re.MULTILINE)
            value = f"{' / '.join(match.groups())} {unit}".strip() if match else "failed (see bench/results)"
            rows.append((label, value, target, f"python -m {module} {' '.join(args)}".strip()))
    print("\n| what | measured | target | command |\n| --- | --- | --- | --- |")
    for label, value, target, command in rows:
        print(f"| {label} | {value} | {target} | `{command}` |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
