"""Partner search for the solver: keep students out of a past partner's (paper, role) cell.

Two passes over a seating whose roles are already decided (`bot.core.assignment.solve` calls both):

* `avoid_partners`: first-improvement local search over swaps of two students, in the same role or
  across roles when rotation allows; fast, but it stops where no single swap helps;
* `regroup_partners`: for the roles still holding a repeated pair, an exact search (branch and bound)
  that re-deals a window of that role's students over the role's cells. Nobody changes role and every
  cell keeps its size, so it cannot undo rotation or the counts; a window is rewritten only when its
  repeated pairs strictly drop. With the seed's class a role has about 9 students a week, so the
  window is the whole role and the search finds a seating without repeats whenever one exists.

Both are bounded in work and deterministic for a given `random.Random`. Standard library only.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import accumulate, combinations
from typing import Protocol

__all__ = ["Cell", "Past", "Seating", "avoid_partners", "partner_graph", "regroup_partners", "repeated_pairs"]

Cell = tuple[str, str]  # (paper, role)

_EXHAUSTIVE = 256  # enumerate every candidate when there are at most this many, else sample
_SAMPLES = 48
_WORK_PER_STUDENT = 150  # local-search work per student, in partner links looked at
_CANDIDATE_WORK = 16  # drawing and screening one swap candidate costs about as much as 16 links
_WINDOW = 14  # students of one role re-dealt exactly at once (a role of the seed's class: 8-10)
_WINDOWS_PER_ROLE = 4  # windows tried per role when the role is larger than one window
_CROSS_WINDOW = 27  # two or three roles re-dealt together when they hold at most this many students
_REGROUP_NODES = 20_000  # search nodes for all the regrouping of one solve (a few tens of ms at worst)


class Seating:
    """Mutable seating used while solving: cells as lists, with positions for O(1) swaps."""

    def __init__(self, cells: dict[Cell, list[str]]) -> None:
        self.cells = cells
        self.cell_of = {s: cell for cell, members in cells.items() for s in members}
        self.pos = {s: i for members in cells.values() for i, s in enumerate(members)}

    def swap(self, s: str, t: str) -> None:
        """Students `s` and `t` exchange places."""
        a, b = self.cell_of[s], self.cell_of[t]
        i, j = self.pos[s], self.pos[t]
        self.cells[a][i], self.cells[b][j] = t, s
        self.cell_of[s], self.cell_of[t] = b, a
        self.pos[s], self.pos[t] = j, i

    def refill(self, cell: Cell, members: list[str]) -> None:
        """`cell` now holds `members` (each must leave its old cell in the same rewrite)."""
        self.cells[cell] = members
        for i, s in enumerate(members):
            self.cell_of[s] = cell
            self.pos[s] = i


class Past(Protocol):
    """What the partner search reads from a student's history (`bot.core.assignment.History`)."""

    @property
    def partners(self) -> frozenset[str]:
        """The student's past role-partners."""
        ...


def partner_graph(students: Iterable[str], history: Mapping[str, Past]) -> dict[str, frozenset[str]]:
    """Past partners among `students`, both ways: `history[s].partners` names the partners of `s`."""
    present = set(students)
    adj: dict[str, set[str]] = {}
    for s in sorted(present):
        past = history.get(s)
        if past is None:
            continue
        for p in past.partners:
            if p in present and p != s:
                adj.setdefault(s, set()).add(p)
                adj.setdefault(p, set()).add(s)
    return {s: frozenset(ps) for s, ps in adj.items()}


def repeated_pairs(seating: Seating, adj: Mapping[str, frozenset[str]]) -> int:
    """How many pairs of past partners share a cell."""
    cell_of = seating.cell_of
    return sum(1 for s, links in adj.items() for y in links if s < y and cell_of[s] == cell_of[y])


def _keeps_rotation(fits: Mapping[str, frozenset[str]], x: str, old: str, new: str) -> bool:
    """Moving `x` from role `old` to `new` keeps them on a role rotation prefers, if they were on one."""
    good = fits.get(x)
    return good is None or new in good or old not in good


# ---------------------------------------------------------------------------------------------------
# Local search over swaps


