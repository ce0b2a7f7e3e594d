"""The pure plan domain: phase scheduling, local start times across DST, slot arithmetic."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import load_config
from bot.core.plan import Phase, Plan, plan_start_on, scheduled_phases, slot_count, slots_needed

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
CPH = ZoneInfo("Europe/Copenhagen")


def _plan(*minutes: int, start: dt.time | None = None) -> Plan:
    phases = tuple(
        Phase(key=f"p{i}", name=f"Phase {i}", duration=dt.timedelta(minutes=m)) for i, m in enumerate(minutes)
    )
    return Plan(name="test", phases=phases, start=start)


def test_scheduled_phases_chains_durations() -> None:
    plan = _plan(40, 10, 5)
    start = dt.datetime(2024, 3, 12, 13, 0, tzinfo=CPH)
    got = [(p.key, s.strftime("%H:%M"), e.strftime("%H:%M")) for p, s, e in scheduled_phases(plan, start)]
    assert got == [("p0", "13:00", "13:40"), ("p1", "13:40", "13:50"), ("p2", "13:50", "13:55")]
    assert plan.total == dt.timedelta(minutes=55)


def test_scheduled_phases_returns_times_in_the_start_zone() -> None:
    start = dt.datetime(2024, 3, 12, 12, 0, tzinfo=dt.UTC).astimezone(CPH)
    (_, s, e), *_ = scheduled_phases(_plan(30), start)
    assert s.tzinfo is CPH and e.tzinfo is CPH
    assert s == dt.datetime(2024, 3, 12, 12, 0, tzinfo=dt.UTC)


def test_scheduled_phases_keeps_real_durations_across_a_dst_change() -> None:
    # 01:30 CET on 31 March 2024; clocks jump from 02:00 to 03:00.
    start = dt.datetime(2024, 3, 31, 1, 30, tzinfo=CPH)
    (_, s, e), (_, s2, e2) = scheduled_phases(_plan(60, 30), start)
    assert e.astimezone(dt.UTC) - s.astimezone(dt.UTC) == dt.timedelta(hours=1)
    assert e.strftime("%H:%M %Z") == "03:30 CEST"
    assert e2.astimezone(dt.UTC) == dt.datetime(2024, 3, 31, 2, 0, tzinfo=dt.UTC)
    assert s2 == e


def test_scheduled_phases_rejects_naive_start() -> None:
    with pytest.raises(ValueError, match="aware"):
        scheduled_phases(_plan(5), dt.datetime(2024, 3, 12, 13, 0))  # noqa: DTZ001


def test_scheduled_phases_of_the_shipped_afternoon() -> None:
    course = load_config(CONFIG)
    plan = course.plan("afternoon")
    start = plan_start_on(plan, dt.date(2024, 3, 12), course.tz)
    rows = scheduled_phases(plan, start.astimezone(course.tz))
    clock = [(p.key, s.strftime("%H:%M")) for p, s, _ in rows]
    assert clock[0] == ("proposals", "13:00")
    assert ("assign", "13:50") in clock
    assert ("present", "16:10") in clock
    assert rows[-1][2].strftime("%H:%M") == "17:00"


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (dt.date(2024, 3, 30), 12),  # CET, UTC+1
        (dt.date(2024, 3, 31), 11),  # CEST from 02:00 that night, UTC+2
        (dt.date(2024, 10, 26), 11),  # still CEST
        (dt.date(2024, 10, 27), 12),  # back to CET
    ],
)
def test_plan_start_on_across_copenhagen_dst(day: dt.date, utc_hour: int) -> None:
    plan = _plan(10, start=dt.time(13, 0))
    got = plan_start_on(plan, day, CPH)
    assert got == dt.datetime.combine(day, dt.time(utc_hour, 0), tzinfo=dt.UTC)
    assert got.tzinfo is dt.UTC
    assert got.astimezone(CPH).strftime("%H:%M") == "13:00"


def test_plan_start_on_accepts_a_zone_name_and_defaults_to_midnight() -> None:
    got = plan_start_on(_plan(10), dt.date(2024, 3, 31), "Europe/Copenhagen")
    assert got == dt.datetime(2024, 3, 30, 23, 0, tzinfo=dt.UTC)


def test_slots_needed_is_papers_times_presenting_roles_times_slot() -> None:
    course = load_config(CONFIG)
    present = course.phases["present"]
    assert slot_count(course) == 16
    assert slots_needed(course, present) == dt.timedelta(minutes=48)
    assert slots_needed(course, course.phases["group"]) == dt.timedelta()


def test_course_helpers() -> None:
    course = load_config(CONFIG)
    assert course.role("reviewer").name == "Scientific Peer Reviewer"
    assert course.paper("dit").teachers == ("Dimitrios",)
    assert course.plan().name == "afternoon"
    assert course.plan("reading-group").start == dt.time(13, 50)
    assert [r.key for r in course.presenting_roles] == [
        "spotlight",
        "reviewer",
        "archaeologist",
        "researcher",
    ]
    assert course.tz == CPH
    assert course.seats_per_paper == (5, 14)
    assert course.class_size_range == (20, 56)
    with pytest.raises(KeyError):
        course.role("hacker")
    with pytest.raises(KeyError):
        course.plan("evening")
    with pytest.raises(KeyError):
        course.paper("nope")


def test_domain_objects_are_frozen() -> None:
    plan = _plan(5)
    with pytest.raises(AttributeError):
        plan.name = "other"  # type: ignore[misc]
