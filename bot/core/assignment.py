"""Who reads which paper in which role: the pure assignment solver and its edits.

Rules a fresh assignment (`solve`) keeps:

* every student gets exactly one seat, a (paper, role) pair;
* every paper gets every role, between the role's `min` and `max` students;
* paper group sizes differ by at most one;
* within a group the role counts are as even as the bounds allow; the seed picks which roles take the
  students left over, round-robin so that the class-wide role totals stay even too;
* rotation: a student gets a role they have not had before whenever an assignment exists in which every
  such student does (otherwise as many as possible do, silently); when the history says how often each
  role was held (`History.times`), "not had before" becomes "held least often", so that over a long term
  every student cycles through the roles evenly instead of only once;
* partners: students are kept out of the (paper, role) of a past partner where that can be avoided
  (`bot.core.partner_search`: swaps, then an exact re-dealing of a role's students, bounded in work).

Edits (`add_student`, `remove_student`, `swap`, `move`) change only the students they name and keep every
role of every paper within its bounds. They do not rebalance group sizes: moving someone to another paper
mid-session would make them re-read a paper, so `validate(..., balanced=False)` is the check for an edited
assignment.

The module is pure (standard library only) and deterministic: the same students, papers, roles, history
and seed give the same assignment whatever order the inputs come in.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Protocol

from bot.core.errors import ConductorError
from bot.core.partner_search import Cell, Seating, avoid_partners, partner_graph, regroup_partners

__all__ = [
    "Assignment",
    "AssignmentImpossible",
    "History",
    "RoleSlot",
    "Seat",
    "add_student",
    "move",
    "remove_student",
    "solve",
    "swap",
    "validate",
]


@dataclass(frozen=True)
class RoleSlot:
    """A role every paper gets, held by between `min` and `max` students per paper."""

    key: str
    min: int
    max: int
    name: str = ""

    @property
    def label(self) -> str:
        """The role's display name: `name`, or the key when no name is given."""
        return self.name or self.key


@dataclass(frozen=True)
class History:
    """A student's past: the role keys they have held, their past role-partners, and how often each role.

    `times` (role key -> times held) is optional; without it only `roles` counts for rotation.
    """

    roles: frozenset[str] = frozenset()
    partners: frozenset[str] = frozenset()
    times: Mapping[str, int] = field(default_factory=dict, hash=False)

    def fresh(self, role_keys: Iterable[str]) -> frozenset[str]:
        """The roles rotation prefers for this student: held least often (with `times`), else never held.

        Empty when there is no preference (every role held, and no `times` to say which most often).
        """
        keys = list(role_keys)
        if not self.times:
            return frozenset(k for k in keys if k not in self.roles)
        held = {k: max(self.times.get(k, 0), k in self.roles) for k in keys}
        least = min(held.values(), default=0)
        return frozenset(k for k in keys if held[k] == least)


@dataclass(frozen=True, order=True)
class Seat:
    """One student's place: a paper and a role in it."""

    paper: str
    role: str


class AssignmentImpossible(ConductorError):
    """The assignment cannot be made or changed as asked; `.explanation` says what to change."""

    def __init__(self, explanation: str, *, paper: str | None = None, role: str | None = None) -> None:
        super().__init__(explanation)
        self.explanation = explanation
        self.paper = paper
        self.role = role


