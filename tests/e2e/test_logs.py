"""Logs: one line per event with its session, guild and interaction; JSON on request; never the token or typed text."""

from __future__ import annotations

import json
import logging
import signal
from pathlib import Path

import pytest

from bot import logs
from bot.adapters.discord.wiring import startup_line
from bot.config import load_config
from bot.settings import Settings
from discord_sandbox import Sandbox
from tests.e2e.conftest import SHIPPED, populate, settings_for
from tests.reliability.test_sigterm import PLAN, SignalledBotProcess

from .conftest import write_config

TYPED = "zebra-typed-by-a-student-7731"


def record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    """A log record as a logger would make it."""
    return logging.LogRecord(
        "bot.test", logging.ERROR, __file__, 1, message, args, (type(exc), exc, None) if exc else None
    )


def test_the_token_is_removed_from_messages_arguments_and_tracebacks() -> None:
    token = "MTIzNDU2Nzg5.secret-token-value"
    redact = logs.RedactSecrets([token])
    formatter = logs.TextFormatter()
    for rec in (
        record(f"login with {token}"),
        record("login with %s and %r", token, {"t": token}),
        record("failed", exc=RuntimeError(f"401 for {token}")),
    ):
        assert redact.filter(rec)
        line = formatter.format(rec)
        assert token not in line and "[redacted]" in line


def test_json_lines_carry_the_bound_ids_and_text_lines_append_them() -> None:
    context = logs.ContextFilter()
    with logs.bound(session=3, guild=11, interaction=42):
        rec = record("phase %s announced", "Block A")
        context.filter(rec)
    out = json.loads(logs.JsonFormatter().format(rec))
    assert out["message"] == "phase Block A announced"
    assert (out["session"], out["guild"], out["interaction"]) == (3, 11, 42)
    assert (
        logs.TextFormatter()
        .format(rec)
        .endswith("phase Block A announced [session=3 guild=11 interaction=42]")
    )
    assert logs.current() == {}  # unbound after the block


def test_the_start_up_line_names_config_database_platform_and_shards_without_the_password(
    tmp_path: Path,
) -> None:
    settings = Settings(
        _env_file=None,
        discord_token="a-token-value-12345",
        database_url="postgresql+asyncpg://conductor:s3cret-pw@db.example/conductor",
    )
    line = startup_line(settings, load_config(SHIPPED), SHIPPED)
    assert f"config {SHIPPED} (02501 Advanced Deep Learning in Computer Vision)" in line
    assert "database postgresql+asyncpg://conductor:***@db.example/conductor" in line
    assert "platform discord (REST https://discord.com/api/v10, gateway wss://gateway.discord.gg/)" in line
    assert "shards 1 (unsharded)" in line
    assert "s3cret-pw" not in line and "a-token-value-12345" not in line


@pytest.mark.e2e
async def test_a_json_logged_run_has_ids_on_every_event_and_never_the_token_or_typed_text(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path, PLAN, warning_seconds="warning_seconds = [1]\n# ")
    guild, channel, teacher, _ = populate(sandbox, students=2)
    log = tmp_path / "bot.log"
    proc = SignalledBotProcess(sandbox, settings_for(sandbox, tmp_path, config), log, LOG_FORMAT="json")
    await proc.start()
    try:
        refused = await sandbox.run_command(
            teacher, "session start", channel=channel, options={"plan": TYPED}
        )
        await refused.wait_followup(timeout=10)
        assert "There is no plan called" in refused.text
        started = await sandbox.run_command(
            teacher, "session start", channel=channel, options={"plan": "stops"}
        )
        await started.wait_followup(timeout=10)
        await sandbox.wait_for(
            lambda: any(m.embeds and "Block B" in m.embeds[0].get("title", "") for m in channel.messages),
            timeout=20,
            what="the second phase",
        )
        proc.signal(signal.SIGTERM)
        assert await proc.exited() == 0
    finally:
        await proc.terminate()
    text = log.read_text()
    assert sandbox.token not in text
    assert TYPED not in text
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    start = next(line for line in lines if "starting: config" in line["message"])
    assert "database sqlite+aiosqlite" in start["message"] and "shards 1 (unsharded)" in start["message"]
    # What the instructor's command did is tagged with the guild and the interaction.
    tagged = [line for line in lines if line.get("interaction") == started.id]
    assert tagged and all(line["guild"] == guild.id for line in tagged)
    # Every post sent for the session is tagged with it; those the timers sent carry no interaction.
    posts = [
        line for line in lines if line["message"].startswith("sent ") and "session:1/" in line["message"]
    ]
    assert len(posts) >= 3 and all(line.get("session") == 1 for line in posts)
    phase_b = next(line for line in posts if "session:1/start:1:" in line["message"])  # timer-fired
    assert "interaction" not in phase_b and "guild" not in phase_b
    commands = [line["message"] for line in lines if line["message"].startswith("interaction: ")]
    assert commands == [f"interaction: /session start by user {teacher.id}"] * 2
    assert lines[-1]["message"].startswith("stopped cleanly")
