"""`affected`: who a change to the seating concerns (new cards, withdrawn, refreshed, thread notices)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.assignment import Seat
from bot.core.changes import affected, group_key, partners_key, threads_of

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEATS = st.builds(Seat, st.sampled_from(["p1", "p2", "p3"]), st.sampled_from(["r1", "r2"]))
SEATINGS = st.dictionaries(st.sampled_from([str(n) for n in range(100, 112)]), SEATS, max_size=12)


def partners(seats: dict[str, Seat], student: str) -> set[str]:
    return {u for u, s in seats.items() if s == seats[student] and u != student}


def members(seats: dict[str, Seat], key: str) -> set[str]:
    return {u for u, s in seats.items() if key in threads_of(s)}


def test_a_removal_tells_the_partner_and_the_group_and_refreshes_the_partners_card() -> None:
    before = {
        "1": Seat("a", "rev"),
        "2": Seat("a", "rev"),
        "3": Seat("a", "pres"),
        "4": Seat("b", "rev"),
    }
    after = {k: v for k, v in before.items() if k != "1"}
    got = affected(before, after)
    assert got.new_cards == () and got.withdrawn == ("1",) and got.refreshed == ("2",)
    notices = {n.key: n for n in got.notices}
    assert set(notices) == {"group:a", "partners:a:rev"}
    assert notices["partners:a:rev"].ping == ("2",)  # the partner left alone, not the one who left
    assert notices["group:a"].ping == ("2", "3")
    assert [s.student for s in notices["group:a"].shifts] == ["1"]


def test_a_swap_within_one_group_is_told_once_there_and_in_both_partner_threads() -> None:
    before = {"1": Seat("a", "rev"), "2": Seat("a", "pres"), "3": Seat("a", "rev")}
    after = {"1": Seat("a", "pres"), "2": Seat("a", "rev"), "3": Seat("a", "rev")}
    got = affected(before, after)
    assert got.new_cards == ("1", "2") and got.refreshed == ("3",)
    notices = {n.key: n for n in got.notices}
    assert len(notices["group:a"].shifts) == 2
    assert notices["partners:a:rev"].ping == ("2", "3")
    assert notices["partners:a:pres"].ping == ("1",)


def test_ids_sort_as_numbers() -> None:
    before = {"9": Seat("a", "r"), "10": Seat("a", "r")}
    got = affected({}, before)
    assert got.new_cards == ("9", "10") and got.notices[0].ping == ("9", "10")


@FAST
@given(SEATINGS, SEATINGS)
def test_exactly_the_students_whose_card_would_read_differently_are_concerned(
    before: dict[str, Seat], after: dict[str, Seat]
) -> None:
    got = affected(before, after)
    assert set(got.withdrawn) == set(before) - set(after)
    assert set(got.new_cards) == {u for u in after if before.get(u) != after[u]}
    assert not set(got.new_cards) & set(got.refreshed)
    # A card shows a seat and its role-partners: it changes exactly for new cards and refreshed ones.
    stale = {
        u
        for u in after
        if u not in before or before[u] != after[u] or partners(before, u) != partners(after, u)
    }
    assert set(got.new_cards) | set(got.refreshed) == stale
    for field in (got.new_cards, got.withdrawn, got.refreshed):
        assert list(field) == sorted(field, key=int) and len(set(field)) == len(field)


@FAST
@given(SEATINGS, SEATINGS)
def test_notices_ping_only_members_and_every_member_of_a_thread_that_saw_a_move(
    before: dict[str, Seat], after: dict[str, Seat]
) -> None:
    got = affected(before, after)
    moved = {u for u in set(before) | set(after) if before.get(u) != after.get(u)}
    keys = [n.key for n in got.notices]
    assert keys == sorted(set(keys))
    told = {n.key: n for n in got.notices}
    for notice in got.notices:
        # Ping everyone in the thread after the change (the group, the partner left alone, the new
        # partner), and nobody else: someone who left a private thread is not pinged back into it.
        assert set(notice.ping) == members(after, notice.key) and notice.ping
        for shift in notice.shifts:
            seats = [s for s in (shift.before, shift.after) if s is not None]
            assert any(notice.key in threads_of(s) for s in seats)
        assert len({s.student for s in notice.shifts}) == len(notice.shifts)
    for u in moved:
        for seat in (before.get(u), after.get(u)):
            if seat is None:
                continue
            for key in threads_of(seat):
                if members(after, key):  # a thread left empty has nobody to tell
                    assert u in {s.student for s in told[key].shifts}
    # Everyone whose partners changed hears it in their partner thread; everyone whose group changed,
    # in their group thread.
    for u, seat in after.items():
        if before.get(u) != seat or partners(before, u) != partners(after, u):
            assert u in told[partners_key(seat)].ping
        if members(before, group_key(seat.paper)) != members(after, group_key(seat.paper)) or any(
            before.get(m) != after.get(m) for m in members(after, group_key(seat.paper))
        ):
            assert u in told[group_key(seat.paper)].ping


@FAST
@given(SEATINGS)
def test_no_change_concerns_nobody(seats: dict[str, Seat]) -> None:
    assert affected(seats, dict(seats)).nothing
