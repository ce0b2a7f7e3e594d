"""`python -m bot backup PATH`: a consistent copy of the SQLite database, safe while the bot runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup could not be made; the message says why and what to do."""


def backup_sqlite(database_url: str, target: Path) -> tuple[Path, int]:
    """Copy the SQLite database with sqlite3's online backup API and check the copy; returns (source, pages)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"{url.render_as_string(hide_password=True)} is not SQLite: back PostgreSQL up with pg_dump "
            "(README, Running it for real: Backups)"
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory: there is nothing to back up")
    source = Path(url.database)
    if not source.exists():
        raise BackupError(f"{source} does not exist: check DATABASE_URL or DATA_DIR")
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)  # page by page, consistent even while the bot writes (WAL)
        pages = dst.execute("pragma page_count").fetchone()[0]
        check = dst.execute("pragma integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check ({check}): try again")
    finally:
        dst.close()
        src.close()
    return source, int(pages)
