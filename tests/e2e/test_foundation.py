"""The bot starts, syncs its commands, answers instructors, refuses students, and survives a reconnect."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest

from discord_sandbox import Perm, Sandbox

from .conftest import SHIPPED, BotProcess, Classroom, populate, settings_for

pytestmark = pytest.mark.e2e


async def test_instructor_sees_status_student_is_refused_and_a_reconnect_changes_nothing(
    classroom: Classroom,
) -> None:
    sb = classroom.sandbox
    names = {c["name"] for c in sb.commands()}
    assert {"conductor", "session"} <= names

    status = await classroom.run(classroom.instructor, "conductor status")
    assert status.ephemeral
    assert "Conductor status" in status.text
    assert "02501 Advanced Deep Learning in Computer Vision" in status.text
    assert "sqlite+aiosqlite" in status.text
    assert "Everything I need" in status.text

    refused = await classroom.run(classroom.students[0], "conductor status")
    assert refused.ephemeral
    assert "instructors only" in refused.text
    assert "Conductor status" not in refused.text

    await sb.send_reconnect()
    await sb.wait_for(lambda: sb.gateway.resumes >= 1, what="the bot resumed")
    again = await classroom.run(classroom.instructor, "conductor status")
    assert "Conductor status" in again.text


async def test_status_names_the_permission_that_is_missing_in_this_channel(classroom: Classroom) -> None:
    classroom.channel.deny_bot(Perm.CREATE_PRIVATE_THREADS)
    await classroom.sandbox.wait_for(
        lambda: (
            classroom.bot
            and not classroom.bot.get_channel(classroom.channel.id)
            .permissions_for(classroom.bot.get_guild(classroom.guild.id).me)
            .create_private_threads
        ),
        what="the bot saw the channel overwrite",
    )
    status = await classroom.run(classroom.instructor, "conductor status")
    assert "grant **Create Private Threads**" in status.text
    assert "#reading-group" in status.text or f"<#{classroom.channel.id}>" in status.text


async def test_commands_are_synced_only_when_they_changed(classroom: Classroom) -> None:
    bot = classroom.bot
    assert bot is not None and bot.synced_scopes == ["commands:global"]
    await classroom.stop_bot()
    bot = await classroom.start_bot()
    assert bot.synced_scopes == []  # same command set, same database: nothing re-synced


async def test_python_m_bot_run_logs_in_and_never_logs_the_token(
    sandbox: Sandbox, tmp_path: Path, config_path: Path
) -> None:
    _, _, teacher, _ = populate(sandbox, students=2)
    guild = sandbox.guilds[0] if hasattr(sandbox, "guilds") else None
    proc = BotProcess(sandbox, settings_for(sandbox, tmp_path, config_path))
    await proc.start()
    try:
        await sandbox.wait_for(lambda: any(c["name"] == "session" for c in sandbox.commands()), timeout=30)
        await sandbox.wait_ready(timeout=30)
        channel = teacher.guild.channels[0] if guild is None else guild.channels[0]
        status = await sandbox.run_command(teacher, "conductor status", channel=channel, options={})
        assert "Conductor status" in status.text
    finally:
        log = (await proc.terminate()).decode()
    assert "synced" in log
    assert sandbox.token not in log


async def test_a_missing_token_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(SHIPPED),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 2
    assert b"set DISCORD_TOKEN" in out
    logging.getLogger(__name__).debug(out)
