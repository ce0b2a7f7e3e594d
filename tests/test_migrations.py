"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import asyncio
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from bot.storage.db import Database, alembic_config, head_revisions
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


def test_the_display_names_migration_goes_down_and_up_again(tmp_path: Path) -> None:
    """0002_h2 adds `display_names` and drops the unused `guild_settings`; downgrading restores it."""
    url = f"sqlite:///{tmp_path / 'd.db'}"
    cfg = alembic_config(url)
    before = ScriptDirectory.from_config(cfg).get_revision("0002_h2").down_revision
    command.upgrade(cfg, "head")
    engine = create_engine(url)
    try:
        assert "display_names" in inspect(engine).get_table_names()
        assert "guild_settings" not in inspect(engine).get_table_names()
        command.downgrade(cfg, str(before))
        tables = inspect(engine).get_table_names()
        assert "display_names" not in tables and "guild_settings" in tables
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


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


@BOTH_DATABASES
async def test_posts_waiting_from_before_sharding_get_their_sessions_guild(db_url: str) -> None:
    """A database from before posts carried a guild: its undelivered posts are tagged on upgrade."""
    from alembic import command

    from bot.storage.db import alembic_config

    db = Database(db_url)
    try:
        async with db.engine.begin() as conn:

            def upgrade_to_0001(c: object) -> None:
                cfg = alembic_config(db_url)
                cfg.attributes["connection"] = c
                command.upgrade(cfg, "0001")

            await conn.run_sync(upgrade_to_0001)
            now = "'2024-03-12 12:50:00'"
            await conn.execute(
                text(
                    "INSERT INTO sessions (id, guild_id, channel_id, plan_name, status, entries, durations_ms, "
                    f"started_at, cursor, open_posts, seed, created_by, created_at) VALUES (7, {2**62 + 5}, 1, "
                    f"'fast', 'running', '[]', '[]', {now}, -1, '[]', 0, 1, {now})"
                )
            )
            for i, (scope, status) in enumerate(
                [
                    ("session:7", "pending"),
                    ("card:7:99", "pending"),
                    ("session:7", "sent"),
                    ("other", "pending"),
                ]
            ):
                await conn.execute(
                    text(
                        "INSERT INTO posts (id, scope, key, channel_id, nonce, kind, payload, status, attempts, "
                        f"created_at) VALUES ({i + 1}, '{scope}', 'k{i}', 1, 'n{i}', 'send', '{{}}', "
                        f"'{status}', 0, {now})"
                    )
                )
        await db.migrate()
        async with db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, guild_id FROM posts ORDER BY id"))).all()
    finally:
        await db.close()
    assert [tuple(r) for r in rows] == [(1, 2**62 + 5), (2, 2**62 + 5), (3, None), (4, None)]


def test_heads_read_from_the_files_are_alembics() -> None:
    """Start-up skips Alembic when the database is at the head read from the files: it must be Alembic's."""
    heads = head_revisions()
    assert heads is not None
    assert heads == set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


async def test_a_database_behind_the_head_is_still_upgraded(tmp_path: Path) -> None:
    """The fast path only skips Alembic at the head: an older stamp still gets the missing migrations."""
    url = f"sqlite:///{tmp_path / 'b.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0002_h2")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    await db.migrate()
    await db.close()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert set(MigrationContext.configure(conn).get_current_heads()) == head_revisions()
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def test_unreadable_migration_files_mean_ask_alembic(tmp_path: Path) -> None:
    (tmp_path / "0001_x.py").write_text('revision = "a"\ndown_revision = None\ndepends_on = None\n')
    (tmp_path / "0002_x.py").write_text('revision = "b"\ndown_revision = "a"\ndepends_on = None\n')
    assert head_revisions(tmp_path) == {"b"}
    (tmp_path / "0003_x.py").write_text('revision = make_id()\ndown_revision = "b"\n')
    assert head_revisions(tmp_path) is None