@dataclass(frozen=True)
class Assignment:
    """An immutable assignment of students to seats, with the papers and roles it was made for."""

    seats: Mapping[str, Seat]
    papers: tuple[str, ...]
    roles: tuple[RoleSlot, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "seats", MappingProxyType(dict(sorted(self.seats.items()))))
        object.__setattr__(self, "papers", tuple(self.papers))
        object.__setattr__(self, "roles", tuple(self.roles))

    def __hash__(self) -> int:
        return hash((frozenset(self.seats.items()), self.papers, self.roles))

    @cached_property
    def _cells(self) -> dict[Seat, tuple[str, ...]]:
        cells: dict[Seat, list[str]] = {}
        for student, seat in self.seats.items():  # already sorted by student id
            cells.setdefault(seat, []).append(student)
        return {seat: tuple(members) for seat, members in cells.items()}

    @property
    def students(self) -> tuple[str, ...]:
        """Every seated student id, sorted."""
        return tuple(self.seats)

    def role(self, key: str) -> RoleSlot:
        """The role slot with this key (KeyError if there is none)."""
        for slot in self.roles:
            if slot.key == key:
                return slot
        raise KeyError(key)

    def members(self, paper: str, role: str) -> tuple[str, ...]:
        """The students holding `role` in `paper`, sorted."""
        return self._cells.get(Seat(paper, role), ())

    def count(self, paper: str, role: str) -> int:
        """How many students hold `role` in `paper`."""
        return len(self.members(paper, role))

    def group(self, paper: str) -> tuple[str, ...]:
        """The students of a paper group, sorted."""
        return tuple(sorted(s for slot in self.roles for s in self.members(paper, slot.key)))

    def partners(self, student: str) -> tuple[str, ...]:
        """The student's role-partners: the others with the same paper and role, sorted."""
        seat = self.seats[student]
        return tuple(s for s in self.members(seat.paper, seat.role) if s != student)

    def table(self) -> list[tuple[str, list[list[str]]]]:
        """The roster as in the seed's spreadsheet: per role, rows "Reviewer 1", "Reviewer 2", ...

        Each role gets as many rows as its largest count in any paper; each row has one cell per paper
        (in `papers` order) holding a student id or "".
        """
        out: list[tuple[str, list[list[str]]]] = []
        for slot in self.roles:
            columns = [self.members(paper, slot.key) for paper in self.papers]
            depth = max((len(c) for c in columns), default=0)
            rows = [[c[i] if i < len(c) else "" for c in columns] for i in range(depth)]
            out.append((slot.label, rows))
        return out

    def row_labels(self) -> list[str]:
        """The table's row labels, flattened: "Reviewer 1", "Reviewer 2", ..."""
        return [f"{label} {i + 1}" for label, rows in self.table() for i in range(len(rows))]


# ---------------------------------------------------------------------------------------------------
# Input checks and their explanations.


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _config_problems(papers: Sequence[str], roles: Sequence[RoleSlot]) -> list[str]:
    problems: list[str] = []
    if not papers:
        problems.append("There are no papers: add at least one paper to the configuration.")
    if not roles:
        problems.append("There are no roles: add at least one role to the configuration.")
    dup_papers = sorted(k for k, n in Counter(papers).items() if n > 1)
    if dup_papers:
        problems.append(f"Paper keys appear twice: {', '.join(dup_papers)}. Give every paper its own key.")
    dup_roles = sorted(k for k, n in Counter(r.key for r in roles).items() if n > 1)
    if dup_roles:
        problems.append(f"Role keys appear twice: {', '.join(dup_roles)}. Give every role its own key.")
    for r in roles:
        if r.min < 0 or r.max < 1:
            problems.append(
                f"Role {r.label} has min {r.min} and max {r.max}: the minimum must be at least 0 and the "
                "maximum at least 1."
            )
        elif r.min > r.max:
            problems.append(
                f"Role {r.label} has min {r.min} > max {r.max}: make the minimum at most the maximum."
            )
    return problems


def _capacity_problem(n: int, papers: Sequence[str], roles: Sequence[RoleSlot]) -> str | None:
    n_papers, n_roles = len(papers), len(roles)
    lo, hi = sum(r.min for r in roles), sum(r.max for r in roles)
    shape = f"{_plural(n_papers, 'paper')} x {_plural(n_roles, 'role')}"
    if n < lo * n_papers:
        mins = {r.min for r in roles}
        if len(mins) == 1:
            each = f"at least {mins.pop()} each ({lo * n_papers} seats needed)"
        else:
            each = f"each role's minimum ({lo * n_papers} seats needed, {lo} per paper)"
        return f"{_plural(n, 'student')} cannot fill {shape} with {each}: lower the minimums or use fewer papers."
    if n > hi * n_papers:
        maxes = {r.max for r in roles}
        if len(maxes) == 1:
            each = f"at most {maxes.pop()} each (at most {hi * n_papers} seats)"
        else:
            each = f"each role's maximum (at most {hi * n_papers} seats, {hi} per paper)"
        return f"{_plural(n, 'student')} do not fit {shape} with {each}: raise the maximums or add papers."
    return None


