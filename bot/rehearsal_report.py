"""A dry run's record on any platform: what to rehearse, the transcript, the measured outcome and its summary.

The figures come from the database the bot wrote (who checked in, how each card went, what was filed)
and from when the platform received each phase post (`Received`), so the summary reads the same on
Discord and on Slack and says what was measured, not what was meant.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.core.plan import Course
from bot.core.submissions import DELIVERABLE, SLIDES
from bot.storage.models import Acknowledgement, AssignmentRow, CheckIn, PostRow, SessionRow, Submission

BAR = 30
#: What the summary calls the role forms when a platform's front end does not offer them yet.
ROLE_FORMS = "role forms"

#: When the platform stored a post the outbox sent (None: it never got there).
Received = Callable[[PostRow], datetime | None]


@dataclass
class Options:
    """What to rehearse and how."""

    config: Path = Path("config.toml")
    speed: float | None = None
    students: int = 43
    seed: int = 0
    plan: str | None = None
    out: Path | None = None
    echo: Callable[[str], None] = print
    platform: str = "discord"


@dataclass
class Report:
    """What the rehearsal measured."""

    platform: str = "Discord"
    phases: int = 0
    steps: int = 0
    lateness_ms: list[float] = field(default_factory=list)
    dms: int = 0
    checked_in: int = 0
    fallbacks: int = 0
    acknowledged: int = 0
    submissions: int = 0
    deliverables: int = 0
    forms_due: int = 0
    exports: list[Path] = field(default_factory=list)
    requests: int = 0
    rate_limited: int = 0
    traffic: str = ""  # what the requests were, in the platform's terms (e.g. which methods got 429s)
    duration_s: float = 0.0
    transcript: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    not_yet: list[str] = field(default_factory=list)  # parts the platform's front end does not offer yet

    def missing(self, part: str) -> None:
        """Note a part of the afternoon the platform does not offer yet (once)."""
        if part not in self.not_yet:
            self.not_yet.append(part)

    def summary(self) -> str:
        """A readable closing summary."""
        late = (
            f"median {statistics.median(self.lateness_ms):.0f} ms, max {max(self.lateness_ms):.0f} ms"
            if self.lateness_ms
            else "n/a"
        )
        forms = (
            f"  deliverables: {ROLE_FORMS} are not on {self.platform} yet ({self.forms_due} would be due)"
            if ROLE_FORMS in self.not_yet
            else f"  deliverables: {self.deliverables} of {self.forms_due} role forms filed"
        )
        traffic = f" ({self.traffic})" if self.traffic else ""
        return "\n".join(
            [
                "Summary",
                f"  phases and talks announced: {self.phases} of {self.steps}, the rest summarised "
                f"(lateness {late})",
                f"  checked in: {self.checked_in}",
                f"  role cards: {self.dms} by DM, {self.fallbacks} by fallback in the group's room; "
                f"{self.acknowledged} acknowledged",
                f"  slides links stored: {self.submissions}",
                forms,
                *(f"  not on {self.platform} yet: {part}" for part in self.not_yet if part != ROLE_FORMS),
                *(f"  export: {', '.join(p.name for p in self.exports)}" for _ in self.exports[:1]),
                f"  requests to {self.platform}: {self.requests}, rate-limited (429) answers: "
                f"{self.rate_limited}{traffic}",
                f"  wall time: {self.duration_s:.1f} s",
                *(f"  PROBLEM: {p}" for p in self.problems),
            ]
        )


class Transcript:
    """Prints every post the bot makes, with the time since the start and where it went."""

    def __init__(self, echo: Callable[[str], None], total: float) -> None:
        self.echo = echo
        self.began = time.monotonic()
        self.total = total
        self.lines: list[str] = []

    def add(self, where: str, text: str, class_channel: bool) -> None:
        """Record one post (or edit) in `where`; a phase starting in the class channel moves the bar."""
        elapsed = time.monotonic() - self.began
        line = f"[{elapsed:7.1f}s] {where:<34} {text}"
        self.lines.append(line)  # the file keeps whole lines; the screen gets one line each
        self.echo(line if len(line) <= 150 else line[:149] + "…")
        if text.startswith("Now:") and class_channel:
            done = min(1.0, elapsed / self.total) if self.total else 1.0
            filled = round(done * BAR)
            self.echo(f"           [{'#' * filled}{'.' * (BAR - filled)}] {done:4.0%}")


async def measure(report: Report, database_url: str, course: Course, received: Received) -> int | None:
    """Read the stored outcome into `report`: lateness of each announcement, deliveries, submissions.

    Returns the session's id (None when no session was started).
    """
    from bot.storage.db import Database

    database = Database(database_url)
    try:
        async with database.session() as s:
            row = await s.scalar(select(SessionRow).order_by(SessionRow.id.desc()).limit(1))
            acks = list(await s.scalars(select(Acknowledgement)))
            subs = list(await s.scalars(select(Submission).where(Submission.current)))
            seats = list(await s.scalars(select(AssignmentRow).where(AssignmentRow.status == "confirmed")))
            report.checked_in = len(list(await s.scalars(select(CheckIn))))
            posts = list(await s.scalars(select(PostRow).where(PostRow.key.startswith("start:"))))
    finally:
        await database.close()
    report.dms = sum(a.delivery == "dm" for a in acks)
    report.fallbacks = sum(a.delivery == "fallback" for a in acks)
    report.acknowledged = sum(a.acknowledged_at is not None for a in acks)
    report.submissions = sum(sub.kind == SLIDES for sub in subs)
    report.deliverables = sum(sub.kind == DELIVERABLE for sub in subs)
    report.forms_due = sum(bool(course.role(seat.role_key).fields) for seat in seats)
    if row is None:
        return None
    report.steps = len(row.entries)
    starts = [row.started_at]
    for ms in row.durations_ms[:-1]:
        starts.append(starts[-1] + timedelta(milliseconds=ms))
    first_post: dict[int, datetime] = {}
    for post in posts:
        at = received(post) if post.message_id is not None else None
        if at is None:
            continue
        index = int(post.key.split(":")[1])
        first_post[index] = min(at, first_post.get(index, at))
    # A step that started while another was still being posted (rate limits) may have been folded into
    # the next post's "already over" line: it counts as summarised, not as announced.
    report.lateness_ms = [(at - starts[i]).total_seconds() * 1000 for i, at in sorted(first_post.items())]
    report.phases = len(first_post)
    return row.id


async def export(course: Course, database_url: str, session_id: int, out: Path) -> list[Path]:
    """Write the session's export files (the CSV and the report), as `python -m bot export` does."""
    from bot.compose import offline_application

    async with offline_application(course, database_url) as app:
        files = await app.submissions.export_files(session_id)
    written = []
    for name, data in files.items():
        (out / name).write_bytes(data)
        written.append(out / name)
    return written
