"""The deployment recipes in deploy/ run what the tests run, and stop the way the bot expects."""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from bot.adapters.discord.client import CUTOFF_SECONDS
from bot.adapters.discord.wiring import build_bot
from bot.config import load_config
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "deploy" / "conductor.service"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
# What tests/reliability and tests/e2e start as a subprocess: `sys.executable -m bot run`.
RUN_ARGS = ["-m", "bot", "run"]


def unit() -> configparser.ConfigParser:
    """The systemd unit, parsed (systemd allows repeated keys; the last one wins here)."""
    parser = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser


def unit_command() -> list[str]:
    """The unit's ExecStart as argv, its interpreter (the venv's python) first."""
    return shlex.split(unit()["Service"]["ExecStart"])


def test_the_unit_runs_the_command_the_tests_run() -> None:
    argv = unit_command()
    assert Path(argv[0]).name.startswith("python"), argv
    assert argv[1:] == RUN_ARGS


async def test_the_unit_restarts_on_failure_and_stops_with_sigterm_within_the_grace(tmp_path: Path) -> None:
    service = unit()["Service"]
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    assert service["EnvironmentFile"].endswith("conductor.env")
    assert "DISCORD_TOKEN" not in UNIT.read_text().split("[Service]")[1].replace("# DISCORD_TOKEN", "")
    grace = Settings(_env_file=None).stop_grace_seconds
    stop = float(service["TimeoutStopSec"])
    assert grace + CUTOFF_SECONDS < stop <= grace + 30, (grace, stop)
    # systemd's SIGKILL comes only after the longest the bot's own stop sequence can take.
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    bot = build_bot(settings, load_config(ROOT / "config.toml"))
    try:
        assert bot.shutdown.budget() <= stop, (bot.shutdown.budget(), stop)
    finally:
        await bot.db.close()
    assert service["RestartPreventExitStatus"] == "2"  # config and token errors exit 2


def test_the_container_runs_the_same_command_on_python_3_11_slim() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.MULTILINE)
    cmd = next(line for line in text.splitlines() if line.startswith("CMD "))
    argv = json.loads(cmd.removeprefix("CMD "))
    assert argv[1:] == RUN_ARGS and argv[0].startswith("python")
    assert "STOPSIGNAL SIGTERM" in text
    compose = COMPOSE.read_text()
    assert "postgres" in compose and "stop_grace_period" in compose
    # The token comes from the environment only, never written into the file.
    assert re.findall(r"^\s*DISCORD_TOKEN:\s*(.*)$", compose, re.MULTILINE) == [
        "${DISCORD_TOKEN:?set DISCORD_TOKEN}"
    ]


def test_a_bad_setting_in_the_environment_is_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env.update(STOP_GRACE_SECONDS="soon", LOG_FORMAT="xml")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(ROOT / "config.toml")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: invalid setting in the environment (or .env): LOG_FORMAT:")
    assert "STOP_GRACE_SECONDS" in done.stderr and "Traceback" not in done.stderr
