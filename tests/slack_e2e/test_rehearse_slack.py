"""The dry run on Slack: the reading-group afternoon, compressed, with a simulated class on the Slack sandbox."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest

from bot.core.export import parse_students
from bot.core.rehearsal import form_timing
from bot.rehearsal_report import ROLE_FORMS, Options, Report
from bot.rehearse_slack import SlackRehearsal, announced, texts
from slack_sandbox import Kind

from ..e2e.conftest import SHIPPED

pytestmark = pytest.mark.e2e


async def test_a_rehearsal_on_slack_runs_the_afternoon_and_its_summary_matches_what_the_class_saw(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    pages: list[asyncio.Task[int]] = []

    async def open_page(url: str) -> int:  # the projector page, opened while the rehearsal runs
        async with aiohttp.ClientSession() as client, client.get(url) as page:
            return page.status

    def echo(line: str) -> None:
        lines.append(line)
        if (link := re.search(r"Projector page .*: (\S+)$", line)) is not None:
            pages.append(asyncio.get_running_loop().create_task(open_page(link.group(1))))

    options = Options(
        config=SHIPPED, plan="reading-group", speed=300, students=22, seed=3, out=tmp_path, echo=echo
    )
    rehearsal = SlackRehearsal(options)
    report = await rehearsal.run()
    sb = rehearsal.sandbox
    students = [sb.member(f"student{i:02d}") for i in range(1, 23)]
    b = rehearsal.behaviour

    assert report.problems == []
    assert report.steps == 7 + 16 + 1  # 7 phases, 16 talks and the wrap-up
    # Each step announced once: in the class channel, or in every room of its audience (one step each).
    channel = sb.channel("reading-group")
    in_class = [h for m in sb.posts(channel) if (h := announced(sb.workspace, m))]
    in_rooms = {h for room in rehearsal.rooms() for m in sb.posts(room) if (h := announced(sb.workspace, m))}
    assert report.phases == len(in_class) + len(in_rooms)
    assert 0.5 * report.steps <= report.phases <= report.steps and len(report.lateness_ms) == report.phases
    assert [await page for page in pages] == [200], "the projector page was served during the run"

    # Check-in, cards and Got it, as the students saw them.
    def saw(student_index: int, words: str) -> bool:
        return any(words in e.text for e in students[student_index].ephemerals())

    assert report.checked_in == sum(saw(i, "Checked in") for i in range(22)) == 22
    carded = [s for s in students if any(d.buttons[:1] == ("Got it",) for d in s.dms())]
    assert report.dms == len(carded) == 22 and report.fallbacks == 0  # Slack has no closed DMs
    thanked = sum(saw(i, "Got it: your teacher can see") for i in range(22))
    assert report.acknowledged == thanked == 22 - len(b.never_ack)

    # Slides: every group but the silent one, each told once; the silent group reminded in its room.
    assert report.submissions == sum(saw(i, "your group's slides link") for i in range(22)) == 3
    silent = rehearsal.course.papers[b.silent_group].title.lower().replace(" ", "-")
    group_room = next(r for r in rehearsal.rooms() if r.name.endswith(f"{silent}-group"))
    assert any("Reminder:" in m.text for m in sb.posts(group_room))

    # Role forms: each student whose role has one files it in its Slack form (a few late), but one.
    _, never = form_timing(b, range(report.forms_due))
    assert report.forms_due >= 2 and len(never) == 1
    assert report.deliverables == report.forms_due - len(never) and report.not_yet == []
    saved = {v.user for v in sb.modals.views.values() if any("form for" in t for t in texts(v.blocks))}
    assert len(saved) == report.deliverables  # each told so in the form's own window
    summary = (tmp_path / "summary.txt").read_text()
    assert f"deliverables: {report.deliverables} of {report.forms_due} role forms filed" in summary

    # Requests: every Web API call and response_url answer the sandbox took, and its 429s.
    assert report.requests == len(sb.requests) + len(sb.responses.posts)
    assert report.rate_limited == len(sb.rate_limited)
    assert (
        f"requests to Slack: {report.requests}, rate-limited (429) answers: {report.rate_limited}" in summary
    )
    rooms = rehearsal.rooms()
    assert rooms and all(r.is_archived for r in rooms), "every room was opened, then archived at the end"
    assert all(r.kind is Kind.PRIVATE for r in rooms)

    assert any("Paused: the clock is stopped" in line for line in lines)
    assert (tmp_path / "transcript.txt").read_text().count("Now:") >= report.phases
    assert sorted(p.suffix for p in report.exports) == [".csv", ".md"]
    csv_file = next(p for p in report.exports if p.suffix == ".csv")
    assert len(parse_students(csv_file.read_text())) == 22
    sb.assert_clean()


def test_a_part_the_platform_does_not_offer_yet_is_said_so_not_counted_as_nothing_filed() -> None:
    report = Report(platform="Slack", forms_due=35)
    report.missing(ROLE_FORMS)
    report.missing(ROLE_FORMS)  # many students were told; the summary says it once
    report.missing("project groups")
    summary = report.summary()
    assert "deliverables: role forms are not on Slack yet (35 would be due)" in summary
    assert "role forms filed" not in summary
    assert summary.count("not on Slack yet") == 2 and "not on Slack yet: project groups" in summary
