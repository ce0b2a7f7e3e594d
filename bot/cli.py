"""Command line: `python -m bot run | check-config | rehearse | export | doctor | backup`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.errors import ConductorError

if TYPE_CHECKING:
    from pydantic import ValidationError

    from bot.core.plan import Course
    from bot.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Conductor: runs reading-group sessions."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot (needs DISCORD_TOKEN)")
    run.add_argument("--config", type=Path, default=None, help="course configuration (default: config.toml)")
    run.add_argument("--shards", default=None, help='the shards this process owns, e.g. "0,1" (SHARD_IDS)')
    run.add_argument("--shard-count", type=int, default=None, help="shards in all processes (SHARD_COUNT)")
    run.add_argument(
        "--platform",
        choices=("discord", "slack"),
        default=None,
        help="the chat to run on (default: [platform] in the configuration, else discord)",
    )
    check = sub.add_parser("check-config", help="validate a configuration and print its summary")
    check.add_argument("path", nargs="?", type=Path, default=Path("config.toml"))
    rehearse = sub.add_parser("rehearse", help="dry-run the afternoon against the local sandbox, fast")
    rehearse.add_argument("config", nargs="?", type=Path, default=Path("config.toml"))
    rehearse.add_argument("--speed", type=float, default=None, help="speed-up (default: the plan in ~2 min)")
    rehearse.add_argument("--students", type=int, default=43, help="simulated students (default 43)")
    rehearse.add_argument("--seed", type=int, default=0, help="seed of the class's behaviour")
    rehearse.add_argument("--plan", default=None, help="plan to run (default: the configured default)")
    rehearse.add_argument("--out", type=Path, default=None, help="folder for the transcript and exports")
    rehearse.add_argument(
        "--platform",
        choices=("discord", "slack"),
        default="discord",
        help="the sandbox to rehearse on: the local Discord (default) or the local Slack",
    )
    export = sub.add_parser("export", help="write a session's CSV and Markdown report (uses DATABASE_URL)")
    export.add_argument("session", type=int, help="the session number")
    export.add_argument("--out", type=Path, default=Path("."), help="folder for the files (default: here)")
    export.add_argument(
        "--config", type=Path, default=None, help="course configuration (default: config.toml)"
    )
    doctor = sub.add_parser(
        "doctor", help="pre-flight before class: config, database, token, server, permissions"
    )
    doctor.add_argument(
        "--config", type=Path, default=None, help="course configuration (default: config.toml)"
    )
    doctor.add_argument(
        "--dm-test", metavar="USER", default=None, help="send USER (username or id) a test DM"
    )
    doctor.add_argument(
        "--guild", type=int, default=None, help="the class's server id (when the bot is in several)"
    )
    backup = sub.add_parser("backup", help="copy the SQLite database safely while the bot runs")
    backup.add_argument("path", type=Path, help="the file to write (e.g. backups/conductor-2024-03-12.db)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m bot`; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except _settings_error() as error:
        if error.title != "Settings":
            raise
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors())
        print(f"error: invalid setting in the environment (or .env): {problems}", file=sys.stderr)
        return 2


def _settings_error() -> type[ValidationError]:
    from pydantic import ValidationError

    return ValidationError


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check-config":
        from bot.config_summary import main_check_config

        return main_check_config(args.path)
    if args.command == "run":
        return _run(args.config, args.shards, args.shard_count, args.platform)
    if args.command == "rehearse":
        return _rehearse(args)
    if args.command == "export":
        return _export(args.session, args.out, args.config)
    if args.command == "doctor":
        from bot.doctor import main_doctor

        return main_doctor(args)
    if args.command == "backup":
        return _backup(args.path)
    return 2


def _backup(path: Path) -> int:
    from bot.backup import BackupError, backup_sqlite
    from bot.settings import Settings

    try:
        source, pages = backup_sqlite(Settings().resolved_database_url(), path)
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"backed up {source} to {path} ({pages} pages, checked)")
    return 0


def _run(
    config_path: Path | None,
    shards: str | None = None,
    shard_count: int | None = None,
    platform: str | None = None,
) -> int:
    from bot import startup

    startup.pause()  # resumed once the catch-up is sent (bot.startup says why)
    try:
        from bot import logs
        from bot.config import ConfigError, load_config
        from bot.settings import Settings

        overrides = {"shard_ids": shards, "shard_count": shard_count}
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
        secrets = [s.get_secret_value() for s in settings.secrets()]
        logs.setup(settings.log_level, settings.log_format, secrets=[*secrets, *(s.strip() for s in secrets)])
        try:
            course = load_config(config_path or settings.conductor_config)
            if (platform or course.platform.value) == "slack":
                return _run_slack(settings, course)
            return _run_discord(settings, course, config_path or settings.conductor_config)
        except (ConfigError, ConductorError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 0
        finally:
            logs.flush()
    finally:
        startup.resume()


def _run_discord(settings: Settings, course: Course, config_path: Path) -> int:
    """`python -m bot run` on Discord: the bot until SIGTERM or SIGINT (discord.py is imported only here)."""
    import discord

    from bot.adapters.discord.wiring import run

    try:
        asyncio.run(run(settings, course, config_path))
    except discord.LoginFailure:
        print(
            "error: Discord refused the token (401). Copy the bot token again from the Developer Portal "
            "(Bot > Reset Token) into DISCORD_TOKEN; `python -m bot doctor` checks it.",
            file=sys.stderr,
        )
        return 2
    except discord.PrivilegedIntentsRequired:
        print(
            "error: Discord closed the gateway (4014): the Server Members intent is not enabled. In the "
            "Developer Portal, Bot > Privileged Gateway Intents, turn on Server Members Intent.",
            file=sys.stderr,
        )
        return 2
    return 0


def _run_slack(settings: Settings, course: Course) -> int:
    """`python -m bot run --platform slack`: the Slack app over Socket Mode until SIGTERM or SIGINT."""
    from dataclasses import replace

    from bot import startup
    from bot.adapters.slack.frontend import SlackConductor
    from bot.core.platform import Platform, SlackOptions

    if course.slack is None:
        course = replace(
            course, platform=Platform.SLACK, slack=SlackOptions(class_channel=course.class_channel)
        )
    startup.resume()  # its modules are loaded; the Slack app starts with the collector on
    asyncio.run(SlackConductor(settings, course).run())
    return 0


def _rehearse(args: argparse.Namespace) -> int:
    from bot.config import ConfigError
    from bot.rehearsal_report import Options
    from bot.rehearsal_script import main_rehearse

    if args.students < 1 or (args.speed is not None and args.speed <= 0):
        print("error: --students must be at least 1 and --speed positive", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return main_rehearse(
            Options(
                config=args.config,
                speed=args.speed,
                students=args.students,
                seed=args.seed,
                plan=args.plan,
                out=args.out,
                platform=args.platform,
            )
        )
    except (ConfigError, ConductorError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _export(session_id: int, out: Path, config_path: Path | None) -> int:
    from bot.config import ConfigError

    try:
        files = asyncio.run(export_files(session_id, config_path))
    except (ConfigError, ConductorError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)  # the very bytes `/export` attaches
        print(out / name)
    return 0


async def export_files(session_id: int, config_path: Path | None = None) -> dict[str, bytes]:
    """`python -m bot export`: a session's export files, by name, from DATABASE_URL (nothing is posted)."""
    from bot.compose import offline_application
    from bot.config import load_config
    from bot.settings import Settings

    settings = Settings()
    course = load_config(config_path or settings.conductor_config)
    async with offline_application(course, settings.resolved_database_url()) as app:
        return await app.submissions.export_files(session_id)
