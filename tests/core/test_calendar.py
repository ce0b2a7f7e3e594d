"""Calendar reminders: due at their lead, folded after downtime, never twice, none for the past."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import calendar as cal
from bot.core.calendar import Entry, Kind

T = dt.datetime(2024, 3, 19, 12, 0, tzinfo=dt.UTC)
PLAN = Entry(T, "Project plan due", Kind.DEADLINE)
POSTER = Entry(T + dt.timedelta(days=42), "Poster session", Kind.SESSION)
LEADS = {Kind.DEADLINE: (dt.timedelta(days=2), dt.timedelta(hours=2)), Kind.SESSION: (dt.timedelta(days=1),)}


def test_each_lead_falls_due_once_in_turn() -> None:
    before = T - dt.timedelta(days=3)
    assert cal.due([PLAN], LEADS, before, frozenset()) == []
    assert cal.next_wake([PLAN], LEADS, before) == T - dt.timedelta(days=2)
    first = cal.due([PLAN], LEADS, T - dt.timedelta(days=2), frozenset())
    assert [r.lead for r in first] == [dt.timedelta(days=2)]
    done = frozenset({first[0].key})
    assert cal.due([PLAN], LEADS, T - dt.timedelta(days=1), done) == []
    second = cal.due([PLAN], LEADS, T - dt.timedelta(hours=1), done)
    assert [r.lead for r in second] == [dt.timedelta(hours=2)] and second[0].key != first[0].key
    assert cal.due([PLAN], LEADS, T + dt.timedelta(minutes=1), frozenset()) == []  # over: nothing
    assert cal.next_wake([PLAN], LEADS, T) is None


def test_downtime_across_both_leads_posts_only_the_latest() -> None:
    due = cal.due([PLAN, POSTER], LEADS, T - dt.timedelta(minutes=30), frozenset())
    assert [(r.entry.title, r.lead) for r in due] == [("Project plan due", dt.timedelta(hours=2))]


def test_upcoming_keeps_an_all_day_entry_for_its_day() -> None:
    exam = Entry(T + dt.timedelta(days=60), "Oral exam", Kind.EXAM, all_day=True)
    assert cal.upcoming([exam, PLAN, POSTER], T + dt.timedelta(days=60, hours=5)) == [exam]
    assert cal.upcoming([POSTER, PLAN], T - dt.timedelta(days=1)) == [PLAN, POSTER]
    assert PLAN.key == Entry(T, "Project plan due", Kind.DEADLINE).key != POSTER.key


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=80 * 3600), min_size=1, max_size=12))
def test_any_pattern_of_ticks_and_restarts_posts_each_reminder_at_most_once(offsets: list[int]) -> None:
    start = T - dt.timedelta(days=3)
    posted: list[str] = []
    for seconds in sorted(offsets):
        now = start + dt.timedelta(seconds=seconds)
        for r in cal.due([PLAN, POSTER], LEADS, now, frozenset(posted)):
            assert r.entry.at > now and r.entry.at - r.lead <= now
            posted.append(r.key)
    assert len(posted) == len(set(posted))
    assert len(posted) <= 2  # the plan's two leads at most; the poster session's lead is later
