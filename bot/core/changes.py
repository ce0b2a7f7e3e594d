"""Who a change to a confirmed assignment concerns: whose role card changes, and what each thread is told.

Pure: standard library only. Given the seating before and after any change (`/roles swap`, `move`,
`add`, `remove`, or a replaced assignment), `affected` says

* who needs a new card (their seat changed, or they were not seated before);
* whose card is withdrawn (seated before, not after);
* whose card stays but lists other role-partners now, so it is edited in place;
* for each group thread ("group:<paper>") and partner thread ("partners:<paper>:<role>") that a moved
  student leaves or joins, which moves it is told about and whom to ping: the students in that thread
  after the change (never someone who left it, who is no longer a member).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.assignment import Seat

__all__ = ["Affected", "Shift", "ThreadNotice", "affected", "group_key", "partners_key", "threads_of"]


def group_key(paper: str) -> str:
    """The key of a paper group's thread."""
    return f"group:{paper}"


def partners_key(seat: Seat) -> str:
    """The key of a role-partner set's thread (the students holding one role in one paper)."""
    return f"partners:{seat.paper}:{seat.role}"


def threads_of(seat: Seat) -> tuple[str, str]:
    """The two threads a seat belongs to: its group thread and its partner thread."""
    return group_key(seat.paper), partners_key(seat)


@dataclass(frozen=True)
class Shift:
    """One student's seat before and after a change (None: not seated)."""

    student: str
    before: Seat | None
    after: Seat | None


@dataclass(frozen=True)
class ThreadNotice:
    """What one thread is told: the moves seen from it, and whom to ping (its students after the change)."""

    key: str
    shifts: tuple[Shift, ...]
    ping: tuple[str, ...]


@dataclass(frozen=True)
class Affected:
    """Everyone a change concerns, each list sorted by student id."""

    new_cards: tuple[str, ...]  # seated after the change in a seat they did not hold before
    withdrawn: tuple[str, ...]  # seated before, not after
    refreshed: tuple[str, ...]  # same seat, other role-partners: the card is edited in place
    notices: tuple[ThreadNotice, ...]  # one per thread that saw a move and still has students in it

    @property
    def nothing(self) -> bool:
        """Whether the change concerns nobody (the seating is the same)."""
        return not (self.new_cards or self.withdrawn or self.refreshed or self.notices)


def _order(student: str) -> tuple[int, str]:
    """Student ids sort as numbers when they are numbers (Discord ids), else as text."""
    return (int(student), "") if student.isdigit() else (-1, student)


def _members(seats: Mapping[str, Seat]) -> dict[str, set[str]]:
    """Every thread key -> the students in it."""
    out: dict[str, set[str]] = {}
    for student, seat in seats.items():
        for key in threads_of(seat):
            out.setdefault(key, set()).add(student)
    return out


def _partners(seats: Mapping[str, Seat], student: str) -> frozenset[str]:
    seat = seats[student]
    return frozenset(u for u, s in seats.items() if s == seat and u != student)


def affected(before: Mapping[str, Seat], after: Mapping[str, Seat]) -> Affected:
    """Who a change from the seating `before` to `after` concerns (student id -> seat, either side)."""
    students = sorted(set(before) | set(after), key=_order)
    shifts = [Shift(u, before.get(u), after.get(u)) for u in students if before.get(u) != after.get(u)]
    new_cards = tuple(s.student for s in shifts if s.after is not None)
    withdrawn = tuple(s.student for s in shifts if s.after is None)
    refreshed = tuple(
        u
        for u in students
        if u in before and before.get(u) == after.get(u) and _partners(before, u) != _partners(after, u)
    )
    seen: dict[str, list[Shift]] = {}
    for shift in shifts:
        # A set: a student who changes role within one group is told about once in its group thread.
        keys = {k for seat in (shift.before, shift.after) if seat is not None for k in threads_of(seat)}
        for key in keys:
            seen.setdefault(key, []).append(shift)
    members = _members(after)
    notices = tuple(
        ThreadNotice(key, tuple(seen[key]), tuple(sorted(members[key], key=_order)))
        for key in sorted(seen)
        if members.get(key)
    )
    return Affected(new_cards, withdrawn, refreshed, notices)
