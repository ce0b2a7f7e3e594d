"""What the projector shows, from the timeline alone, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import load_config
from bot.core.projector import Mark, board
from bot.core.steps import build_steps
from bot.core.timeline import Timeline

COURSE = load_config(Path(__file__).resolve().parents[2] / "config.toml")
PLAN = COURSE.plan("reading-group")
T0 = datetime(2024, 3, 12, 12, 50, tzinfo=UTC)  # 13:50 in Copenhagen
CPH = ZoneInfo("Europe/Copenhagen")
MIN = timedelta(minutes=1)


def timeline() -> Timeline:
    return Timeline(build_steps(COURSE, PLAN), T0)


def test_before_the_start_it_says_when_and_what_comes_first() -> None:
    b = board(COURSE, PLAN.name, timeline(), T0 - 10 * MIN, {}, {})
    shown = b.to_json(CPH)
    assert shown["state"] == "scheduled" and shown["starts_clock"] == "13:50"
    assert shown["next_name"] == PLAN.phases[0].name and shown["next_clock"] == "13:50"
    assert all(p["mark"] == "later" for p in shown["run_of_show"])


def test_a_running_phase_shows_its_end_the_next_phase_and_marks_the_past() -> None:
    tl = timeline()
    b = board(COURSE, PLAN.name, tl, T0 + 6 * MIN, {}, {})
    assert b.state == "running" and b.title == PLAN.phases[1].name
    assert b.ends_at == T0 + 35 * MIN and b.remaining_s == 29 * 60
    assert b.next_name == PLAN.phases[2].name
    assert [p.mark for p in b.run_of_show][:3] == [Mark.PAST, Mark.NOW, Mark.LATER]
    assert b.slot is None and b.queue == ()


def test_paused_freezes_the_time_left() -> None:
    tl = timeline().pause(T0 + 6 * MIN)
    later = board(COURSE, PLAN.name, tl, T0 + 16 * MIN, {}, {})
    assert later.state == "paused" and later.remaining_s == 29 * 60


def test_a_talk_shows_its_presenters_slides_and_the_queue() -> None:
    tl = timeline()
    talks = [i for i, s in enumerate(tl.steps) if s.kind == "slot"]
    first = tl.steps[talks[0]]
    start, _ = tl.windows()[talks[0]]
    paper, role = first.paper or "", first.role or ""
    names = {(paper, role): ("Student A", "<b>B</b>")}
    b = board(COURSE, PLAN.name, tl, start + timedelta(seconds=10), names, {paper: "https://x.example/s"})
    assert b.slot is not None and b.slot.presenters == ("Student A", "<b>B</b>")
    assert b.slot.paper == COURSE.paper(paper).title and b.slot.role == COURSE.role(role).name
    assert b.slot.slides == "https://x.example/s"
    assert b.title == "Present slides" and b.warning_s == 30
    assert len(b.queue) == 4 and b.queue[0].key == tl.steps[talks[1]].key
    assert b.next_name == tl.steps[talks[1]].name  # the next talk, not the next phase


def test_after_the_end_it_says_done() -> None:
    tl = timeline().stop(T0 + MIN)
    b = board(COURSE, PLAN.name, tl, T0 + 2 * MIN, {}, {})
    assert (b.state, b.title, b.ends_at, b.next_name) == ("stopped", "Done", None, None)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-3600, max_value=5 * 3600), st.booleans())
def test_at_any_instant_at_most_one_phase_is_now_and_the_past_comes_first(offset: int, paused: bool) -> None:
    tl = timeline()
    now = T0 + timedelta(seconds=offset)
    if paused and tl.position(now).state == "running":
        tl = tl.pause(now)
        now += timedelta(minutes=7)
    b = board(COURSE, PLAN.name, tl, now, {}, {})
    marks = [p.mark for p in b.run_of_show]
    assert marks.count(Mark.NOW) == (1 if b.state in ("running", "paused") else 0)
    assert marks == sorted(marks, key=[Mark.PAST, Mark.NOW, Mark.LATER].index)
    if b.remaining_s is not None:
        assert b.remaining_s >= 0
    assert b.to_json(CPH)["state"] == b.state
