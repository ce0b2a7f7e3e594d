"""The Alembic migrations build exactly the schema the models describe."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from bot.storage.db import Database, alembic_config, head_revisions
from bot.storage.models import Base


async def test_migrations_match_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    await db.migrate()
    await db.migrate()  # a second start-up finds nothing to do
    await db.close()
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
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
