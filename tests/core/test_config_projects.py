"""`[[projects]]`, `[project_rules]`, `[[calendar]]` and `[calendar_reminders]`: the shipped values, the
errors (naming file, key and line) and the check-config summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.config import ConfigError, check_config, load_config
from bot.config_summary import summarize
from bot.core.calendar import Kind

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_projects_rules_and_calendar() -> None:
    course = load_config(CONFIG)
    assert len(course.projects) == 14
    by_key = {p.key: p for p in course.projects}
    assert by_key["gorillas"].supervisors == ("Aasa",)
    assert by_key["explain-vit"].supervisors == ("Paraskevas", "Manxi")
    assert all(p.max_groups == 2 for p in course.projects)
    r = course.project_rules
    assert (r.min_size, r.recommended_size, r.max_size, r.own_allowed, r.phase) == (
        3,
        4,
        4,
        True,
        "proposals",
    )
    assert r.lock_at == dt.datetime(2024, 3, 19, 12, 0, tzinfo=dt.UTC)  # 13:00 in Copenhagen (CET)
    assert r.chat_weekday == 1 and r.chat_time == dt.time(15, 0)
    titles = [e.title for e in course.calendar]
    assert titles[0].startswith("Intro to Course") and titles[-1].startswith("Oral exam")
    exam = course.calendar[-1]
    assert exam.kind == Kind.EXAM and exam.all_day
    poster = next(e for e in course.calendar if "poster session" in e.title)
    assert poster.at == dt.datetime(2024, 4, 30, 11, 0, tzinfo=dt.UTC)  # CEST from 31 March
    assert course.calendar_leads[Kind.DEADLINE] == (dt.timedelta(days=2), dt.timedelta(hours=2))
    summary = summarize(course)
    assert "Project proposals (14):" in summary and "Calendar (16 entries):" in summary
    assert "choices lock 2024-03-19 13:00" in summary and "deadline: 2d, 2h" in summary


def test_mistakes_are_named_with_their_key_and_line(tmp_path: Path) -> None:
    text = CONFIG.read_text(encoding="utf-8")
    text = text.replace('lock = "2024-03-19 13:00"', 'lock = "next tuesday"')
    text = text.replace('phase = "proposals"', 'phase = "proposal"')
    text = text.replace("max_size = 4 ", "max_size = 2 ")
    text = text.replace('date = "2024-02-06"', 'date = "2024-02-30"')
    text = text.replace('deadline = ["2d", "2h"]', 'deadline = ["2 days"]')
    text = text.replace('key = "cubedetr"', 'key = "foodclip"')
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    problems = "\n".join(caught.value.problems)
    assert "project_rules.lock" in problems and "next tuesday" in problems
    assert "unknown phase 'proposal'" in problems
    assert "min_size (3) <= recommended_size (4) <= max_size (2)" in problems
    assert "calendar[1].date" in problems and "2024-02-30" in problems
    assert "calendar_reminders.deadline[0]" in problems and "'2 days'" in problems
    assert "duplicate project key 'foodclip'" in problems
    assert all("c.toml" in p for p in caught.value.problems)
    assert any(":" in p.split("c.toml", 1)[1][:6] for p in caught.value.problems)  # a line number


def test_unknown_supervisors_and_a_missing_lock_are_warnings(tmp_path: Path) -> None:
    text = CONFIG.read_text(encoding="utf-8")
    text = text.replace('supervisors = ["Manxi"]', 'supervisors = ["Manxy"]')
    text = text.replace('lock = "2024-03-19 13:00"', "")
    _, warnings = check_config(write(tmp_path, text))
    assert any("'Manxy' is not in [[teachers]]" in w for w in warnings)
    assert any("no lock deadline" in w for w in warnings)