def _sorted_students(students: Iterable[str]) -> list[str]:
    ordered = sorted(students)
    dups = sorted(k for k, n in Counter(ordered).items() if n > 1)
    if dups:
        raise AssignmentImpossible(
            f"Student ids appear more than once: {', '.join(dups)}. Each student can hold only one seat."
        )
    return ordered


# ---------------------------------------------------------------------------------------------------
# Counts: how many students each (paper, role) gets.


def _level(size: int, lows: Mapping[str, int], highs: Mapping[str, int]) -> tuple[dict[str, int], list[str]]:
    """Water-filling: the most even counts within [lows, highs] below `size`, and the roles that can take +1.

    Returns the counts at the highest level L whose total does not exceed `size`, and the roles that go
    up by one at level L+1; `size - sum(counts)` of them take one extra student.
    """

    def total(level: int) -> int:
        return sum(min(max(level, lows[k]), highs[k]) for k in lows)

    lo, hi = 0, max(highs.values())
    while lo < hi:  # the largest level whose total fits in `size` (total(0) <= size is checked before)
        mid = (lo + hi + 1) // 2
        if total(mid) <= size:
            lo = mid
        else:
            hi = mid - 1
    base = {k: min(max(lo, lows[k]), highs[k]) for k in lows}
    eligible = [k for k in lows if lows[k] <= lo < highs[k]]
    return base, eligible


class _RoundRobin:
    """Hands out extra students over a seeded cycle of roles, continuing where the last paper stopped."""

    def __init__(self, order: Sequence[str]) -> None:
        self.order = list(order)
        self.at = 0

    def pick(self, eligible: Iterable[str], n: int) -> list[str]:
        allowed, picked = set(eligible), list[str]()
        size, last = len(self.order), -1
        for step in range(size):
            if len(picked) == n:
                break
            i = (self.at + step) % size
            if self.order[i] in allowed:
                picked.append(self.order[i])
                last = i
        if picked:
            self.at = (last + 1) % size
        return picked


def _spread(
    size: int, lows: Mapping[str, int], highs: Mapping[str, int], rr: _RoundRobin, taken: Iterable[str] = ()
) -> dict[str, int]:
    """Counts within [lows, highs] summing to `size`, as even as possible; `taken` roles get extras first."""
    base, eligible = _level(size, lows, highs)
    extra = size - sum(base.values())
    chosen = set(taken)
    first = [k for k in eligible if k in chosen][:extra]
    rest = rr.pick([k for k in eligible if k not in first], extra - len(first))
    for k in first + rest:
        base[k] += 1
    return base


# ---------------------------------------------------------------------------------------------------
# Rotation: a small max-flow from student types (their untried roles) to roles.


class _Flow:
    """Dinic's max flow on a small graph (tens of nodes: student types, roles, papers)."""

    def __init__(self) -> None:
        self.adj: list[list[list[int]]] = []  # node -> edges [to, residual capacity, index of reverse edge]
        self.caps: list[tuple[int, int, int]] = []  # edge handle -> (from, index, original capacity)

    def node(self) -> int:
        self.adj.append([])
        return len(self.adj) - 1

    def edge(self, u: int, v: int, cap: int) -> int:
        self.adj[u].append([v, cap, len(self.adj[v])])
        self.adj[v].append([u, 0, len(self.adj[u]) - 1])
        self.caps.append((u, len(self.adj[u]) - 1, cap))
        return len(self.caps) - 1

    def flow(self, handle: int) -> int:
        u, i, cap = self.caps[handle]
        return cap - self.adj[u][i][1]

    def run(self, source: int, sink: int) -> int:
        total = 0
        while True:
            level = [-1] * len(self.adj)
            level[source] = 0
            queue = [source]
            for u in queue:
                for v, cap, _ in self.adj[u]:
                    if cap > 0 and level[v] < 0:
                        level[v] = level[u] + 1
                        queue.append(v)
            if level[sink] < 0:
                return total
            cursor = [0] * len(self.adj)

            def push(u: int, limit: int, level: list[int] = level, cursor: list[int] = cursor) -> int:
                if u == sink:
                    return limit
                edges = self.adj[u]
                while cursor[u] < len(edges):
                    e = edges[cursor[u]]
                    v, cap, rev = e
                    if cap > 0 and level[v] == level[u] + 1:
                        got = push(v, min(limit, cap))
                        if got:
                            e[1] -= got
                            self.adj[v][rev][1] += got
                            return got
                    cursor[u] += 1
                return 0

            while pushed := push(source, 1 << 60):
                total += pushed


