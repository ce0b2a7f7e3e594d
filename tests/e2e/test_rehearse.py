"""The dry run: the whole reading-group afternoon, compressed, with a simulated class."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    steps = len(rehearsal.fast_plan.phases) - 1 + 16 + 1  # 7 phases, 16 talks and the wrap-up
    assert (
        0.8 * steps <= report.phases <= steps
    )  # a few talks may be folded into "also over" under rate limits
    assert report.dms + report.fallbacks == 22  # every student got exactly one card or a fallback
    assert report.fallbacks == len(rehearsal.behaviour.dms_closed)
    assert report.acknowledged == 22 - len(rehearsal.behaviour.dms_closed) - len(
        rehearsal.behaviour.never_ack
    )
    assert report.submissions >= 2  # every group but the silent one submits slides
    assert any("Paused: the clock is stopped" in line for line in lines)
    assert any(line.startswith("Summary") for line in lines)
    assert (tmp_path / "transcript.txt").read_text().count("Now:") >= report.phases
    assert "role cards: " in (tmp_path / "summary.txt").read_text()
