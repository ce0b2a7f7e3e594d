"""Loading and validating config.toml: the shipped file, every rule, and robustness on garbage."""

import dataclasses
import datetime as dt
import math
import pickle
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import ConfigError, check_config, load_config
from bot.config_summary import main_check_config, summarize
from bot.core.plan import Plan

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
SHIPPED = CONFIG.read_text(encoding="utf-8")

MINIMAL = """\
[course]
name = "C"
timezone = "Europe/Copenhagen"

[discord]
instructor_roles = ["Instructor"]
student_role = "Student"
class_channel = "rg"

[[papers]]
key = "p1"
title = "Paper"
link = "https://example.org/p1"

[[roles]]
key = "r1"
name = "Role"
brief = "Do it."
min = 1
max = 2
presents = true

[[phases]]
key = "work"
name = "Work"
minutes = 10

[[phases]]
key = "present"
name = "Present"
kind = "presentation"
minutes = 5
slot_minutes = 3

[plans.main]
phases = ["work", "present"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def replace(text: str, old: str, new: str, count: int = 1) -> str:
    assert old in text, old
    return text.replace(old, new, count)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert info.value.problems
    return info.value.problems


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def at(text: str, needle: str, occurrence: int = 1) -> str:
    """The ":LINE:" fragment for the line containing `needle`."""
    return f":{line_of(text, needle, occurrence)}:"


EXTRA_KEY = 'key = "extra"'


def one(found: list[str], *fragments: str) -> str:
    """The single problem containing all fragments."""
    matching = [p for p in found if all(f in p for f in fragments)]
    assert len(matching) == 1, (fragments, found)
    return matching[0]


# --- the shipped configuration ---------------------------------------------------------------------


def test_shipped_config_loads_without_warnings() -> None:
    course, warnings = check_config(CONFIG)
    assert warnings == []
    assert course.name == "02501 Advanced Deep Learning in Computer Vision"
    assert course.timezone == "Europe/Copenhagen"
    assert len(course.papers) == 4
    assert len(course.roles) == 5
    assert len(course.presenting_roles) == 4
    assert course.default_plan == "afternoon"
    afternoon = course.plan()
    assert (afternoon.start, afternoon.end) == (dt.time(13, 0), dt.time(17, 0))
    assert afternoon.total == dt.timedelta(minutes=240)
    reading = course.plan("reading-group")
    assert (reading.start, reading.end) == (dt.time(13, 50), dt.time(17, 0))
    assert reading.total == dt.timedelta(minutes=190)
    assert course.warning_offsets == (dt.timedelta(seconds=120),)
    assert course.ack_reminder == dt.timedelta(minutes=10)
    assert course.instructor_roles == ("Instructor", "Teacher")
    assert course.student_role == "Student"
    assert course.class_channel == "reading-group"
    assert course.dev_guild_id is None and course.api_base is None and course.gateway_url is None
    assert course.paper("controlnet").teachers == ("Thanos", "Manxi")
    assert {t.name for t in course.teachers} >= {"Aasa", "Dimitrios", "Morten"}


def test_shipped_fields_and_phases() -> None:
    course = load_config(str(CONFIG))
    reviewer = course.role("reviewer")
    assert [f.key for f in reviewer.fields] == [
        "summary",
        "strengths",
        "weaknesses",
        "rating",
        "justification",
    ]
    rating = reviewer.field("rating")
    assert rating.kind == "choice" and rating.choices[0] == "Accept" and rating.style == "short"
    summary = reviewer.field("summary")
    assert (summary.style, summary.min_sentences, summary.max_sentences) == ("long", 5, 7)
    assert course.role("archaeologist").field("older_link").kind == "url"
    assert course.role("spotlight").fields == ()
    assert course.role("impact").presents is False
    assert course.role("reviewer").brief.startswith("The paper has not been published yet")
    present = course.phases["present"]
    assert present.kind == "presentation" and present.slot == dt.timedelta(minutes=3)
    assert course.phases["finalize"].collect_slides is True
    assert course.phases["partners"].audience == "partners"
    assert course.phases["proposals"].kind == "activity"


def test_minimal_config_defaults(tmp_path: Path) -> None:
    course, warnings = check_config(write(tmp_path, MINIMAL))
    assert warnings == []
    assert course.default_plan == "main"
    assert course.teachers == ()
    assert course.role("r1").plural == "Roles"
    assert course.plan().start is None


def test_seconds_and_native_toml_times(tmp_path: Path) -> None:
    text = replace(MINIMAL, "minutes = 10", "seconds = 30")
    text = replace(text, "slot_minutes = 3", "slot_seconds = 20")
    text = replace(text, "[plans.main]\n", "[plans.main]\nstart = 09:15:00\n")
    text = replace(
        text,
        "[[papers]]",
        "[session]\nack_reminder_seconds = 5\nwarning_seconds = [10, 60, 10]\n\n[[papers]]",
    )
    course = load_config(write(tmp_path, text))
    assert course.phases["work"].duration == dt.timedelta(seconds=30)
    assert course.phases["present"].slot == dt.timedelta(seconds=20)
    assert course.plan().start == dt.time(9, 15)
    assert course.ack_reminder == dt.timedelta(seconds=5)
    assert course.warning_offsets == (dt.timedelta(seconds=60), dt.timedelta(seconds=10))


# --- errors, on the shipped layout (file, key path and line) -------------------------------------------


def test_error_names_file_key_and_line(tmp_path: Path) -> None:
    text = replace(SHIPPED, "minutes = 30\n", "minutes = 0\n")
    line = line_of(text, "minutes = 0")
    (problem,) = problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'config.toml'}:{line}: phases[key=do-role].minutes: ")
    assert "> 0" in problem


def test_str_of_config_error_lists_problems(tmp_path: Path) -> None:
    text = replace(SHIPPED, "minutes = 30\n", "minutes = 0\n")
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert "1 configuration problem" in str(info.value)
    assert pickle.loads(pickle.dumps(info.value)).problems == info.value.problems
    assert "phases[key=do-role].minutes" in str(info.value)


def test_both_minutes_and_seconds(tmp_path: Path) -> None:
    text = replace(SHIPPED, "minutes = 15\n", "minutes = 15\nseconds = 900\n")
    p = one(problems(tmp_path, text), "phases[key=partners].seconds", "not both")
    assert f":{line_of(text, 'seconds = 900')}:" in p


def test_neither_minutes_nor_seconds(tmp_path: Path) -> None:
    text = replace(SHIPPED, 'minutes = 5\naudience = "class"', 'audience = "class"')
    p = one(problems(tmp_path, text), "phases[key=assign]", "minutes = N or seconds = N")
    assert f":{line_of(text, '[[phases]]', 3)}:" in p


def test_minutes_wrong_type(tmp_path: Path) -> None:
    text = replace(SHIPPED, "minutes = 60\n", 'minutes = "60"\n')
    p = one(problems(tmp_path, text), "phases[key=group].minutes", "integer")
    assert at(text, 'minutes = "60"') in p


def test_slot_rules(tmp_path: Path) -> None:
    text = replace(SHIPPED, "minutes = 50\nslot_minutes = 3\n", "minutes = 50\n")
    one(problems(tmp_path, text), "phases[key=present]", "slot_minutes")
    text = replace(SHIPPED, "minutes = 60\n", "minutes = 60\nslot_minutes = 3\n")
    p = one(problems(tmp_path, text), "phases[key=group].slot_minutes", "presentation")
    assert f":{line_of(text, 'slot_minutes = 3', 1)}:" in p
    text = replace(SHIPPED, "slot_minutes = 3\n", "slot_minutes = 3\nslot_seconds = 180\n")
    one(problems(tmp_path, text), "phases[key=present].slot_seconds", "not both")
    text = replace(SHIPPED, "slot_minutes = 3\n", "slot_minutes = -3\n")
    one(problems(tmp_path, text), "phases[key=present].slot_minutes", "> 0")


def test_warning_seconds_positive(tmp_path: Path) -> None:
    text = replace(SHIPPED, "warning_seconds = [120]", "warning_seconds = [120, 0]")
    p = one(problems(tmp_path, text), "session.warning_seconds[1]", "> 0")
    assert f":{line_of(text, 'warning_seconds')}:" in p


def test_role_min_max(tmp_path: Path) -> None:
    text = replace(SHIPPED, "min = 1\nmax = 3\n", "min = 4\nmax = 3\n")
    p = one(problems(tmp_path, text), "roles[key=reviewer].min", "greater than max")
    assert f":{line_of(text, 'min = 4')}:" in p
    text = replace(SHIPPED, "min = 1\nmax = 2\n", "min = -1\nmax = 0\n")
    found = problems(tmp_path, text)
    one(found, "roles[key=spotlight].min", ">= 0")
    one(found, "roles[key=spotlight].max", ">= 1")


def test_duplicate_keys(tmp_path: Path) -> None:
    text = replace(SHIPPED, 'key = "impact"', 'key = "reviewer"')
    p = one(problems(tmp_path, text), "roles[4].key", "duplicate role key 'reviewer'")
    assert f"line {line_of(SHIPPED, '[[roles]]', 2)}" in p
    assert at(text, 'key = "reviewer"', 2) in p
    text = replace(SHIPPED, 'key = "ugd"', 'key = "dit"')
    one(problems(tmp_path, text), "papers[3].key", "duplicate paper key 'dit'")
    text = replace(SHIPPED, 'key = "break-2"', 'key = "break-1"')
    one(problems(tmp_path, text), "phases[8].key", "duplicate phase key 'break-1'")
    text = replace(SHIPPED, 'name = "Manxi"', 'name = "Aasa"')
    found = problems(tmp_path, text)
    one(found, "teachers[4].name", "duplicate teacher 'Aasa'")
    one(found, "papers[key=controlnet].teachers[1]", "unknown teacher 'Manxi'")


def test_paper_link(tmp_path: Path) -> None:
    text = replace(SHIPPED, 'link = "https://arxiv.org/abs/2312.11805"\n', "")
    p = one(problems(tmp_path, text), "papers[key=gemini].link", "required")
    assert f":{line_of(text, '[[papers]]', 2)}:" in p
    for bad in ("arxiv.org/abs/2312.11805", "ftp://arxiv.org/x", "https://", "not a url"):
        text = replace(SHIPPED, "https://arxiv.org/abs/2312.11805", bad)
        p = one(problems(tmp_path, text), "papers[key=gemini].link", "URL")
        assert at(text, f'link = "{bad}"') in p


def test_unknown_teacher(tmp_path: Path) -> None:
    text = replace(SHIPPED, 'teachers = ["Dimitrios"]', 'teachers = ["Dimitris"]')
    p = one(problems(tmp_path, text), "papers[key=dit].teachers[0]", "unknown teacher 'Dimitris'")
    assert "did you mean 'Dimitrios'?" in p
    assert f":{line_of(text, 'Dimitris')}:" in p


def test_teachers_section_is_optional(tmp_path: Path) -> None:
    text = replace(
        MINIMAL, 'link = "https://example.org/p1"', 'link = "https://example.org/p1"\nteachers = ["Ann"]'
    )
    course = load_config(write(tmp_path, text))
    assert course.paper("p1").teachers == ("Ann",)
    assert course.teacher("Ann") is None


def test_unknown_time_zone(tmp_path: Path) -> None:
    text = replace(SHIPPED, '"Europe/Copenhagen"', '"Europe/Copenhagn"')
    p = one(problems(tmp_path, text), "course.timezone", "unknown time zone")
    assert "did you mean 'Europe/Copenhagen'?" in p
    assert f":{line_of(text, 'timezone')}:" in p
    for bad in ("", "/etc/passwd", "../x", "Europe"):
        problems(tmp_path, replace(SHIPPED, '"Europe/Copenhagen"', f'"{bad}"'))


def test_plan_references(tmp_path: Path) -> None:
    text = replace(SHIPPED, '"proposals", "break-proposals",', '"proposals", "break-proposal",')
    p = one(problems(tmp_path, text), "plans.afternoon.phases[1]", "unknown phase 'break-proposal'")
    assert "did you mean 'break-proposals'?" in p
    assert at(text, 'break-proposal",') in p
    text = replace(SHIPPED, 'phases = ["assign", "do-role",', 'phases = ["assign", "assign",')
    one(problems(tmp_path, text), "plans.reading-group.phases[1]", "appears twice")
    text = replace(
        SHIPPED,
        'phases = ["assign", "do-role", "partners", "break-1", "group", "finalize", "break-2", "present"]',
        "phases = []",
    )
    one(problems(tmp_path, text), "plans.reading-group.phases", "at least 1")


def test_default_plan_exists(tmp_path: Path) -> None:
    text = replace(SHIPPED, 'default_plan = "afternoon"', 'default_plan = "afternon"')
    p = one(problems(tmp_path, text), "session.default_plan", "no plan named 'afternon'")
    assert "did you mean 'afternoon'?" in p
    assert f":{line_of(text, 'default_plan')}:" in p


@pytest.mark.parametrize("bad", ['"1pm"', '"25:00"', '"13:60"', "1300", '""', "2024-03-12"])
def test_plan_clock_times(tmp_path: Path, bad: str) -> None:
    text = replace(SHIPPED, 'start = "13:50"', f"start = {bad}")
    p = one(problems(tmp_path, text), "plans.reading-group.start", "HH:MM")
    assert f":{line_of(text, f'start = {bad}')}:" in p


def test_plan_end_before_start_and_end_without_start(tmp_path: Path) -> None:
    text = replace(SHIPPED, 'start = "13:50"\nend = "17:00"', 'start = "13:50"\nend = "12:00"')
    one(problems(tmp_path, text), "plans.reading-group.end", "after start")
    text = replace(SHIPPED, 'start = "13:50"\n', "")
    one(problems(tmp_path, text), "plans.reading-group.end", "needs a start")


def test_at_most_five_fields(tmp_path: Path) -> None:
    extra = '\n[[roles.fields]]\nkey = "extra"\nlabel = "Extra"\n'
    text = replace(
        SHIPPED, '\n[[roles]]\nkey = "archaeologist"', extra + '\n[[roles]]\nkey = "archaeologist"'
    )
    p = one(problems(tmp_path, text), "roles[key=reviewer].fields[key=extra]", "at most 5")
    assert f":{line_of(text, EXTRA_KEY) - 1}:" in p


def test_field_rules(tmp_path: Path) -> None:
    text = replace(SHIPPED, 'key = "strengths"', 'key = "summary"')
    one(problems(tmp_path, text), "roles[key=reviewer].fields[1].key", "duplicate field key 'summary'")

    text = replace(SHIPPED, 'label = "Rating"\n', 'label = "Rating"\nkind = "text"\n')
    p = one(problems(tmp_path, text), "roles[key=reviewer].fields[key=rating].choices", 'kind = "choice"')
    assert f":{line_of(text, 'choices = [')}:" in p

    text = replace(
        SHIPPED, 'label = "Older paper: link"\nkind = "url"', 'label = "Older paper: link"\nkind = "choice"'
    )
    one(
        problems(tmp_path, text),
        "roles[key=archaeologist].fields[key=older_link].kind",
        "needs a non-empty choices",
    )

    long_label = "L" * 46
    text = replace(SHIPPED, 'label = "Strengths"', f'label = "{long_label}"')
    p = one(problems(tmp_path, text), "roles[key=reviewer].fields[key=strengths].label", "at most 45")
    assert f":{line_of(text, long_label)}:" in p
    load_config(write(tmp_path, replace(SHIPPED, 'label = "Strengths"', f'label = "{"L" * 45}"')))

    text = replace(SHIPPED, "max_length = 300\n", "max_length = 4001\n")
    one(problems(tmp_path, text), "roles[key=archaeologist].fields[key=older_title].max_length", "<= 4000")

    text = replace(SHIPPED, "max_length = 300\n", "min_length = 301\nmax_length = 300\n")
    one(problems(tmp_path, text), "fields[key=older_title].min_length", "greater than max_length")

    text = replace(SHIPPED, 'style = "long"\nmin_length = 100', 'style = "huge"\nmin_length = 100')
    one(problems(tmp_path, text), "fields[key=strengths].style", "'short' or 'long'")


def test_audience_and_kind_values(tmp_path: Path) -> None:
    text = replace(SHIPPED, 'audience = "partners"', 'audience = "everyone"')
    p = one(problems(tmp_path, text), "phases[key=partners].audience", "'class', 'groups' or 'partners'")
    assert f":{line_of(text, 'everyone')}:" in p
    text = replace(SHIPPED, 'kind = "break"', 'kind = "pause"')
    one(problems(tmp_path, text), "phases[key=break-proposals].kind", "'activity'")


def test_slides_per(tmp_path: Path) -> None:
    assert load_config(CONFIG).slides_per == "paper"
    for value in ("paper", "role"):
        text = replace(
            SHIPPED, "ack_reminder_minutes = 10\n", f'ack_reminder_minutes = 10\nslides_per = "{value}"\n'
        )
        assert load_config(write(tmp_path, text)).slides_per == value
    text = replace(SHIPPED, "ack_reminder_minutes = 10\n", 'ack_reminder_minutes = 10\nslides_per = "pair"\n')
    p = one(problems(tmp_path, text), "session.slides_per", "'paper' or 'role'")
    assert at(text, 'slides_per = "pair"') in p


def test_discord_section(tmp_path: Path) -> None:
    text = replace(SHIPPED, 'class_channel = "reading-group"', 'class_channel = "  "')
    p = one(problems(tmp_path, text), "discord.class_channel", "must not be empty")
    assert f":{line_of(text, 'class_channel = ')}:" in p
    for bad, expect in (("0", "> 0"), ("-5", "> 0"), ('"123"', "integer"), ("true", "integer")):
        text = replace(SHIPPED, "# dev_guild_id = 123456789012345678", f"dev_guild_id = {bad}")
        one(problems(tmp_path, text), "discord.dev_guild_id", expect)
    text = replace(SHIPPED, "# dev_guild_id = 123456789012345678", "dev_guild_id = 123456789012345678")
    text = replace(
        text, '# api_base = "https://discord.com/api/v10"', 'api_base = "http://127.0.0.1:8080/api/v10"'
    )
    text = replace(
        text, '# gateway_url = "wss://gateway.discord.gg/"', 'gateway_url = "ws://127.0.0.1:8080/"'
    )
    course = load_config(write(tmp_path, text))
    assert course.dev_guild_id == 123456789012345678
    assert course.api_base == "http://127.0.0.1:8080/api/v10"
    assert course.gateway_url == "ws://127.0.0.1:8080/"
    text = replace(SHIPPED, '# gateway_url = "wss://gateway.discord.gg/"', 'gateway_url = "https://gateway"')
    one(problems(tmp_path, text), "discord.gateway_url", "ws://")


def test_unknown_keys_suggest(tmp_path: Path) -> None:
    text = replace(SHIPPED, "minutes = 40\n", "minuts = 40\n")
    found = problems(tmp_path, text)
    p = one(found, "phases[key=proposals].minuts", "unknown key")
    assert "did you mean 'minutes'?" in p
    assert f":{line_of(text, 'minuts')}:" in p
    text = replace(SHIPPED, "[session]", "[sesion]")
    found = problems(tmp_path, text)
    assert "did you mean 'session'?" in one(found, "sesion", "unknown key")


def test_missing_sections_and_keys(tmp_path: Path) -> None:
    found = problems(tmp_path, "")
    for key in ("course", "discord", "papers", "roles", "phases", "plans"):
        one(found, f": {key}: ", "required")
    text = replace(SHIPPED, 'student_role = "Student"\n', "")
    p = one(problems(tmp_path, text), "discord.student_role", "required")
    assert f":{line_of(text, '[discord]')}:" in p


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    text = replace(SHIPPED, 'name = "Break"\n', 'name = "Break\n')
    (p,) = problems(tmp_path, text)
    assert re.search(at(text, 'name = "Break') + r"\d+: TOML syntax error", p), p


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b"# caf\xe9\n[course]\n")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(bad)


# --- warnings -------------------------------------------------------------------------------------------


def test_warns_when_a_plan_overruns_or_leaves_a_gap(tmp_path: Path) -> None:
    text = replace(SHIPPED, 'start = "13:00"\nend = "17:00"', 'start = "13:00"\nend = "16:50"')
    _, warnings = check_config(write(tmp_path, text))
    (w,) = warnings
    assert "plans.afternoon.end" in w and "by 10 min" in w and "17:00" in w
    assert at(text, 'end = "16:50"') in w
    text = replace(SHIPPED, 'start = "13:50"\nend = "17:00"', 'start = "13:50"\nend = "17:30"')
    _, warnings = check_config(write(tmp_path, text))
    (w,) = warnings
    assert "plans.reading-group.end" in w and "30 min gap" in w


def test_presentation_phase_too_short(tmp_path: Path) -> None:
    text = replace(SHIPPED, "minutes = 50\nslot_minutes = 3", "minutes = 48\nslot_minutes = 3")
    text = replace(text, 'end = "17:00"', 'end = "16:58"', count=2)
    assert check_config(write(tmp_path, text))[1] == []
    text = replace(SHIPPED, "minutes = 50\nslot_minutes = 3", "minutes = 40\nslot_minutes = 3")
    _, warnings = check_config(write(tmp_path, text))
    w = one(warnings, "phases[key=present].minutes")
    assert "phase 'present' lasts 40 min but 4 papers x 4 presenting roles x 3 min need 48 min" in w


def test_warns_without_presenting_roles_and_unused_phases(tmp_path: Path) -> None:
    text = replace(MINIMAL, "presents = true", "presents = false")
    text = replace(text, "[[phases]]", '[[phases]]\nkey = "spare"\nname = "Spare"\nminutes = 1\n\n[[phases]]')
    _, warnings = check_config(write(tmp_path, text))
    one(warnings, "presents = true")
    one(warnings, "phases[key=spare]", "not used by any plan")


# --- summary --------------------------------------------------------------------------------------------


def test_summary_of_the_shipped_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_check_config(CONFIG) == 0
    out = capsys.readouterr().out
    assert "Europe/Copenhagen" in out
    assert "13:00-13:40  Project proposals" in out
    assert "16:10-17:00  Present slides" in out
    assert "Total: 240 min (4 h)" in out
    assert "Total: 190 min (3 h 10 min)" in out
    assert "16 slots" in out
    assert "Seats per paper: 5..14" in out
    assert "Class size that fits: 20..56" in out
    assert "Diffusion Transformers <https://arxiv.org/abs/2212.09748> (Dimitrios)" in out
    assert "No warnings." in out


def test_summary_of_one_plan_and_warnings() -> None:
    course = load_config(CONFIG)
    text = summarize(course, "reading-group", warnings=["x: something"])
    assert "Plan 'afternoon'" not in text and "Plan 'reading-group'" in text
    assert "13:50-13:55" in text
    assert "Warnings (1):" in text and "x: something" in text
    bare = dataclasses.replace(course, plans={"bare": Plan(name="bare", phases=course.plan().phases)})
    text = summarize(bare, "bare")
    assert "00:00-00:40  Project proposals" in text and "Plan 'bare', " not in text


def test_check_config_cli_reports_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, replace(SHIPPED, "minutes = 30\n", "minutes = 0\n"))
    assert main_check_config(path) == 2
    captured = capsys.readouterr()
    assert "phases[key=do-role].minutes" in captured.err and captured.out == ""
    assert main_check_config(CONFIG, "nope") == 2


# --- robustness: load_config only ever raises ConfigError ------------------------------------------------


def toml_key(key: str) -> str:
    return toml_str(key)


def toml_str(text: str) -> str:
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def toml_value(v: Any) -> str:
    """Serialize a value as single-line TOML (tables become inline tables)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return toml_str(v)
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def toml_document(data: dict[str, Any]) -> str:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in data.items())


