"""The Slack app manifest a teacher pastes, and the scopes check that says what a missing scope breaks."""

import re
from pathlib import Path

import pytest

from bot.adapters.slack.command_list import SPECS, Name
from bot.adapters.slack.commands import Usage, parse
from bot.adapters.slack.manifest import main, manifest_yaml
from bot.adapters.slack.scopes import BOT_SCOPES, granted, missing, missing_lines

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack" / "manifest.yml"


def test_the_shipped_manifest_is_the_generated_one() -> None:
    assert MANIFEST.read_text() == manifest_yaml(), (
        "run: python -m bot.adapters.slack.manifest > deploy/slack/manifest.yml"
    )


def commands_in(text: str) -> dict[str, dict[str, str]]:
    """The slash commands of a manifest, read from its lines as a person would."""
    out: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        m = re.match(r"^\s*(?:- )?(command|description|usage_hint|should_escape): (.*)$", line)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        value = value[1:-1].replace('\\"', '"') if value.startswith('"') else value
        if key == "command":
            current = out.setdefault(value, {})
        current[key] = value
    return out


def test_the_manifest_declares_every_command_the_parser_reads_with_its_usage_hint() -> None:
    declared = commands_in(MANIFEST.read_text())
    assert list(declared) == [f"/{spec.name.value}" for spec in SPECS] == [f"/{n.value}" for n in Name]
    for spec in SPECS:
        entry = declared[f"/{spec.name.value}"]
        assert entry["description"] == spec.description
        assert entry.get("usage_hint", "") == spec.hint
        assert entry["should_escape"] == "true"  # users arrive as <@U…|name>, which the parser reads
        # Every verb the hint offers is one the parser takes.
        for verb in spec.verbs:
            parsed = parse(f"/{spec.name.value}", verb)
            # Known to the parser: read, or asked for what follows it (never "has no such verb").
            assert not isinstance(parsed, Usage) or "has no" not in str(parsed.problem), (verb, parsed)
    assert (
        "/session" in declared
        and "start [plan] [HH:MM] | status | pause" in declared["/session"]["usage_hint"]
    )


def test_the_manifest_asks_for_exactly_the_scopes_conductor_checks() -> None:
    text = MANIFEST.read_text()
    bot = text[text.index("    bot:\n") :].split("settings:")[0]
    assert re.findall(r'- "([^"]+)"', bot) == [s.name for s in BOT_SCOPES]
    assert "socket_mode_enabled: true" in text and "  interactivity:\n    is_enabled: true" in text
    assert 'display_name: "Conductor"' in text
    assert "connections:write" in text  # the app-level token, said in the steps on top


def test_a_prefixed_manifest_for_a_workspace_where_the_names_are_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--prefix", "cd-"]) == 0
    printed = capsys.readouterr().out
    assert list(commands_in(printed)) == [f"/cd-{n.value}" for n in Name]
    assert "python -m bot.adapters.slack.manifest --prefix cd-" in printed
    with pytest.raises(SystemExit):
        main(["--prefix", "Bad Prefix"])
    assert "lowercase letters" in capsys.readouterr().err


def test_missing_scopes_say_what_they_break() -> None:
    everything = ",".join(s.name for s in BOT_SCOPES)
    assert missing(everything) == [] and missing_lines(everything) == []
    header = "commands, chat:write,users:read,channels:read,groups:read,groups:write,mpim:write"
    assert granted(header) >= {"commands", "chat:write"}
    assert [s.name for s in missing(header)] == [
        "im:write",
        "users:read.email",
        "files:write",
        "usergroups:read",
    ]
    lines = missing_lines(header)
    assert (
        lines[0]
        == "`im:write` is missing: role cards, reminders and reports by direct message will not work."
    )
    assert lines[-1].startswith("Add them under OAuth & Permissions → Bot Token Scopes")
    assert [s.name for s in missing(None)] == [s.name for s in BOT_SCOPES]
