"""A term of rotations: `python -m bench.bench_term [--weeks 10] [--absent 0.1] [--terms 5]`.

Simulates weekly sessions of the seed's class (43 students, the shipped config's 4 papers and 5 roles),
each week with some students absent (drawn from a seeded RNG), solving each week with the history of
the weeks before, exactly as the bot builds it (`SqlSeats.history` in `bot.storage.assignments`: the set of
roles each student has held and the set of their past role-partners). Pure: no Discord, no database.

What is counted, and the lower bounds the numbers allow:

* Repeated roles: for a student present `p` weeks who held `d` distinct roles, `p - d` repeats. With `R`
  roles, `d <= min(p, R)`, so the student repeats at least `max(0, p - R)` times (5 roles, 10 weeks, never
  absent: at least 5). The term's bound is the sum over students.
* Uneven roles: spread evenly, no role is held more than `u = ceil(p / R)` times (2 in 10 weeks). The
  excess `sum over students and roles of max(0, times held - u)` is at least `sum_s p_s - sum_r min(C_r,
  sum_s u_s)`, where `C_r` is the seats role `r` offers over the term (its max times the papers, each
  week, at most the class present): each student-week is one seat, and the seats held without excess in
  role `r` are at most `C_r` and at most `sum_s u_s`. Usually 0; not with the whole class every week,
  where 8 Spotlight seats a week give 80 in 10 weeks for the 86 that "twice each" would need.
* Repeated partner pairs: partners are the students of one (paper, role) cell. A pair partnered `t`
  times counts `t - 1`. If the term creates `P` pair-meetings in all (the sum over weeks and cells of
  `size * (size - 1) / 2`), at most `C(n, 2)` of them can be distinct, so repeats >= `P - C(n, 2)`;
  per student, `m_s` partner-meetings among `n - 1` classmates give repeats >= `sum_s max(0, m_s - (n -
  1)) / 2` (each repeated meeting is counted from both ends). The bound is the larger of the two. With
  the whole class (43 students: groups of 11, 11, 11 and 10, role counts 2-2-2-2-3 and 2-2-2-2-2, so 7 +
  7 + 7 + 5 = 26 pair-meetings a week, 260 in 10 weeks, of 903 possible pairs; a student meets at most 2
  partners a week, 20 in 10 weeks, of 42 classmates) both are 0, and with absences fewer meetings still:
  counting forces no repeated pair. The bound is exact, not just a bound: a term measured at 0 shows it
  can be met.
  What the counting does not see is the order of the weeks. The solver puts rotation first and solves a
  week at a time: in weeks 5 and 10 with the whole class, every student has exactly one role held least
  often, so each role's students are fixed by the weeks before, and so are its cell sizes (even counts
  leave only 3-2-2-2 or 2-2-2-2). If the earlier weeks made those students past partners in a pattern
  that no split into such cells avoids, that week repeats a pair whatever the solver does (the
  regrouping searches every split of the role). Only choosing earlier weeks with the later ones in mind
  would avoid it; the solver does not look ahead.

The solver's own time is measured by `bench.bench_solver`.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

if __package__ in (None, ""):  # run as a plain script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import load_config
from bot.core.assignment import Assignment, History, RoleSlot, solve, validate

ROOT = Path(__file__).resolve().parents[1]


def course_shape() -> tuple[tuple[str, ...], tuple[RoleSlot, ...]]:
    """The shipped config's papers and roles, as the bot hands them to the solver."""
    course = load_config(ROOT / "config.toml")
    papers = tuple(p.key for p in course.papers)
    roles = tuple(RoleSlot(r.key, r.min, r.max, r.name) for r in course.roles)
    return papers, roles


def history_of(weeks: list[Assignment], counts: bool = True) -> dict[str, History]:
    """What the bot's storage layer gives the solver: roles held (and how often) and past partners."""
    roles: defaultdict[str, Counter[str]] = defaultdict(Counter)
    partners: defaultdict[str, set[str]] = defaultdict(set)
    for a in weeks:
        for s, seat in a.seats.items():
            roles[s][seat.role] += 1
            partners[s].update(a.partners(s))
    return {
        s: History(frozenset(roles[s]), frozenset(partners[s]), dict(roles[s]) if counts else {})
        for s in roles
    }


