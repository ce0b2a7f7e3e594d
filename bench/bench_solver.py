"""Time `solve()` for the seed's class size and two larger ones, with a history for every student.

Run with `python -m bench.bench_solver` (or `python bench/bench_solver.py`) from the project root.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a plain script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.assignment import History, RoleSlot, solve, validate

PAPERS = ("dit", "gemini", "controlnet", "ugd")
ROLE_KEYS = ("spotlight", "reviewer", "archaeologist", "researcher", "impact")
RUNS = 7


def roles_for(n: int) -> list[RoleSlot]:
    """The config's roles for the seed's class; for larger classes maxima large enough to fit everyone."""
    if n <= 56:
        return [RoleSlot(k, 1, 2 if k == "spotlight" else 3) for k in ROLE_KEYS]
    return [RoleSlot(k, 1, n) for k in ROLE_KEYS]


def make_class(n: int, seed: int = 0) -> tuple[list[str], dict[str, History]]:
    """`n` students, each with 3 past roles and 4 past partners."""
    rng = random.Random(seed)
    students = [f"s{i:06d}" for i in range(n)]
    history = {
        s: History(frozenset(rng.sample(ROLE_KEYS, 3)), frozenset(rng.sample(students, 4))) for s in students
    }
    return students, history


def bench(n: int) -> tuple[float, float, int, int]:
    """Median and max seconds over RUNS seeds, students given a new role, partner pairs repeated."""
    students, history = make_class(n)
    roles = roles_for(n)
    times = []
    for seed in range(RUNS):
        start = time.perf_counter()
        a = solve(students, PAPERS, roles, history=history, seed=seed)
        times.append(time.perf_counter() - start)
    if validate(a, students=students):
        raise SystemExit(f"invalid assignment for {n} students")
    new = sum(a.seats[s].role not in history[s].roles for s in students)
    repeats = sum(
        1
        for s in students
        for p in a.partners(s)
        if s < p and (p in history[s].partners or s in history[p].partners)
    )
    return statistics.median(times), max(times), new, repeats


def main() -> None:
    """Print a small table of timings."""
    print(f"solve(): {len(PAPERS)} papers x {len(ROLE_KEYS)} roles, history for everyone, {RUNS} runs each")
    print(f"{'students':>9} {'median ms':>10} {'max ms':>8} {'new role':>9} {'repeats':>8}")
    for n in (43, 500, 5000):
        median, worst, new, repeats = bench(n)
        print(f"{n:>9} {median * 1000:>10.1f} {worst * 1000:>8.1f} {new:>9} {repeats:>8}")


if __name__ == "__main__":
    main()
