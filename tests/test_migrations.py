"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import asyncio
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from bot.storage.db import Database
from bot.storage.models import Base
from tests.conftest import BOTH_DATABASES

ROOT = Path(__file__).resolve().parents[1]
MIGRATE = (
    "import asyncio, sys; from bot.storage.db import Database; asyncio.run(Database(sys.argv[1]).migrate())"
)


@BOTH_DATABASES
async def test_migrations_match_the_models(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    await db.migrate()  # a second start-up finds nothing to do
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    await db.close()
    assert diff == []


@BOTH_DATABASES
async def test_processes_starting_together_migrate_the_database_once(db_url: str) -> None:
    """Four processes start at the same moment on one empty database: each finds it migrated once."""
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", MIGRATE, db_url, cwd=str(ROOT), stderr=asyncio.subprocess.PIPE
        )
        for _ in range(4)
    ]
    results = await asyncio.gather(*(p.communicate() for p in procs))
    errors = [err.decode()[-2000:] for p, (_, err) in zip(procs, results, strict=True) if p.returncode]
    assert errors == []
    db = Database(db_url)
    try:
        async with db.engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            tables = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    finally:
        await db.close()
    assert len(versions) == 1
    assert {"sessions", "posts", "assignments", "submissions", "alembic_version"} <= tables
