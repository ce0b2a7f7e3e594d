"""The partner search's exact regrouping: it re-deals students within their role and never makes things worse."""

from __future__ import annotations

import itertools
import random
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.partner_search import Cell, Seating, regroup_partners, repeated_pairs

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def seatings(draw: st.DrawFn, most: int = 5) -> tuple[dict[Cell, list[str]], dict[str, frozenset[str]]]:
    """A seating of (paper, role) cells and a past-partner graph among its students, both random."""
    papers = [f"p{i}" for i in range(draw(st.integers(1, 4)))]
    roles = [f"r{i}" for i in range(draw(st.integers(1, 3)))]
    cells: dict[Cell, list[str]] = {}
    n = 0
    for p in papers:
        for r in roles:
            size = draw(st.integers(0, most))
            cells[(p, r)] = [f"s{n + i:03d}" for i in range(size)]
            n += size
    students = [s for members in cells.values() for s in members]
    density = draw(st.sampled_from([0.1, 0.3, 0.6]))
    rng = random.Random(draw(st.integers(0, 2**32)))
    links: dict[str, set[str]] = {}
    for x, y in itertools.combinations(students, 2):
        if rng.random() < density:
            links.setdefault(x, set()).add(y)
            links.setdefault(y, set()).add(x)
    return cells, {s: frozenset(ps) for s, ps in links.items()}


def stuck(seating: Seating, adj: dict[str, frozenset[str]]) -> list[str]:
    return sorted(s for s in adj if any(seating.cell_of[y] == seating.cell_of[s] for y in adj[s]))


def role_pairs(cells: dict[Cell, list[str]], adj: dict[str, frozenset[str]], role: str) -> int:
    return sum(
        1
        for (_, r), members in cells.items()
        if r == role
        for x, y in itertools.combinations(members, 2)
        if y in adj.get(x, ())
    )


@FAST
@given(seatings(most=6), st.integers(0, 2**32), st.data())
def test_regrouping_never_adds_repeats_and_keeps_every_count(
    case: tuple[dict[Cell, list[str]], dict[str, frozenset[str]]], seed: int, data: st.DataObject
) -> None:
    """With random rotation wishes (`fits`): whoever held a wished-for role still holds one."""
    cells, adj = case
    roles = sorted({r for _, r in cells})
    fits = {
        s: frozenset(data.draw(st.sets(st.sampled_from(roles), min_size=1)))
        for s in sorted(s for m in cells.values() for s in m)
        if data.draw(st.booleans())
    }
    before = {c: list(m) for c, m in cells.items()}
    seating = Seating({c: list(m) for c, m in cells.items()})
    repeats_before = repeated_pairs(seating, adj)
    regroup_partners(seating, adj, fits, stuck(seating, adj), random.Random(seed))
    assert repeated_pairs(seating, adj) <= repeats_before
    assert {c: len(m) for c, m in seating.cells.items()} == {c: len(m) for c, m in before.items()}
    for (_, role), members in before.items():
        for s in members:
            wished = fits.get(s)
            if wished is not None and role in wished:  # on a role rotation wished for: stays on one
                assert seating.cell_of[s][1] in wished
            assert s in seating.cells[seating.cell_of[s]]
    assert Counter(s for m in seating.cells.values() for s in m) == Counter(
        s for m in before.values() for s in m
    )


def fewest_pairs(members: list[str], sizes: list[int], adj: dict[str, frozenset[str]]) -> int:
    """Brute force: the fewest past-partner pairs over every split of `members` into cells of `sizes`."""
    if not sizes:
        return 0
    best = None
    for group in itertools.combinations(members, sizes[0]):
        inside = sum(1 for x, y in itertools.combinations(group, 2) if y in adj.get(x, ()))
        rest = [s for s in members if s not in group]
        total = inside + fewest_pairs(rest, sizes[1:], adj)
        best = total if best is None else min(best, total)
    return best or 0


@FAST
@given(seatings(most=2), st.integers(0, 2**32))
def test_a_small_role_is_regrouped_as_well_as_brute_force_can(
    case: tuple[dict[Cell, list[str]], dict[str, frozenset[str]]], seed: int
) -> None:
    """Roles small enough to search whole: no way to re-deal them into the same cell sizes does better."""
    cells, adj = case
    seating = Seating({c: list(m) for c, m in cells.items()})
    own_role_only = {s: frozenset({r}) for (_, r), members in cells.items() for s in members}
    regroup_partners(seating, adj, own_role_only, stuck(seating, adj), random.Random(seed))
    for role in sorted({r for _, r in cells}):
        own = sorted(c for c in cells if c[1] == role)
        members = [s for c in own for s in cells[c]]
        best = fewest_pairs(members, [len(cells[c]) for c in own], adj)
        assert role_pairs(seating.cells, adj, role) == best
