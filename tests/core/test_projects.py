"""The project rules: clear refusals, the lock, and invariants under random sequences of actions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import projects as rules
from bot.core.errors import ConductorError
from bot.core.projects import GroupStatus, OwnStatus, ProjectRules, ProjectState, Proposal

NOW = dt.datetime(2024, 3, 12, 13, 0, tzinfo=dt.UTC)
PROPOSALS = (
    Proposal("a", "Alpha", ("Aasa",), max_groups=2),
    Proposal("b", "Beta", ("Dimitrios",), max_groups=1),
    Proposal("c", "Gamma", ("Manxi",), max_groups=2),
)


def fresh(lock: dt.datetime | None = None) -> ProjectState:
    return ProjectState(PROPOSALS, ProjectRules(max_size=4, min_size=3, lock_at=lock))


def with_ids(state: ProjectState) -> ProjectState:
    """Give new groups (id 0) ids, as the database does."""
    top = max((g.id for g in state.groups), default=0)
    groups = []
    for g in state.groups:
        if g.id == 0:
            top += 1
            g = rules.Group(top, g.name, g.code, g.members, g.proposal, g.own)
        groups.append(g)
    return ProjectState(state.proposals, state.rules, tuple(groups))


def test_a_group_forms_chooses_and_the_full_proposal_names_the_alternatives() -> None:
    s = with_ids(rules.create_group(fresh(), 1, "  Pixel   pushers ", "AAAAAA", NOW)[0])
    assert s.groups[0].name == "Pixel pushers"
    s = rules.join(s, 2, s.by_code(" aaa aaa ").id, NOW)
    s = rules.choose(s, 1, "b", NOW)
    assert s.group_of(2).status == GroupStatus.PROPOSAL  # type: ignore[union-attr]
    s = with_ids(rules.create_group(s, 3, "Other", "BBBBBB", NOW)[0])
    with pytest.raises(ConductorError, match=r"\*\*Beta\*\* is full.*Still free: \*\*Alpha\*\*"):
        rules.choose(s, 3, "b", NOW)
    with pytest.raises(ConductorError, match="already in the group"):
        rules.create_group(s, 1, "Third", "CCCCCC", NOW)
    with pytest.raises(ConductorError, match="exists already"):
        rules.create_group(s, 9, "pixel PUSHERS", "DDDDDD", NOW)
    with pytest.raises(ConductorError, match="No group has the code"):
        s.by_code("ZZZZZZ")


def test_the_size_limit_leaving_and_the_last_one_out() -> None:
    s = with_ids(rules.create_group(fresh(), 1, "G", "AAAAAA", NOW)[0])
    gid = s.groups[0].id
    for u in (2, 3, 4):
        s = rules.join(s, u, gid, NOW)
    with pytest.raises(ConductorError, match="full \\(4 students"):
        rules.join(s, 5, gid, NOW)
    s = rules.choose(s, 1, "a", NOW)
    for u in (1, 2, 3, 4):
        s = rules.leave(s, u, NOW)
    assert s.groups == () and s.taken("a") == 0  # dissolved: its place is free again
    with pytest.raises(ConductorError, match="not in a group"):
        rules.leave(s, 1, NOW)


def test_own_projects_are_approved_or_sent_back_with_a_reason() -> None:
    s = with_ids(rules.create_group(fresh(), 1, "G", "AAAAAA", NOW)[0])
    gid = s.groups[0].id
    s = rules.choose(s, 1, "b", NOW)
    s = rules.propose_own(s, 1, "Gaze", "Estimating gaze.", NOW)
    assert s.group(gid).status == GroupStatus.PROPOSAL and s.taken("b") == 1  # the place is kept meanwhile
    returned = rules.send_back(s, gid, "  Not   vision ", NOW)
    assert returned.group(gid).own == rules.OwnProposal(
        "Gaze", "Estimating gaze.", OwnStatus.RETURNED, "Not vision"
    )
    s = rules.approve(s, gid, NOW)
    assert s.group(gid).status == GroupStatus.OWN and s.taken("b") == 0
    with pytest.raises(ConductorError, match="no own project waiting"):
        rules.approve(s, gid, NOW)
    with pytest.raises(ConductorError, match="title is empty"):
        rules.propose_own(s, 1, "   ", "x", NOW)
    closed = ProjectState(PROPOSALS, ProjectRules(own_allowed=False), s.groups)
    with pytest.raises(ConductorError, match="does not take own project"):
        rules.propose_own(closed, 1, "T", "A", NOW)


def test_after_the_lock_only_an_instructor_changes_anything() -> None:
    lock = NOW + dt.timedelta(days=7)
    s = with_ids(rules.create_group(fresh(lock), 1, "G", "AAAAAA", NOW)[0])
    gid = s.groups[0].id
    later = lock + dt.timedelta(seconds=1)
    for attempt in (
        lambda: rules.join(s, 2, gid, later),
        lambda: rules.leave(s, 1, later),
        lambda: rules.choose(s, 1, "a", later),
        lambda: rules.create_group(s, 5, "H", "BBBBBB", later),
        lambda: rules.propose_own(s, 1, "T", "A", later),
    ):
        with pytest.raises(
            ConductorError, match=f"locked on <t:{int(lock.timestamp())}:F>. Ask an instructor"
        ):
            attempt()
    s = rules.place(s, 2, gid, later)
    s = rules.choose(s, 99, "a", later, instructor=True, group_id=gid)
    assert s.group(gid).members == (1, 2) and s.group(gid).proposal == "a"


def test_an_instructor_moves_a_student_out_of_their_group() -> None:
    s = with_ids(rules.create_group(fresh(), 1, "G", "AAAAAA", NOW)[0])
    s = with_ids(rules.create_group(s, 2, "H", "BBBBBB", NOW)[0])
    h = s.group_of(2).id  # type: ignore[union-attr]
    s = rules.place(s, 1, h, NOW)
    assert [g.name for g in s.groups] == ["H"] and s.group(h).members == (2, 1)


def test_weekly_occurrences_keep_the_local_clock_across_daylight_saving() -> None:
    tz = ZoneInfo("Europe/Copenhagen")
    start = dt.datetime(2024, 3, 12, tzinfo=dt.UTC)
    until = dt.datetime(2024, 4, 10, tzinfo=dt.UTC)
    chats = rules.weekly(1, dt.time(15, 0), start, until, tz)
    assert [c.astimezone(tz).strftime("%m-%d %H:%M") for c in chats] == [
        "03-12 15:00",
        "03-19 15:00",
        "03-26 15:00",
        "04-02 15:00",
        "04-09 15:00",
    ]
    assert chats[2].hour == 14 and chats[3].hour == 13  # UTC moves, the wall clock does not


# --- invariants under random sequences ------------------------------------------------------------

USERS = st.integers(min_value=1, max_value=14)
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), USERS, st.sampled_from(["A", "B", "C", "D", "E"])),
        st.tuples(st.just("join"), USERS, st.integers(1, 6)),
        st.tuples(st.just("leave"), USERS, st.none()),
        st.tuples(st.just("choose"), USERS, st.sampled_from(["a", "b", "c", "zz"])),
        st.tuples(st.just("propose"), USERS, st.none()),
        st.tuples(st.just("approve"), st.integers(1, 6), st.none()),
        st.tuples(st.just("place"), USERS, st.integers(1, 6)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(ACTIONS)
def test_no_sequence_of_actions_breaks_the_rules(actions: list[tuple[str, int, object]]) -> None:
    s = fresh()
    codes = iter(f"C{i:05d}" for i in range(1000))
    for act, who, arg in actions:
        try:
            if act == "create":
                s = with_ids(rules.create_group(s, who, str(arg), next(codes), NOW)[0])
            elif act == "join":
                s = rules.join(s, who, int(arg), NOW)  # type: ignore[call-overload]
            elif act == "leave":
                s = rules.leave(s, who, NOW)
            elif act == "choose":
                s = rules.choose(s, who, str(arg), NOW)
            elif act == "propose":
                s = rules.propose_own(s, who, "Own", "Abstract", NOW)
            elif act == "approve":
                s = rules.approve(s, who, NOW)
            else:
                s = rules.place(s, who, int(arg), NOW)  # type: ignore[call-overload]
        except ConductorError as refused:
            assert str(refused)  # every refusal says something
        assert rules.problems(s) == []
        assert all(s.taken(p.key) <= p.max_groups for p in s.proposals)
        assert all(len(g.members) <= s.rules.max_size for g in s.groups)
        members = [u for g in s.groups for u in g.members]
        assert len(members) == len(set(members))
