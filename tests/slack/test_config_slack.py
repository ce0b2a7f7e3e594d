"""A course on Slack in config.toml: `[platform] name = "slack"` and the `[slack]` options, with clear errors."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.core.platform import Platform, SlackOptions

SHIPPED = (Path(__file__).resolve().parents[2] / "config.toml").read_text(encoding="utf-8")
DISCORD_SECTION = re.compile(r"^\[discord\]\n(?:(?!\[).*\n)*", re.MULTILINE)
SLACK = """[platform]
name = "slack"

[slack]
class_channel = "#reading-group"
instructors = ["U01TEACHER1", "aasa@dtu.example"]
command_prefix = "cd-"
time_left_refresh_seconds = 30

"""


def on_slack(slack: str = SLACK, keep_discord: bool = False) -> str:
    """The shipped configuration with its [discord] section swapped for Slack's."""
    text = SHIPPED if keep_discord else DISCORD_SECTION.sub("", SHIPPED, count=1)
    return text.replace("[session]\n", slack + "[session]\n", 1)


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return info.value.problems


def test_a_course_on_slack(tmp_path: Path) -> None:
    course = load(tmp_path, on_slack())
    assert course.platform is Platform.SLACK
    assert course.slack == SlackOptions(
        class_channel="reading-group",
        instructors=("U01TEACHER1", "aasa@dtu.example"),
        command_prefix="cd-",
        time_left_refresh=timedelta(seconds=30),
    )
    assert course.class_channel == "reading-group"  # the one rule for where class-wide posts go
    assert course.instructor_roles == () and course.student_role == ""


def test_defaults_and_a_channel_id(tmp_path: Path) -> None:
    course = load(
        tmp_path, on_slack('[platform]\nname = "slack"\n\n[slack]\nclass_channel = "C0123ABCD"\n\n')
    )
    assert course.slack == SlackOptions(class_channel="C0123ABCD")
    assert course.slack.time_left_refresh == timedelta(seconds=60)


def test_discord_stays_the_default_and_keeps_its_section(tmp_path: Path) -> None:
    course = load(tmp_path, SHIPPED)
    assert course.platform is Platform.DISCORD and course.slack is None
    both = load(tmp_path, on_slack(keep_discord=True))  # a course moving over keeps its old section
    assert both.platform is Platform.SLACK and both.class_channel == "reading-group"
    assert both.instructor_roles == ("Instructor", "Teacher")


def test_each_platform_needs_its_section(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, DISCORD_SECTION.sub("", SHIPPED, count=1))
    assert found.endswith(
        ': discord: is required but missing (the course is on Discord; for Slack, set [platform] name = "slack" '
        "and add a [slack] section)"
    )
    (found,) = problems(tmp_path, on_slack('[platform]\nname = "slack"\n\n'))
    assert found.endswith(
        ': slack: is required but missing: [platform] name = "slack" needs [slack] class_channel'
    )
    (found,) = problems(tmp_path, on_slack('[platform]\nname = "teams"\n\n[slack]\nclass_channel = "x"\n\n'))
    assert "platform.name: must be 'discord' or 'slack' (got string 'teams')" in found


@pytest.mark.parametrize(
    ("line", "key", "says"),
    [
        ('class_channel = "Reading Group"', "slack.class_channel", "must be a Slack channel name"),
        ('class_channel = "  "', "slack.class_channel", "must not be empty"),
        ('instructors = ["anna"]', "slack.instructors[0]", "'anna' is neither a Slack member id"),
        ('command_prefix = "CD "', "slack.command_prefix", "lowercase letters, digits, '-' and '_'"),
        ('command_prefix = "a-prefix-much-too-long-"', "slack.command_prefix", "too long"),
        (
            "time_left_refresh_seconds = 5",
            "slack.time_left_refresh_seconds",
            "must be 0 (never) or at least 10",
        ),
        ("time_left_refresh_seconds = -1", "slack.time_left_refresh_seconds", "must be >= 0"),
        ('time_left_refresh_seconds = "60"', "slack.time_left_refresh_seconds", "must be an integer"),
        ('channel = "x"', "slack.channel", "unknown key (did you mean 'class_channel'?)"),
    ],
)
def test_bad_slack_values_say_what_to_write(tmp_path: Path, line: str, key: str, says: str) -> None:
    section = '[platform]\nname = "slack"\n\n[slack]\nclass_channel = "reading-group"\n' + line + "\n\n"
    if line.startswith("class_channel"):
        section = f'[platform]\nname = "slack"\n\n[slack]\n{line}\n\n'
    text = on_slack(section)
    (found,) = problems(tmp_path, text)
    number = text.splitlines().index(line) + 1
    assert f":{number}: {key}: " in found, found
    assert says in found, found
