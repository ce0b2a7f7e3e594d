"""Command line: `python -m bot run | check-config [PATH]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.core.errors import ConductorError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Conductor: runs reading-group sessions."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot (needs DISCORD_TOKEN)")
    run.add_argument("--config", type=Path, default=None, help="course configuration (default: config.toml)")
    check = sub.add_parser("check-config", help="validate a configuration and print its summary")
    check.add_argument("path", nargs="?", type=Path, default=Path("config.toml"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m bot`; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "check-config":
        from bot.config_summary import main_check_config

        return main_check_config(args.path)
    if args.command == "run":
        return _run(args.config)
    return 2


def _run(config_path: Path | None) -> int:
    import discord

    from bot.config import ConfigError, load_config
    from bot.settings import Settings
    from bot.wiring import run

    settings = Settings()
    discord.utils.setup_logging(level=getattr(logging, settings.log_level.upper(), logging.INFO), root=True)
    try:
        course = load_config(config_path or settings.conductor_config)
        asyncio.run(run(settings, course))
    except (ConfigError, ConductorError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0
