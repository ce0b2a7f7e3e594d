"""The session clock, driven by an injected clock: pauses, extensions, skips, restarts."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.errors import ConductorError
from bot.core.timeline import Announce, Finish, Step, Timeline, Warn, decide

T0 = datetime(2024, 3, 12, 12, 50, tzinfo=UTC)  # 13:50 in Copenhagen
MIN = timedelta(minutes=1)
WARN = (timedelta(minutes=2),)


def steps(*minutes: int) -> tuple[Step, ...]:
    return tuple(Step(f"p{i}", f"p{i}", f"Phase {i}", m * MIN, warnings=WARN) for i, m in enumerate(minutes))


def test_current_phase_is_computed_from_the_clock() -> None:
    tl = Timeline(steps(5, 30, 15), T0)
    assert tl.position(T0 - MIN).state == "scheduled"
    assert tl.position(T0).index == 0
    assert tl.position(T0 + 5 * MIN).index == 1
    pos = tl.position(T0 + 20 * MIN)
    assert (pos.index, pos.remaining, pos.next_step.name) == (1, 15 * MIN, "Phase 2")
    assert tl.position(T0 + 50 * MIN).state == "finished"


def test_pause_inside_a_warning_window_freezes_time_left_and_shifts_everything_after() -> None:
    clock = FakeClock(T0)
    tl = Timeline(steps(5, 30, 15), T0)
    clock.advance(minutes=34)  # 1 minute left in phase 1: inside its 2-minute warning window
    tl = tl.pause(clock.now())
    clock.advance(minutes=10)
    pos = tl.position(clock.now())
    assert (pos.state, pos.index, pos.remaining) == ("paused", 1, MIN)
    assert decide(tl, clock.now(), cursor=1).wake_at is None  # nothing fires while paused
    tl = tl.resume(clock.now())
    assert tl.position(clock.now()).remaining == MIN
    assert tl.windows()[2][0] == T0 + 45 * MIN  # the next phase moved by the 10-minute pause
    with pytest.raises(ConductorError, match="not paused"):
        tl.resume(clock.now())


def test_extend_during_a_pause_adds_to_the_frozen_phase() -> None:
    tl = Timeline(steps(5, 30), T0).pause(T0 + 10 * MIN)
    tl = tl.extend(T0 + 12 * MIN, 5 * MIN)
    assert tl.position(T0 + 20 * MIN).remaining == 30 * MIN  # 25 left at the pause, plus 5
    tl = tl.resume(T0 + 20 * MIN)
    assert tl.ends_at == T0 + 50 * MIN


def test_shortening_never_goes_below_now_and_limits_are_explained() -> None:
    tl = Timeline(steps(30, 10), T0)
    short = tl.extend(T0 + 10 * MIN, -60 * MIN)
    assert short.position(T0 + 10 * MIN).index == 1  # ended right now
    with pytest.raises(ConductorError, match="at most a day"):
        tl.extend(T0, timedelta(days=2))
    with pytest.raises(ConductorError, match="non-zero"):
        tl.extend(T0, timedelta())


def test_next_on_the_last_phase_ends_the_session() -> None:
    tl = Timeline(steps(5, 10), T0)
    tl = tl.skip(T0 + 7 * MIN)
    assert tl.position(T0 + 7 * MIN).state == "finished"
    with pytest.raises(ConductorError, match="over"):
        tl.skip(T0 + 8 * MIN)


def test_back_restarts_the_previous_phase_with_its_full_length() -> None:
    tl = Timeline(steps(5, 10, 10), T0)
    tl = tl.back(T0 + 8 * MIN)
    pos = tl.position(T0 + 8 * MIN)
    assert (pos.index, pos.remaining) == (0, 5 * MIN)
    assert tl.windows()[1] == (T0 + 13 * MIN, T0 + 23 * MIN)
    with pytest.raises(ConductorError, match="first phase"):
        tl.back(T0 + 9 * MIN)


def test_stop_then_status() -> None:
    tl = Timeline(steps(5, 10), T0).stop(T0 + 3 * MIN)
    pos = tl.position(T0 + 4 * MIN)
    assert pos.state == "stopped" and pos.step is None
    with pytest.raises(ConductorError, match="over"):
        tl.pause(T0 + 4 * MIN)
    assert decide(tl, T0 + 4 * MIN, cursor=0).actions == (Finish((1,), 0),)


def test_a_plan_with_one_phase() -> None:
    tl = Timeline(steps(3), T0)
    first = decide(tl, T0, cursor=-1)
    assert first.actions == (Announce(0, timedelta(), (), None),)
    assert first.wake_at == T0 + MIN  # the 2-minute warning
    end = decide(tl, T0 + 3 * MIN, cursor=0)
    assert end.actions == (Finish((), 0),) and end.wake_at is None


def test_restart_announces_the_current_phase_late_and_summarises_the_missed_ones() -> None:
    tl = Timeline(steps(5, 5, 15), T0)
    decision = decide(tl, T0 + 13 * MIN, cursor=0)
    (announce, warn_or_none) = (decision.actions[0], decision.actions[1:])
    assert announce == Announce(2, 3 * MIN, (1,), 0)
    assert warn_or_none == ()
    assert decision.cursor == 2


def test_warning_fires_once_and_an_extension_arms_it_again() -> None:
    tl = Timeline(steps(10, 5), T0)
    d = decide(tl, T0 + 8 * MIN, cursor=0)
    (warn,) = d.actions
    assert isinstance(warn, Warn) and warn.remaining == 2 * MIN
    assert decide(tl, T0 + 8 * MIN, cursor=0, done=frozenset(warn.keys)).actions == ()
    longer = tl.extend(T0 + 9 * MIN, 5 * MIN)
    again = decide(longer, T0 + 13 * MIN, cursor=0, done=frozenset(warn.keys))
    assert [type(a) for a in again.actions] == [Warn]


def test_a_warning_due_at_the_end_is_folded_into_the_next_post() -> None:
    tl = Timeline(steps(10, 5), T0)
    d = decide(tl, T0 + 10 * MIN - timedelta(seconds=1), cursor=0)
    (warn,) = d.actions
    assert warn.remaining is None  # marked done, nothing posted


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        Timeline(steps(1), datetime(2024, 3, 12, 13, 50))  # noqa: DTZ001


def test_step_round_trips_through_json() -> None:
    step = Step(
        "present/dit/reviewer",
        "present",
        "DiT - Reviewer",
        3 * MIN,
        "class",
        "slot",
        "dit",
        "reviewer",
        (timedelta(seconds=30),),
    )
    assert Step.from_json(step.to_json()) == step