_Handles = dict[tuple[str, str], int]  # (paper, role) -> edge handle in the flow network


class _Attach(Protocol):
    """Wires a rotation network's role nodes to its sink; returns what the caller reads back."""

    def __call__(self, net: _Flow, role_nodes: Mapping[str, int], sink: int) -> _Handles: ...


class _EvenCounts(Protocol):
    """Per-paper role counts, as even as possible above the given lows (`taken` roles get extras first)."""

    def __call__(
        self,
        paper_lows: Mapping[str, Mapping[str, int]],
        taken: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, dict[str, int]]: ...


def _rotation_flow(
    types: Sequence[tuple[tuple[str, ...], int]], roles: Sequence[str], attach: _Attach
) -> tuple[int, dict[tuple[int, str], int], _Flow, _Handles]:
    """Max number of students of `types` (untried roles, head count) who get an untried role.

    `attach(net, role_nodes, sink)` wires the role nodes to the sink (the seat structure) and returns
    whatever the caller needs to read back from the flow.
    """
    net = _Flow()
    source, sink = net.node(), net.node()
    role_nodes = {k: net.node() for k in roles}
    handles: dict[tuple[int, str], int] = {}
    for t, (allowed, n) in enumerate(types):
        node = net.node()
        net.edge(source, node, n)
        for k in allowed:
            handles[(t, k)] = net.edge(node, role_nodes[k], n)
    extra = attach(net, role_nodes, sink)
    value = net.run(source, sink)
    return value, {tk: net.flow(h) for tk, h in handles.items()}, net, extra


def _fixed_totals(totals: Mapping[str, int]) -> _Attach:
    def attach(net: _Flow, role_nodes: Mapping[str, int], sink: int) -> _Handles:
        for k, node in role_nodes.items():
            net.edge(node, sink, totals[k])
        return {}

    return attach


# ---------------------------------------------------------------------------------------------------
# solve


