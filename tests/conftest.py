"""Shared by every test: discord.py's endpoints put back after each test, and the database to run on.

`db_url` is a fresh database's SQLAlchemy URL: SQLite in the test's temp dir by default. A test runs on
PostgreSQL as well when parametrised with `BOTH_DATABASES` (or `indirect` over "sqlite", "postgres"):
then one throwaway PostgreSQL server per test process (tests/pg.py) gives it a new empty database.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import discord
import pytest

from tests.pg import PostgresServer, find_bindir, unavailable_reason

# Run a test on SQLite and on PostgreSQL: `@BOTH_DATABASES` (the test takes `db_url`, or a fixture that does).
BOTH_DATABASES = pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)


@pytest.fixture(autouse=True)
def _restore_discord_endpoints() -> Iterator[None]:
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for this test process (skipped without binaries, except in CI)."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(reason)
    bindir = find_bindir()
    assert bindir is not None
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database for this test: SQLite (default) or PostgreSQL (`param` "postgres")."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'conductor.db'}"
    assert kind == "postgres", kind
    server: PostgresServer = request.getfixturevalue("pg_server")
    return await server.create_database()
