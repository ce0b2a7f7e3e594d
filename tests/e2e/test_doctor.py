"""`python -m bot doctor` against the sandbox: all OK on a class that is ready, each injected problem named.

The doctor runs as its own process with the bot's environment (token, endpoints, database, config), as
a teacher would run it before class. Each test injects one problem and checks the lines printed: that
check says PROBLEM with what to do, the others still say OK, and the exit status is 1.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.doctor import DM_TEST_TEXT
from discord_sandbox import Perm, Sandbox

from .conftest import ROOT, Classroom, open_class, write_config

pytestmark = pytest.mark.e2e

TEACHERS = ("aasa", "morten", "thanos", "manxi", "paraskevas")  # teacher-dimitrios is the instructor
CHECKS = [
    "config",
    "database",
    "token",
    "intents",
    "server",
    "class channel",
    "roles",
    "teachers",
    "permissions",
    "commands",
    "test DM",
]


@dataclass
class Report:
    """What the doctor printed and its exit status."""

    code: int
    lines: list[str]
    stderr: str

    def status(self, check: str) -> str:
        """OK / PROBLEM / SKIPPED for one check."""
        line = self.line(check)
        return line.split()[0]

    def line(self, check: str) -> str:
        """The line of one check."""
        return next(line for line in self.lines if line.split(None, 1)[1].startswith(f"{check}:"))

    def shown(self, status: str) -> list[str]:
        """The checks printed with this status, in order."""
        printed = [
            c for c in CHECKS if any(line.split(None, 1)[1].startswith(f"{c}:") for line in self.lines)
        ]
        return [c for c in printed if self.status(c) == status]

    def problems(self) -> list[str]:
        """The checks that found a problem."""
        return self.shown("PROBLEM")


@pytest.fixture
async def ready(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[Classroom]:
    """A class ready for the afternoon: the bot ran once (database migrated, commands synced), then stopped."""
    room = await open_class(sandbox, tmp_path, write_config(tmp_path), students=3)
    room.guild.add_role("Teacher")
    for name in TEACHERS:
        room.guild.add_member(f"Teacher {name.title()}", username=f"teacher-{name}")
    await room.stop_bot()
    yield room


async def doctor(room: Classroom, *args: str, **env: str) -> Report:
    """Run `python -m bot doctor --dm-test teacher-dimitrios [args]` with the bot's environment."""
    settings = room.settings
    full_env = {**room.sandbox.bot_env(str(settings.database_url), settings.conductor_config), **env}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
        "--dm-test",
        "teacher-dimitrios",
        *args,
        env=full_env,
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text, errors = out.decode(), err.decode()
    assert room.sandbox.token not in text + errors
    assert proc.returncode is not None
    return Report(proc.returncode, text.splitlines(), errors)


async def test_a_ready_class_passes_every_check_and_the_instructor_gets_the_test_dm(ready: Classroom) -> None:
    report = await doctor(ready)
    assert report.code == 0, "\n".join(report.lines) + report.stderr
    assert [line.split()[0] for line in report.lines[:-1]] == ["OK"] * len(CHECKS)
    assert report.lines[-1] == f"All {len(CHECKS)} checks passed: ready for class."
    assert "all 6 found" in report.line("teachers")
    assert report.line("server").startswith("OK       server: DTU 02501 ADLCV")
    dms = ready.sandbox.dms(ready.instructor)
    assert [m.content for m in dms] == [DM_TEST_TEXT]


def _rename_channel(room: Classroom) -> None:
    room.channel.name = "general"


def _drop_role(room: Classroom) -> None:
    role = next(r for r in room.guild.roles if r.name == "Student")
    role.name = "Learners"


def _deny_thread_permission(room: Classroom) -> None:
    room.channel.deny_bot(Perm.CREATE_PRIVATE_THREADS)


def _intents_off(room: Classroom) -> None:
    room.sandbox.members_intent = False


def _close_dms(room: Classroom) -> None:
    room.instructor.dms_open = False


def _teacher_left(room: Classroom) -> None:
    room.guild.members.remove(next(m for m in room.guild.members if m.user.username == "teacher-morten"))


INJECTED: list[tuple[str, Callable[[Classroom], None], dict[str, str]]] = [
    (
        "class channel",
        _rename_channel,
        {"class channel": "no text channel #reading-group in DTU 02501 ADLCV"},
    ),
    ("roles", _drop_role, {"roles": "no role @Student in DTU 02501 ADLCV: create it"}),
    (
        "permissions",
        _deny_thread_permission,
        {"permissions": "in #reading-group grant the bot: Create Private Threads (to open private group"},
    ),
    (
        "intents",
        _intents_off,
        {
            "intents": "the Server Members intent is off",
            "teachers": "Discord refused the member list",
            "test DM": "no user 'teacher-dimitrios' found",  # found among the members it could not list
        },
    ),
    ("test DM", _close_dms, {"test DM": "Discord refused a DM to teacher-dimitrios (50007"}),
    ("teachers", _teacher_left, {"teachers": "not members of DTU 02501 ADLCV: Morten (teacher-morten)"}),
]


@pytest.mark.parametrize(("name", "inject", "expected"), INJECTED, ids=[i[0] for i in INJECTED])
async def test_each_injected_problem_is_named_with_what_to_do(
    ready: Classroom, name: str, inject: Callable[[Classroom], None], expected: dict[str, str]
) -> None:
    inject(ready)
    report = await doctor(ready)
    assert report.code == 1, "\n".join(report.lines)
    assert report.problems() == [c for c in CHECKS if c in expected], "\n".join(report.lines)
    assert report.shown("SKIPPED") == (["permissions"] if name == "class channel" else [])
    for check, words in expected.items():
        assert report.line(check).startswith(f"PROBLEM  {check}: {words}"), report.line(check)
    assert "fix them and run the doctor again" in report.lines[-1]


async def test_a_bad_token_is_refused_and_the_discord_checks_are_skipped(ready: Classroom) -> None:
    report = await doctor(ready, DISCORD_TOKEN="not-the-bot-token-at-all")
    assert report.code == 1
    assert report.line("token").startswith("PROBLEM  token: Discord refused the token (401 Unauthorized)")
    assert report.status("config") == "OK" and report.status("database") == "OK"
    assert {report.status(c) for c in CHECKS[3:]} == {"SKIPPED"}
    assert "not-the-bot-token-at-all" not in "\n".join(report.lines) + report.stderr


async def test_a_fresh_database_and_unsynced_commands_are_problems(ready: Classroom, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()  # an SQLite file with no schema
    ready.sandbox.synced.clear()  # as if the bot had never started with this application
    report = await doctor(ready, DATABASE_URL=f"sqlite+aiosqlite:///{empty}")
    assert report.code == 1
    assert report.problems() == ["database", "commands"]
    assert "is reachable but not migrated (no schema): start the bot once" in report.line("database")
    assert report.line("commands").startswith("PROBLEM  commands: not synced globally (or out of date): /")


async def test_the_bot_itself_stops_with_a_clear_error_when_the_intent_is_off(ready: Classroom) -> None:
    ready.sandbox.members_intent = False
    settings = ready.settings
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=ready.sandbox.bot_env(str(settings.database_url), settings.conductor_config),
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert "the Server Members intent is not enabled" in out.decode()
    assert ready.sandbox.gateway.disconnects[-1] == "server 4014"
