"""The export's CSV as a spreadsheet opens it: BOM, one column per form field, no cell a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from bot.core.export import (
    BOM,
    CSV_COLUMNS,
    SessionRecord,
    StudentRecord,
    build_csv,
    build_files,
    build_markdown,
    csv_cell,
    form_column,
    parse_students,
)

AT = datetime(2024, 3, 12, 15, 40, tzinfo=UTC)
COLUMNS = (
    "reviewer.summary",
    "reviewer.rating",
    "archaeologist.older_title",
)
STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def student(uid: int, role: str, answers: tuple[tuple[str, str], ...] = (), name: str = "") -> StudentRecord:
    """A seated student of paper DiT."""
    return StudentRecord(
        user_id=uid,
        student_id="",
        name=name or f"Student {uid:02d}",
        paper="DiT",
        role=role,
        partners=(),
        acknowledged=None,
        deliverables=(),
        slides_link="",
        answers=answers,
    )


def record(*students: StudentRecord, columns: tuple[str, ...] = COLUMNS) -> SessionRecord:
    """A session record with these students and form columns."""
    return SessionRecord(
        session_id=3,
        course="02501",
        plan="afternoon",
        status="ended",
        started_at=AT,
        timezone="Europe/Copenhagen",
        students=students,
        form_columns=columns,
    )


def test_a_form_column_is_named_by_role_and_field_key() -> None:
    assert form_column("reviewer", "summary") == "reviewer.summary"


def test_form_columns_follow_the_fixed_ones_and_only_the_students_role_is_filled() -> None:
    reviewer = student(
        1, "Scientific Peer Reviewer", (("reviewer.summary", "Good."), ("reviewer.rating", "Accept"))
    )
    archaeologist = student(2, "Archaeologist", (("archaeologist.older_title", "Attention Is All You Need"),))
    silent = student(3, "Spotlight Presenter")
    rows = {r["discord_id"]: r for r in parse_students(build_csv(record(reviewer, archaeologist, silent)))}
    assert list(rows["1"]) == [*CSV_COLUMNS, *COLUMNS]
    assert (rows["1"]["reviewer.summary"], rows["1"]["reviewer.rating"]) == ("Good.", "Accept")
    assert rows["1"]["archaeologist.older_title"] == ""
    assert rows["2"]["archaeologist.older_title"] == "Attention Is All You Need"
    assert rows["2"]["reviewer.summary"] == rows["3"]["reviewer.summary"] == ""


def test_without_form_fields_the_csv_has_only_the_fixed_columns() -> None:
    text = build_csv(record(student(1, "Spotlight Presenter"), columns=()))
    assert list(parse_students(text)[0]) == list(CSV_COLUMNS)


def test_the_csv_is_utf8_with_a_bom_and_crlf_rows_and_the_report_has_no_bom() -> None:
    files = build_files(record(student(1, "Reviewer", name="Étudiant 07 — café")))
    data = files["session-3.csv"]
    assert data.startswith(b"\xef\xbb\xbf") and data.count(BOM.encode()) == 1
    assert data.decode("utf-8-sig").split("\r\n")[1].split(",")[2] == "Étudiant 07 — café"
    report = files["session-3-report.md"]
    assert not report.startswith(b"\xef\xbb\xbf") and "Étudiant 07 — café".encode() in report
    assert report.decode("utf-8") == build_markdown(record(student(1, "Reviewer", name="Étudiant 07 — café")))


def test_a_multi_line_answer_stays_in_one_cell() -> None:
    answer = "First line.\nSecond line, with a comma.\n=Third line"
    rows = parse_students(build_csv(record(student(1, "Reviewer", (("reviewer.summary", answer),)))))
    assert len(rows) == 1 and rows[0]["reviewer.summary"] == answer


@pytest.mark.parametrize("start", STARTS)
def test_no_cell_of_any_column_starts_a_formula(start: str) -> None:
    evil = start + 'HYPERLINK("http://evil.example","x")'
    nasty = StudentRecord(
        user_id=9,
        student_id=evil,
        name=evil,
        paper=evil,
        role=evil,
        partners=(evil, "Student 02"),
        acknowledged=AT,
        deliverables=(evil,),
        slides_link=evil,
        answers=tuple((c, evil) for c in COLUMNS),
    )
    text = build_csv(record(nasty, columns=(*COLUMNS, evil)))
    cells = [cell for row in csv.reader(io.StringIO(text.removeprefix(BOM), newline="")) for cell in row]
    assert len(cells) == 2 * (len(CSV_COLUMNS) + len(COLUMNS) + 1)
    for cell in cells:
        assert not cell.startswith(STARTS), repr(cell)
    row = parse_students(text)[0]
    assert row["name"] == "'" + evil  # shown as typed, behind the apostrophe that makes it text
    assert row["reviewer.summary"] == "'" + evil


@pytest.mark.parametrize("value", ["", "Student 01", "'=already quoted", "a=b", "1-2", "https://x.org/@me"])
def test_harmless_cells_are_left_alone(value: str) -> None:
    assert csv_cell(value) == value