def term(
    n: int,
    n_weeks: int,
    absent: float,
    seed: int,
    papers: tuple[str, ...],
    roles: tuple[RoleSlot, ...],
    counts: bool = True,
) -> dict[str, float]:
    """One simulated term; returns the counts, their bounds and the slowest solve."""
    rng = random.Random(seed)
    students = [f"s{i:02d}" for i in range(n)]
    weeks: list[Assignment] = []
    slowest = 0.0
    for _ in range(n_weeks):
        present = [s for s in students if rng.random() >= absent]
        began = time.perf_counter()
        a = solve(present, papers, roles, history=history_of(weeks, counts), seed=rng.randrange(2**31))
        slowest = max(slowest, time.perf_counter() - began)
        if validate(a, students=present):
            raise SystemExit(f"invalid assignment: {validate(a, students=present)}")
        weeks.append(a)
    n_roles = len(roles)
    held: dict[str, Counter[str]] = {s: Counter() for s in students}
    pairs: Counter[tuple[str, str]] = Counter()
    meetings: Counter[str] = Counter()
    for a in weeks:
        for s, seat in a.seats.items():
            held[s][seat.role] += 1
            meetings[s] += len(a.partners(s))
        for slot in roles:
            for p in papers:
                pairs.update(combinations(a.members(p, slot.key), 2))
    present_weeks = {s: sum(held[s].values()) for s in students}
    role_repeats = sum(present_weeks[s] - len(held[s]) for s in students)
    role_bound = sum(max(0, present_weeks[s] - n_roles) for s in students)
    present_counts = [len(a.seats) for a in weeks]
    fair = sum(math.ceil(present_weeks[s] / n_roles) for s in students)
    seats_offered = {
        slot.key: sum(min(slot.max * len(papers), here) for here in present_counts) for slot in roles
    }
    uneven_bound = max(0, sum(present_weeks.values()) - sum(min(c, fair) for c in seats_offered.values()))
    uneven = sum(
        max(0, c - math.ceil(present_weeks[s] / n_roles)) for s in students for c in held[s].values()
    )
    most = max(c for s in students for c in held[s].values())
    most_bound = max(math.ceil(present_weeks[s] / n_roles) for s in students)
    pair_repeats = sum(t - 1 for t in pairs.values())
    total_meetings = sum(pairs.values())
    pair_bound = max(
        0,
        total_meetings - n * (n - 1) // 2,
        math.ceil(sum(max(0, m - (n - 1)) for m in meetings.values()) / 2),
    )
    return {
        "role_repeats": role_repeats,
        "role_bound": role_bound,
        "uneven": uneven,
        "uneven_bound": uneven_bound,
        "most": most,
        "most_bound": most_bound,
        "pair_repeats": pair_repeats,
        "pair_bound": pair_bound,
        "meetings": total_meetings,
        "slowest_ms": slowest * 1000,
    }


def main() -> None:
    """Simulate a few terms and print measured counts against their lower bounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=43)
    parser.add_argument("--weeks", type=int, default=10)
    parser.add_argument("--absent", type=float, default=0.1, help="chance a student misses a given week")
    parser.add_argument("--terms", type=int, default=5, help="terms simulated (seeds 0, 1, ...)")
    parser.add_argument(
        "--sets-only", action="store_true", help="history without role counts (as before issue 15)"
    )
    args = parser.parse_args()
    papers, roles = course_shape()
    results = [
        term(args.students, args.weeks, args.absent, seed, papers, roles, not args.sets_only)
        for seed in range(args.terms)
    ]
    print(
        f"{args.terms} terms of {args.weeks} weekly sessions: {args.students} students, {len(papers)} papers, "
        f"{len(roles)} roles, each student absent a given week with chance {args.absent:g}"
    )
    print(
        "| term | repeated roles (bound) | uneven roles (bound) | most times in one role (bound) "
        "| repeated partner pairs (bound) of pair-meetings | slowest solve |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for i, r in enumerate(results):
        print(
            f"| {i} | {r['role_repeats']:.0f} ({r['role_bound']:.0f}) | {r['uneven']:.0f} ({r['uneven_bound']:.0f}) | {r['most']:.0f} "
            f"({r['most_bound']:.0f}) | {r['pair_repeats']:.0f} ({r['pair_bound']:.0f}) of {r['meetings']:.0f} "
            f"| {r['slowest_ms']:.1f} ms |"
        )

    def med(key: str) -> float:
        return statistics.median(r[key] for r in results)

    print(f"repeated roles, median over terms: {med('role_repeats'):.0f} (bound {med('role_bound'):.0f})")
    print(f"repeated roles above the bound, median: {med('role_repeats') - med('role_bound'):.0f}")
    print(f"uneven roles, median over terms: {med('uneven'):.0f} (bound {med('uneven_bound'):.0f})")
    print(
        f"repeated partner pairs, median over terms: {med('pair_repeats'):.0f} (bound {med('pair_bound'):.0f})"
    )
    figures = (
        ("repeated roles", "role_repeats", "role_bound"),
        ("uneven roles", "uneven", "uneven_bound"),
        ("repeated partner pairs", "pair_repeats", "pair_bound"),
    )
    for what, measured, bound in figures:
        above = [r[measured] - r[bound] for r in results]
        print(
            f"{what}: at the bound in {sum(a == 0 for a in above)} of {len(results)} terms, "
            f"{sum(above):.0f} above it in all"
        )


if __name__ == "__main__":
    main()