def _candidates(seating: Seating, groups: Sequence[Sequence[Cell]], rng: random.Random) -> Iterator[str]:
    for cells in groups:
        lists = [seating.cells[c] for c in cells if seating.cells[c]]
        sizes = list(accumulate(len(m) for m in lists))
        total = sizes[-1] if sizes else 0
        if total <= _EXHAUSTIVE:
            pool = [s for m in lists for s in m]
            rng.shuffle(pool)
            yield from pool
        else:
            for _ in range(_SAMPLES):
                x = rng.randrange(total)
                i = bisect_right(sizes, x)
                m = lists[i]
                yield m[x - (sizes[i - 1] if i else 0)]


def avoid_partners(
    seating: Seating,
    adj: Mapping[str, frozenset[str]],
    fits: Mapping[str, frozenset[str]],
    rng: random.Random,
) -> list[str]:
    """First-improvement local search over swaps; returns the students still beside a past partner.

    A swap never takes anyone off a role rotation prefers for them (`fits`). The work (partner links
    looked at) is bounded, so that hopeless cases (past partners who cannot all be kept apart) stop
    early and deterministically.
    """
    cell_of = seating.cell_of
    budget = _WORK_PER_STUDENT * len(cell_of) + 10_000
    work = 0

    def conflicts(x: str, cell: Cell, without: str) -> int:
        nonlocal work
        links = adj.get(x, ())
        work += len(links) + 1
        return sum(1 for y in links if y != without and cell_of[y] == cell)

    def stuck() -> list[str]:  # every student beside a past partner is in `suspects` (see below)
        return [s for s in sorted(suspects) if conflicts(s, cell_of[s], s)]

    papers = sorted({p for p, _ in seating.cells})
    roles = sorted({r for _, r in seating.cells})
    # Who may have a past partner in their cell: everyone at first; then those found so and the
    # partners of whoever a swap moved (nobody else's cell changed).
    suspects: set[str] = set(adj)
    for _ in range(20):
        todo = stuck()
        if not todo or work > budget:
            return todo
        rng.shuffle(todo)
        suspects = set(todo)
        improved = False
        for s in todo:
            a = cell_of[s]
            mine = conflicts(s, a, s)
            if not mine:
                continue
            same = [(p, a[1]) for p in papers if p != a[0]]
            other = [(p, r) for r in roles if r != a[1] for p in papers]
            for t in _candidates(seating, (same, other), rng):
                work += _CANDIDATE_WORK
                if work > budget:
                    return stuck()
                b = cell_of[t]
                if b == a or not (
                    _keeps_rotation(fits, s, a[1], b[1]) and _keeps_rotation(fits, t, b[1], a[1])
                ):
                    continue
                before = mine + conflicts(t, b, t)
                after = conflicts(s, b, t) + conflicts(t, a, s)
                if after < before:
                    seating.swap(s, t)
                    suspects.update(adj[s], adj.get(t, ()), (t,))
                    improved = True
                    break
        if not improved:
            return stuck()
    return stuck()


# ---------------------------------------------------------------------------------------------------
# Exact regrouping within a role


