"""`python -m bot backup PATH`: a checked copy of the SQLite database; PostgreSQL is pointed to pg_dump."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.storage.db import Database

ROOT = Path(__file__).resolve().parents[1]


def backup(path: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "bot", "backup", str(path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_backup_copies_a_live_database_and_refuses_to_overwrite(tmp_path: Path) -> None:
    source = tmp_path / "conductor.db"
    db = Database(f"sqlite+aiosqlite:///{source}")
    await db.migrate()  # WAL mode, as the running bot has it
    with sqlite3.connect(source) as conn:
        conn.execute("insert into bot_state (key, value) values ('probe', 'kept')")
    copy = tmp_path / "backups" / "conductor-copy.db"
    try:
        done = backup(copy, f"sqlite+aiosqlite:///{source}")  # the bot's engine still holds the file open
    finally:
        await db.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"backed up {source} to {copy}")
    with sqlite3.connect(copy) as conn:
        assert conn.execute("select value from bot_state where key = 'probe'").fetchone() == ("kept",)
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)

    again = backup(copy, f"sqlite+aiosqlite:///{source}")
    assert again.returncode == 2 and "exists already" in again.stderr


def test_postgresql_is_pointed_to_pg_dump_and_the_password_is_not_shown(tmp_path: Path) -> None:
    done = backup(tmp_path / "x.db", "postgresql+asyncpg://conductor:pw-9931@db/conductor")
    assert done.returncode == 2
    assert "pg_dump" in done.stderr and "pw-9931" not in done.stderr
