"""A session's record as files: a CSV (one row per student) and a Markdown report.

Pure: standard library only, built from plain dataclasses read from the database, so `/export` and
`python -m bot export` write the same bytes (`build_files`). Student text is neutralised: no CSV cell
can start a spreadsheet formula, and the Markdown shows what was typed without mentions, markdown or
masked links taking effect. The CSV is UTF-8 with a byte-order mark, so Excel reads accents right, and
carries one column per configured form field (`role.field`), filled for the students of that role.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.core.durations import duration

CSV_COLUMNS = (
    "student_id",
    "discord_id",
    "name",
    "paper",
    "role",
    "partners",
    "acknowledged",
    "deliverables_submitted",
    "slides_link",
)


@dataclass(frozen=True)
class StudentRecord:
    """One student's line of the export."""

    user_id: int
    student_id: str
    name: str
    paper: str
    role: str
    partners: tuple[str, ...]
    acknowledged: datetime | None
    deliverables: tuple[str, ...]  # labels of the fields submitted ("" when none)
    slides_link: str
    answers: tuple[tuple[str, str], ...] = ()  # (form column, value) of the student's current form


@dataclass(frozen=True)
class EventRecord:
    """Something that happened to the session's clock."""

    at: datetime
    kind: str
    detail: str = ""


@dataclass(frozen=True)
class PhaseRecord:
    """A phase as it actually ran."""

    name: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class LinkRecord:
    """A slides group's current link (a paper group, or a paper-role group), or its absence."""

    paper: str
    url: str | None
    by: str
    at: datetime | None


@dataclass(frozen=True)
class DeliverableRecord:
    """One student's current deliverable: (field label, value) pairs."""

    paper: str
    role: str
    name: str
    at: datetime
    answers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SessionRecord:
    """Everything the export files say about one session."""

    session_id: int
    course: str
    plan: str
    status: str
    started_at: datetime
    timezone: str
    students: tuple[StudentRecord, ...]
    phases: tuple[PhaseRecord, ...] = ()
    events: tuple[EventRecord, ...] = ()
    links: tuple[LinkRecord, ...] = ()
    deliverables: tuple[DeliverableRecord, ...] = field(default_factory=tuple)
    form_columns: tuple[str, ...] = ()  # one per configured form field, "role.field", in config order


BOM = "\ufeff"
FORMULA_STARTS = frozenset("=+-@\t\r\n")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a formula start (= + - @, tab, CR, LF) gets a leading apostrophe."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def form_column(role_key: str, field_key: str) -> str:
    """The CSV column of one form field: the role's key and the field's key, e.g. `reviewer.summary`."""
    return f"{role_key}.{field_key}"


def _iso(when: datetime | None) -> str:
    return when.isoformat(timespec="seconds") if when else ""


def build_csv(record: SessionRecord) -> str:
    """The CSV: a BOM, a header and one row per student (sorted by paper, role and user), every cell guarded.

    After the fixed columns comes one column per configured form field; a student's own role's fields
    hold their current answers, every other role's are empty.
    """
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(c) for c in (*CSV_COLUMNS, *record.form_columns)])
    for s in sorted(record.students, key=lambda s: (s.paper, s.role, s.user_id)):
        answers = dict(s.answers)
        cells = [
            s.student_id,
            str(s.user_id),
            s.name,
            s.paper,
            s.role,
            "; ".join(s.partners),
            _iso(s.acknowledged),
            "; ".join(s.deliverables),
            s.slides_link,
            *(answers.get(column, "") for column in record.form_columns),
        ]
        writer.writerow([csv_cell(cell) for cell in cells])
    return out.getvalue()


_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#|/)(?=[\w:])", re.IGNORECASE)


def defuse_mentions(text: str) -> str:
    """Break @everyone, @here and <@…>, <@&…>, <#…> so the report pings nobody when pasted into a chat."""
    return _MENTION.sub(lambda m: m.group(0)[0] + "\u200b" + m.group(0)[1:], text)


def md_text(text: str) -> str:
    """Student text for the Markdown report: markdown and HTML escaped, mentions defused, one line."""
    escaped = "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|~" else c for c in text)
    return defuse_mentions(escaped.replace("\r", "").replace("\n", "<br>"))


def md_link(url: str | None) -> str:
    """A stored link in the report: as a code span (shown, never rendered as markup)."""
    if not url:
        return "no slides submitted"
    return "`" + url.replace("`", "%60") + "`"