def regroup_partners(
    seating: Seating,
    adj: Mapping[str, frozenset[str]],
    fits: Mapping[str, frozenset[str]],
    stuck: Iterable[str],
    rng: random.Random,
) -> None:
    """Re-deal students where that seats fewer past partners together: within a role, then over two.

    `stuck` names the students beside a past partner (what `avoid_partners` returns). Every cell keeps
    its size, so every count stays as it is; a student changes role only where rotation allows (as in
    `avoid_partners`); the number of repeated pairs never grows.
    """
    cell_of = seating.cell_of
    by_role: dict[str, list[Cell]] = {}
    for cell in sorted(seating.cells):
        by_role.setdefault(cell[1], []).append(cell)
    members = {role: sorted(s for c in cells for s in seating.cells[c]) for role, cells in by_role.items()}

    def clashing(role: str) -> list[str]:
        return [s for s in members[role] if any(cell_of[y] == cell_of[s] for y in adj.get(s, ()))]

    def movable(students: Iterable[str], role: str, to: Iterable[str]) -> bool:
        targets = list(to)
        return any(_keeps_rotation(fits, s, role, t) for s in students for t in targets)

    left = _REGROUP_NODES
    roles = sorted({cell_of[s][1] for s in stuck})
    for role in roles:
        for _ in range(_WINDOWS_PER_ROLE):
            clash = clashing(role)
            if not clash or left <= 0:
                break
            window = members[role]
            if len(window) > _WINDOW:
                rng.shuffle(clash)
                chosen = set(clash[: _WINDOW // 2])
                others = rng.sample([s for s in window if s not in chosen], _WINDOW - len(chosen))
                window = sorted(chosen) + others
            left -= _redeal(seating, by_role[role], window, adj, fits, left)
            if len(window) == len(members[role]):
                break  # the whole role was searched: nothing better exists within it
    # Small classes: a role that no split of its own students frees may trade students with one or
    # two other roles (a cycle: some of its students take the second role, whose take the third...).
    for role in roles:
        others = [r for r in sorted(by_role) if r != role]
        for group in [(r,) for r in others] + list(combinations(others, 2)):
            if not clashing(role) or left <= 0:
                break
            together = (role, *group)
            window = [s for r in together for s in members[r]]
            if len(window) > _CROSS_WINDOW or not all(
                movable(members[r], r, [t for t in together if t != r]) for r in together
            ):
                continue  # too big, or some role could not give a student away keeping rotation
            left -= _redeal(seating, [c for r in together for c in by_role[r]], window, adj, fits, left)
            for r in together:
                members[r] = sorted(s for c in by_role[r] for s in seating.cells[c])


def _redeal(
    seating: Seating,
    cells: Sequence[Cell],
    window: Sequence[str],
    adj: Mapping[str, frozenset[str]],
    fits: Mapping[str, frozenset[str]],
    budget: int,
) -> int:
    """Branch and bound: the best way to put `window` back into `cells`, each taking as many as it gave.

    A student may take a cell of another role only where rotation allows. Applies the result when it
    seats fewer past partners together; returns the search nodes used.
    """
    cell_of = seating.cell_of
    index = {c: i for i, c in enumerate(cells)}
    spot = {s: i for i, s in enumerate(window)}
    quota = [0] * len(cells)
    for s in window:
        quota[index[cell_of[s]]] += 1
    fixed = [[s for s in seating.cells[c] if s not in spot] for c in cells]
    start = [index[cell_of[s]] for s in window]
    allowed = [
        [c for c, (_, role) in enumerate(cells) if _keeps_rotation(fits, s, cell_of[s][1], role)]
        for s in window
    ]
    # base[i][c]: past partners of window student i among the students staying in cell c
    base = [[0] * len(cells) for _ in window]
    links: list[list[int]] = [[] for _ in window]  # past partners inside the window
    for i, s in enumerate(window):
        for y in adj.get(s, ()):
            if y in spot:
                links[i].append(spot[y])
            elif cell_of[y] in index:
                base[i][index[cell_of[y]]] += 1
    current = sum(base[i][start[i]] for i in range(len(window)))
    current += sum(1 for i in range(len(window)) for j in links[i] if i < j and start[i] == start[j])
    if current == 0:
        return 0
    order = sorted(
        range(len(window)), key=lambda i: (len(allowed[i]), -len(links[i]) - sum(base[i]), window[i])
    )
    place = [-1] * len(window)
    load = [0] * len(cells)
    best, best_place = current, list[int]()
    nodes = 0

    def search(k: int, cost: int) -> None:
        nonlocal best, best_place, nodes
        nodes += 1
        if k == len(order):
            best, best_place = cost, place[:]
            return
        i = order[k]
        options = []
        blank: set[tuple[str, int]] = set()  # empty cells of a role without staying students: try one
        for c in allowed[i]:
            if load[c] == quota[c]:
                continue
            if not fixed[c] and load[c] == 0:
                if (cells[c][1], quota[c]) in blank:
                    continue
                blank.add((cells[c][1], quota[c]))
            add = base[i][c] + sum(1 for j in links[i] if place[j] == c)
            if cost + add < best:
                options.append((add, c))
        for add, c in sorted(options):
            if best == 0 or nodes >= budget or cost + add >= best:
                return
            place[i], load[c] = c, load[c] + 1
            search(k + 1, cost + add)
            place[i], load[c] = -1, load[c] - 1

    search(0, 0)
    if best_place:
        for c, cell in enumerate(cells):
            seating.refill(cell, fixed[c] + [window[i] for i in range(len(window)) if best_place[i] == c])
    return nodes
