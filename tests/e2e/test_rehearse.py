"""The dry run: the whole reading-group afternoon, compressed, with a simulated class."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.export import parse_students
from bot.core.rehearsal import form_timing
from bot.rehearse import Options, Rehearsal

from .conftest import SHIPPED

pytestmark = pytest.mark.e2e


async def test_a_rehearsal_runs_the_whole_afternoon_and_reports_it(tmp_path: Path) -> None:
    lines: list[str] = []
    rehearsal = Rehearsal(
        Options(
            config=SHIPPED,
            plan="reading-group",
            speed=500,
            students=22,
            seed=3,
            out=tmp_path,
            echo=lines.append,
        )
    )
    report = await rehearsal.run()

    assert report.problems == []
    assert report.steps == 7 + 16 + 1  # 7 phases, 16 talks and the wrap-up
    # At 500x a 3-minute talk lasts 0.36 s, faster than Discord lets one channel be posted to: some talks
    # are folded into the next post's "also over" line instead of being announced one by one.
    assert 0.5 * report.steps <= report.phases <= report.steps
    assert report.checked_in == 22  # everyone pressed "I'm here" before /assign
    assert report.dms + report.fallbacks == 22  # every student got exactly one card or a fallback
    assert report.fallbacks == len(rehearsal.behaviour.dms_closed)
    assert report.acknowledged == 22 - len(rehearsal.behaviour.dms_closed) - len(
        rehearsal.behaviour.never_ack
    )
    assert report.submissions >= 2  # every group but the silent one submits slides
    # Every student whose role has a form files it through /deliverable (a few late), except one who never does.
    assert report.forms_due >= 2
    _, never = form_timing(rehearsal.behaviour, range(report.forms_due))
    assert len(never) == 1 and report.deliverables == report.forms_due - len(never)
    silent = rehearsal.course.papers[rehearsal.behaviour.silent_group].title
    reminded = [line for line in report.transcript if f"#{silent} - group" in line and "Reminder:" in line]
    assert reminded  # the finalize phase reminded the group that never submitted
    assert any("Paused: the clock is stopped" in line for line in lines)
    assert any(line.startswith("Summary") for line in lines)
    assert (tmp_path / "transcript.txt").read_text().count("Now:") >= report.phases
    assert "role cards: " in (tmp_path / "summary.txt").read_text()
    # The same export as `python -m bot export`, written next to the transcript.
    assert sorted(p.suffix for p in report.exports) == [".csv", ".md"]
    assert all(p.parent == tmp_path for p in report.exports)
    csv_file = next(p for p in report.exports if p.suffix == ".csv")
    assert len(parse_students(csv_file.read_text())) == 22  # one row per student
    assert (
        f"deliverables: {report.deliverables} of {report.forms_due}" in (tmp_path / "summary.txt").read_text()
    )
