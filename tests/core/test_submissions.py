"""Links, forms and exports: what is accepted, what is refused with which words, and what others see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.export import (
    CSV_COLUMNS,
    DeliverableRecord,
    EventRecord,
    LinkRecord,
    SessionRecord,
    StudentRecord,
    build_csv,
    build_markdown,
    parse_students,
)
from bot.core.plan import Field
from bot.core.submissions import (
    InvalidLink,
    check_form,
    count_sentences,
    normalise_url,
    slides_group,
    slides_thread,
)

AT = datetime(2024, 3, 12, 15, 40, tzinfo=UTC)
NASTY = "@everyone <@123> <@&55> **bold** [click](https://evil.example) `code`"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (
            "  HTTPS://Docs.Google.COM/presentation/d/AbC?x=Y#Z ",
            "https://docs.google.com/presentation/d/AbC?x=Y#Z",
        ),
        ("http://Slides.Example.org:8080/P", "http://slides.example.org:8080/P"),
        ("https://example.org", "https://example.org"),
    ],
)
def test_links_are_stored_normalised(typed: str, stored: str) -> None:
    assert normalise_url(typed) == stored


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("", "empty"),
        ("docs.google.com/x", "starting with `https://`"),
        ("ftp://example.org/x", "Only web links"),
        ("javascript:alert(1)", "`javascript:` links are not accepted"),
        ("JavaScript:alert(1)", "`javascript:` links are not accepted"),
        ("data:text/html,<script>", "`data:` links are not accepted"),
        ("https://", "no website"),
        ("https:///path", "no website"),
        ("https://nodot/path", "no website"),
        ("https://user:pw@example.org/", "user name or password"),
        ("https://example.org/a b", "spaces"),
        ("https://example.org:99999/", "could not read"),
        ("https://example.org/" + "a" * 500, "at most 512"),
    ],
)
def test_bad_links_are_refused_with_what_to_do(typed: str, why: str) -> None:
    with pytest.raises(InvalidLink) as refused:
        normalise_url(typed)
    assert why in str(refused.value)


def test_sentences_are_counted_without_tripping_on_abbreviations_and_numbers() -> None:
    assert count_sentences("One. Two! Three? Four, e.g. with 3.5 points et al. agree. Five") == 5
    assert count_sentences("") == 0
    assert count_sentences("No full stop at all") == 1


SUMMARY = Field("summary", "Summary", "long", min_length=20, max_length=400, min_sentences=5, max_sentences=7)
RATING = Field("rating", "Rating", kind="choice", choices=("Accept", "Reject"))
LINK = Field("link", "Link", kind="url")


def test_a_form_is_checked_field_by_field_and_kept_as_typed() -> None:
    bad = check_form((SUMMARY, RATING, LINK), {"summary": "Too few. Sentences here.", "rating": "Maybe"})
    assert not bad.ok
    assert bad.problems == (
        "**Summary** has 2 sentence(s); the guidance is 5-7 sentences.",
        "**Rating** must be one of: Accept, Reject.",
        "**Link** is empty: please fill it in.",
    )
    text = "A one. B two. C three. D four. E five @everyone."
    good = check_form(
        (SUMMARY, RATING, LINK), {"summary": f"  {text} ", "rating": "Accept", "link": "HTTPS://X.org/a"}
    )
    assert good.ok and good.values == {"summary": text, "rating": "Accept", "link": "https://x.org/a"}
    long = check_form((SUMMARY,), {"summary": "x. " * 300})
    assert "keep it to 400" in long.problems[0]


@settings(deadline=None)  # a shared machine: time is not what is tested
@given(
    st.dictionaries(
        st.sampled_from(["summary", "rating", "link", "other"]),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
        | st.sampled_from(["Accept", "https://x.org"]),
    )
)
def test_each_problem_belongs_to_the_field_it_names(typed: dict[str, str]) -> None:
    checked = check_form((SUMMARY, RATING, LINK), typed)
    assert checked.problems == tuple(checked.by_field.values())
    assert list(checked.by_field) == [f.key for f in (SUMMARY, RATING, LINK) if f.key in checked.by_field]
    for key, problem in checked.by_field.items():
        label = {"summary": SUMMARY, "rating": RATING, "link": LINK}[key].label
        assert problem.startswith(f"**{label}**")


def record() -> SessionRecord:
    student = StudentRecord(
        user_id=42,
        student_id='=HYPERLINK("http://evil")',
        name=NASTY,
        paper="Gemini",
        role="Scientific Peer Reviewer",
        partners=("Student 02", "Student 03"),
        acknowledged=AT,
        deliverables=("Scientific Peer Reviewer form",),
        slides_link="https://slides.example.org/g",
    )
    return SessionRecord(
        session_id=7,
        course="02501",
        plan="afternoon",
        status="ended",
        started_at=AT,
        timezone="Europe/Copenhagen",
        students=(student,),
        events=(EventRecord(AT, "pause"), EventRecord(AT, "extend", "extended by 5 min")),
        links=(
            LinkRecord("Gemini", "https://slides.example.org/g", NASTY, AT),
            LinkRecord("DiT", None, "", None),
        ),
        deliverables=(DeliverableRecord("Gemini", "Reviewer", NASTY, AT, (("Strengths", NASTY),)),),
    )


def test_the_csv_parses_back_and_no_cell_is_a_formula() -> None:
    text = build_csv(record())
    rows = parse_students(text)
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert rows[0]["student_id"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["name"] == "'" + NASTY  # starts with @: a formula in some spreadsheets
    assert rows[0]["partners"] == "Student 02; Student 03"
    assert rows[0]["acknowledged"] == "2024-03-12T15:40:00+00:00"
    assert rows[0]["slides_link"] == "https://slides.example.org/g"


def test_the_report_neutralises_student_text() -> None:
    report = build_markdown(record())
    assert "@everyone" not in report and "<@123>" not in report and "**bold**" not in report
    assert "[click](" not in report
    assert "`https://slides.example.org/g`" in report and "no slides submitted" in report
    assert "extended by 5 min" in report and "pause" in report


def test_slides_group_is_the_paper_group_or_with_role_the_paper_role_group() -> None:
    assert slides_group("dit", "reviewer") == "dit"
    assert slides_thread("dit", "reviewer") == "group:dit"
    assert slides_group("dit", "reviewer", "role") == "dit/reviewer"
    assert slides_thread("dit", "reviewer", "role") == "partners:dit:reviewer"