def _time(when: datetime | None) -> str:
    return when.strftime("%H:%M:%S UTC") if when else ""


def _minutes(delta: timedelta) -> str:
    return duration(delta, exact=True)


def build_markdown(record: SessionRecord) -> str:
    """The report: assignment table, the timeline as it ran (pauses, extensions), links and deliverables."""
    lines = [
        f"# {md_text(record.course)}: session {record.session_id}",
        "",
        f"Plan **{md_text(record.plan)}**, started {_iso(record.started_at)} ({record.status}). "
        f"Times are UTC; the course runs in {record.timezone}.",
        "",
        "## Assignment",
        "",
        "| Student | Id | Paper | Role | Partners | Acknowledged | Deliverables | Slides |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in sorted(record.students, key=lambda s: (s.paper, s.role, s.name)):
        cells = [
            md_text(s.name),
            md_text(s.student_id),
            md_text(s.paper),
            md_text(s.role),
            md_text(", ".join(s.partners)) or "—",
            _time(s.acknowledged) or "no",
            md_text(", ".join(s.deliverables)) or "none",
            md_link(s.slides_link or None),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Timeline as it ran", ""]
    if record.phases:
        lines += ["| Phase | Start | End | Length |", "| --- | --- | --- | --- |"]
        for p in record.phases:
            lines.append(
                f"| {md_text(p.name)} | {_time(p.start)} | {_time(p.end)} | {_minutes(p.end - p.start)} |"
            )
        lines.append("")
    for e in record.events:
        detail = f": {md_text(e.detail)}" if e.detail else ""
        lines.append(f"- {_time(e.at)} {md_text(e.kind)}{detail}")
    lines += ["", "## Slides", ""]
    for link in record.links:
        who = f" (by {md_text(link.by)}, {_time(link.at)})" if link.url else ""
        lines.append(f"- **{md_text(link.paper)}**: {md_link(link.url)}{who}")
    lines += ["", "## Deliverables", ""]
    if not record.deliverables:
        lines.append("None submitted.")
    for d in sorted(record.deliverables, key=lambda d: (d.paper, d.role, d.name)):
        lines += ["", f"### {md_text(d.paper)}: {md_text(d.role)}, {md_text(d.name)}", ""]
        lines.append(f"Submitted {_iso(d.at)}.")
        lines.append("")
        for label, value in d.answers:
            lines.append(f"- **{md_text(label)}**: {md_text(value) if value else '—'}")
    return "\n".join(lines).rstrip() + "\n"


def filenames(session_id: int) -> tuple[str, str]:
    """The export's file names."""
    return f"session-{session_id}.csv", f"session-{session_id}-report.md"


def build_files(record: SessionRecord) -> dict[str, bytes]:
    """The export's files by name, as the exact bytes written (both UTF-8; the CSV starts with a BOM)."""
    csv_name, md_name = filenames(record.session_id)
    return {csv_name: build_csv(record).encode("utf-8"), md_name: build_markdown(record).encode("utf-8")}


def parse_students(text: str) -> list[dict[str, str]]:
    """Read an exported CSV back (for checks): one dict per student row (a leading BOM is ignored)."""
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM), newline="")))


def event_detail(kind: str, data: Mapping[str, Any]) -> str:
    """A readable detail for a stored timeline event (pause, extend by N min, …)."""
    if kind == "extend" and data.get("minutes") is not None:
        minutes = float(data["minutes"])
        return f"{'extended' if minutes > 0 else 'shortened'} by {duration(timedelta(minutes=abs(minutes)), exact=True)}"
    if kind == "start":
        return f"plan {data.get('plan', '')}"
    if kind == "finished":
        return "stopped early" if data.get("stopped") else "ran to the end"
    if kind == "slot-ended" and data.get("overtime_s"):
        overtime = float(data["overtime_s"])
        sign = "+" if overtime >= 0 else "-"
        return (
            f"{data.get('slot', '')} overtime {sign}{duration(timedelta(seconds=abs(overtime)), exact=True)}"
        )
    return ""


__all__: Sequence[str] = (
    "BOM",
    "CSV_COLUMNS",
    "DeliverableRecord",
    "EventRecord",
    "LinkRecord",
    "PhaseRecord",
    "SessionRecord",
    "StudentRecord",
    "build_csv",
    "build_files",
    "build_markdown",
    "csv_cell",
    "event_detail",
    "filenames",
    "form_column",
    "md_link",
    "md_text",
    "parse_students",
)