SHIPPED_DATA = tomllib.loads(SHIPPED)
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
SCALARS = st.one_of(
    st.booleans(),
    INT64,
    st.integers(min_value=-5, max_value=5000),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "13:00",
            "25:99",
            "Europe/Copenhagen",
            "UTC",
            "https://x.org/a",
            "../x",
            "class",
            "presentation",
            "choice",
            "afternoon",
            "present",
            "Aasa",
            "reviewer",
        ]
    ),
    st.times(),
    st.dates(),
    st.datetimes(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def load_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "config.toml"
        path.write_text(text, encoding="utf-8")
        try:
            load_config(path)
            check_config(path)
        except ConfigError as e:
            assert e.problems and all(isinstance(p, str) for p in e.problems)
            str(e)


def mutate(data: Any, draw: Any) -> Any:
    """Apply one random mutation somewhere in a copy of `data` (delete, replace or add a key/item)."""
    if isinstance(data, dict):
        keys = list(data)
        choice = draw(st.integers(0, 3))
        if choice == 0 or not keys:
            return {
                **data,
                draw(st.text(max_size=10) | st.sampled_from(["key", "min", "minutes"])): draw(VALUES),
            }
        key = draw(st.sampled_from(keys))
        if choice == 1:
            return {k: v for k, v in data.items() if k != key}
        if choice == 2:
            return {**data, key: draw(VALUES)}
        return {**data, key: mutate(data[key], draw)}
    if isinstance(data, list):
        if not data:
            return [draw(VALUES)]
        i = draw(st.integers(0, len(data) - 1))
        choice = draw(st.integers(0, 3))
        if choice == 0:
            return data[:i] + data[i + 1 :]
        if choice == 1:
            return [*data, data[i]]
        if choice == 2:
            return [*data[:i], draw(VALUES), *data[i + 1 :]]
        return [*data[:i], mutate(data[i], draw), *data[i + 1 :]]
    return draw(VALUES)


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.data())
def test_mutated_configs_only_raise_config_error(data: st.DataObject) -> None:
    doc = SHIPPED_DATA
    for _ in range(data.draw(st.integers(1, 3))):
        doc = mutate(doc, data.draw)
    load_text(toml_document(doc))


@FAST
@given(st.dictionaries(st.sampled_from([*SHIPPED_DATA, "extra"]), VALUES, max_size=8))
def test_random_documents_only_raise_config_error(doc: dict[str, Any]) -> None:
    load_text(toml_document(doc))


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=200))
def test_random_text_only_raises_config_error(text: str) -> None:
    load_text(text)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, len(SHIPPED) - 1), st.text(max_size=8))
def test_spliced_shipped_text_only_raises_config_error(at: int, junk: str) -> None:
    load_text(SHIPPED[:at] + junk + SHIPPED[at:])