def solve(
    students: Iterable[str],
    papers: Sequence[str],
    roles: Sequence[RoleSlot],
    *,
    history: Mapping[str, History] | None = None,
    seed: int = 0,
) -> Assignment:
    """A fresh assignment of every student to a (paper, role) seat; raises AssignmentImpossible."""
    ordered = _sorted_students(students)
    papers, roles = tuple(papers), tuple(roles)
    problems = _config_problems(papers, roles)
    if problems:
        raise AssignmentImpossible(" ".join(problems))
    capacity = _capacity_problem(len(ordered), papers, roles)
    if capacity:
        raise AssignmentImpossible(capacity)
    history = history or {}
    rng = random.Random(seed)

    # Canonical order: the result must not depend on the order papers and roles are listed in.
    paper_keys = sorted(papers)
    role_keys = sorted(r.key for r in roles)
    lows = {r.key: r.min for r in sorted(roles, key=lambda r: r.key)}
    highs = {r.key: r.max for r in sorted(roles, key=lambda r: r.key)}
    n_papers = len(paper_keys)

    # Group sizes: as equal as possible; the seed picks which groups take one more.
    q, extra = divmod(len(ordered), n_papers)
    bigger = set(rng.sample(paper_keys, extra))
    sizes = {p: q + (p in bigger) for p in paper_keys}
    paper_order = paper_keys[:]
    rng.shuffle(paper_order)
    role_order = role_keys[:]
    rng.shuffle(role_order)

    def even_counts(
        paper_lows: Mapping[str, Mapping[str, int]], taken: Mapping[str, Sequence[str]] | None = None
    ) -> dict[str, dict[str, int]]:
        rr = _RoundRobin(role_order)
        return {p: _spread(sizes[p], paper_lows[p], highs, rr, (taken or {}).get(p, ())) for p in paper_order}

    # Rotation types: students grouped by the set of roles they have not had yet.
    fits: dict[str, frozenset[str]] = {}  # student -> untried roles (absent: has had every role)
    for s in ordered:
        untried = history[s].fresh(role_keys) if s in history else frozenset(role_keys)
        if untried:
            fits[s] = untried
    type_members: dict[tuple[str, ...], list[str]] = {}
    for s, untried in fits.items():
        type_members.setdefault(tuple(sorted(untried)), []).append(s)
    type_keys = sorted(type_members)
    types = [(k, len(type_members[k])) for k in type_keys]
    wanted = len(fits)

    def totals(counts: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
        return {k: sum(counts[p][k] for p in paper_keys) for k in role_keys}

    counts = even_counts({p: lows for p in paper_keys})
    got, _, _, _ = _rotation_flow(types, role_keys, _fixed_totals(totals(counts)))
    if got < wanted:
        counts = _counts_for_rotation(types, role_keys, paper_keys, sizes, lows, highs, got, even_counts)

    # Hand out roles: the flow says how many of each type take each untried role.
    got, flows, _, _ = _rotation_flow(types, role_keys, _fixed_totals(totals(counts)))
    by_role: dict[str, list[str]] = {k: [] for k in role_keys}
    leftover: list[str] = [s for s in ordered if s not in fits]
    for t, key in enumerate(type_keys):
        members = type_members[key][:]
        rng.shuffle(members)
        for k in key:
            n = flows.get((t, k), 0)
            by_role[k].extend(members[:n])
            members = members[n:]
        leftover.extend(members)
    leftover.sort()
    rng.shuffle(leftover)
    need = totals(counts)
    for k in role_keys:
        room = need[k] - len(by_role[k])
        by_role[k].extend(leftover[:room])
        leftover = leftover[room:]

    # Deal each role's students over the papers, then swap past partners apart.
    cells: dict[Cell, list[str]] = {}
    for k in role_keys:
        pool = sorted(by_role[k])
        rng.shuffle(pool)
        for p in paper_keys:
            n = counts[p][k]
            cells[(p, k)], pool = pool[:n], pool[n:]
    seating = Seating(cells)
    adj = partner_graph(ordered, history)
    if adj:
        stuck = avoid_partners(seating, adj, fits, rng)
        if stuck:
            regroup_partners(seating, adj, fits, stuck, rng)

    result = Assignment(
        seats={s: Seat(p, k) for (p, k), members in seating.cells.items() for s in members},
        papers=papers,
        roles=roles,
    )
    broken = validate(result, students=ordered)
    if broken:  # a bug, never a half-made assignment
        raise RuntimeError(f"solver produced an invalid assignment: {broken}")
    return result


def _counts_for_rotation(
    types: Sequence[tuple[tuple[str, ...], int]],
    role_keys: Sequence[str],
    paper_keys: Sequence[str],
    sizes: Mapping[str, int],
    lows: Mapping[str, int],
    highs: Mapping[str, int],
    got_even: int,
    even_counts: _EvenCounts,
) -> dict[str, dict[str, int]]:
    """Counts that let more students take an untried role, staying as even as possible.

    Tier 2 keeps the even per-group counts but lets rotation choose which roles take the extra students;
    tier 3 allows any counts within the bounds. The first tier that reaches the best possible number wins.
    """
    slack = {p: sizes[p] - sum(lows.values()) for p in paper_keys}

    def any_counts(net: _Flow, role_nodes: Mapping[str, int], sink: int) -> _Handles:
        paper_nodes = {p: net.node() for p in paper_keys}
        for p, node in paper_nodes.items():
            net.edge(node, sink, slack[p])
        handles: _Handles = {}
        for k, rn in role_nodes.items():
            net.edge(rn, sink, lows[k] * len(paper_keys))
            for p, pn in paper_nodes.items():
                handles[(p, k)] = net.edge(rn, pn, highs[k] - lows[k])
        return handles

    best, _, net3, handles3 = _rotation_flow(types, role_keys, any_counts)
    if best == got_even:
        return even_counts({p: lows for p in paper_keys})

    levels = {p: _level(sizes[p], lows, highs) for p in paper_keys}

    def even_extras(net: _Flow, role_nodes: Mapping[str, int], sink: int) -> _Handles:
        handles: _Handles = {}
        for p in paper_keys:
            base, eligible = levels[p]
            node = net.node()
            net.edge(node, sink, sizes[p] - sum(base.values()))
            for k in eligible:
                handles[(p, k)] = net.edge(role_nodes[k], node, 1)
        for k, rn in role_nodes.items():
            net.edge(rn, sink, sum(levels[p][0][k] for p in paper_keys))
        return handles

    got2, _, net2, handles2 = _rotation_flow(types, role_keys, even_extras)
    if got2 == best:
        taken = {p: [k for (q, k), h in handles2.items() if q == p and net2.flow(h)] for p in paper_keys}
        return even_counts({p: lows for p in paper_keys}, taken=taken)
    raised = {p: {k: lows[k] + net3.flow(handles3[(p, k)]) for k in role_keys} for p in paper_keys}
    return even_counts(raised)


# ---------------------------------------------------------------------------------------------------
# validate


def validate(
    assignment: Assignment, *, students: Iterable[str] | None = None, balanced: bool = True
) -> list[str]:
    """The rules the assignment breaks, as sentences; empty when every rule holds.

    `students`, when given, must be exactly the seated students. `balanced=False` skips the group-size
    rule, which edits made after the start (`remove_student`, `move`) do not restore.
    """
    problems = _config_problems(assignment.papers, assignment.roles)
    paper_set = set(assignment.papers)
    role_set = {r.key for r in assignment.roles}
    for student, seat in assignment.seats.items():
        if seat.paper not in paper_set:
            problems.append(f"{student} is seated in unknown paper {seat.paper!r}.")
        if seat.role not in role_set:
            problems.append(f"{student} holds unknown role {seat.role!r}.")
    for paper in assignment.papers:
        for slot in assignment.roles:
            n = assignment.count(paper, slot.key)
            if n < slot.min:
                problems.append(f"{paper} has {n} {slot.label} (at least {slot.min} needed).")
            elif n > slot.max:
                problems.append(f"{paper} has {n} {slot.label} (at most {slot.max} allowed).")
    if balanced and assignment.papers:
        sizes = {p: len(assignment.group(p)) for p in assignment.papers}
        if max(sizes.values()) - min(sizes.values()) > 1:
            listed = ", ".join(f"{p} {n}" for p, n in sizes.items())
            problems.append(f"Paper group sizes differ by more than one: {listed}.")
    if students is not None:
        wanted = list(students)
        dups = sorted(k for k, n in Counter(wanted).items() if n > 1)
        if dups:
            problems.append(f"Student ids listed more than once: {', '.join(dups)}.")
        missing = sorted(set(wanted) - set(assignment.seats))
        if missing:
            problems.append(f"Students without a seat: {', '.join(missing)}.")
        extra = sorted(set(assignment.seats) - set(wanted))
        if extra:
            problems.append(f"Seated but not in the class: {', '.join(extra)}.")
    return problems


# ---------------------------------------------------------------------------------------------------
# Edits: late arrivals, absences, swaps and moves. Nobody but the named students moves.


def _seat_of(assignment: Assignment, student: str) -> Seat:
    try:
        return assignment.seats[student]
    except KeyError:
        raise AssignmentImpossible(f"{student} has no seat in this assignment.") from None


def _replace(assignment: Assignment, changes: Mapping[str, Seat | None]) -> Assignment:
    seats = dict(assignment.seats)
    for student, seat in changes.items():
        if seat is None:
            del seats[student]
        else:
            seats[student] = seat
    return Assignment(seats=seats, papers=assignment.papers, roles=assignment.roles)


def add_student(
    assignment: Assignment, student: str, *, history: History | None = None, seed: int = 0
) -> Assignment:
    """A late arrival joins the smallest paper group, in a role below its max; nobody else moves.

    Among the smallest groups and the roles below their max, the pick prefers a role new to the student,
    then the role with the fewest students there, then a seat without a past partner; the seed breaks
    ties. Raises AssignmentImpossible if the student already has a seat or every smallest group is full.
    """
    if student in assignment.seats:
        seat = assignment.seats[student]
        raise AssignmentImpossible(f"{student} already has a seat: {seat.role} in {seat.paper}.")
    if not assignment.papers or not assignment.roles:
        raise AssignmentImpossible("There are no papers or no roles to add a student to.")
    past = history or History()
    fresh = past.fresh(r.key for r in assignment.roles)
    sizes = {p: len(assignment.group(p)) for p in assignment.papers}
    smallest = min(sizes.values())
    rng = random.Random(seed)
    options = []
    for paper in sorted(p for p, n in sizes.items() if n == smallest):
        for slot in sorted(assignment.roles, key=lambda r: r.key):
            members = assignment.members(paper, slot.key)
            if len(members) >= slot.max:
                continue
            repeat = bool(fresh) and slot.key not in fresh
            clash = sum(1 for m in members if m in past.partners)
            options.append(((repeat, len(members), clash, rng.random()), Seat(paper, slot.key)))
    if not options:
        raise AssignmentImpossible(
            f"Every role of the smallest paper groups is full, so {student} has no seat: raise the "
            "maximums or add papers."
        )
    return _replace(assignment, {student: min(options)[1]})


def remove_student(assignment: Assignment, student: str, *, allow_below_min: bool = False) -> Assignment:
    """An absent student leaves; nobody else moves. Raises AssignmentImpossible if a role falls below min.

    With `allow_below_min=True` the student is removed anyway (validate then reports the gap).
    """
    seat = _seat_of(assignment, student)
    slot = assignment.role(seat.role)
    left = assignment.count(seat.paper, seat.role) - 1
    if left < slot.min and not allow_below_min:
        have = "no" if left == 0 else f"only {left}"
        raise AssignmentImpossible(
            f"{seat.paper} would have {have} {slot.label} (at least {slot.min} needed): move someone "
            "there with /roles move first, or lower the minimum.",
            paper=seat.paper,
            role=seat.role,
        )
    return _replace(assignment, {student: None})


def swap(assignment: Assignment, a: str, b: str) -> Assignment:
    """Two students exchange seats; every count stays the same, so this always keeps the bounds."""
    seat_a, seat_b = _seat_of(assignment, a), _seat_of(assignment, b)
    if seat_a == seat_b:
        return assignment
    return _replace(assignment, {a: seat_b, b: seat_a})


def move(assignment: Assignment, student: str, paper: str, role: str) -> Assignment:
    """The student takes `role` in `paper`; raises AssignmentImpossible if that breaks a min or max."""
    seat = _seat_of(assignment, student)
    if paper not in assignment.papers:
        raise AssignmentImpossible(
            f"There is no paper {paper!r}: pick one of {', '.join(assignment.papers)}."
        )
    try:
        target = assignment.role(role)
    except KeyError:
        keys = ", ".join(r.key for r in assignment.roles)
        raise AssignmentImpossible(f"There is no role {role!r}: pick one of {keys}.") from None
    new = Seat(paper, role)
    if new == seat:
        return assignment
    source = assignment.role(seat.role)
    left = assignment.count(seat.paper, seat.role) - 1
    if left < source.min:
        have = "no" if left == 0 else f"only {left}"
        raise AssignmentImpossible(
            f"{seat.paper} would have {have} {source.label} (at least {source.min} needed): use /roles swap "
            "instead, or lower the minimum.",
            paper=seat.paper,
            role=seat.role,
        )
    if assignment.count(paper, role) + 1 > target.max:
        raise AssignmentImpossible(
            f"{paper} already has the maximum of {target.max} {target.label}: use /roles swap instead, or "
            "raise the maximum.",
            paper=paper,
            role=role,
        )
    return _replace(assignment, {student: new})
