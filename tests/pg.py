"""A throwaway PostgreSQL server for tests: Debian's binaries, a temp dir, a Unix socket, no TCP.

`PostgresServer.start()` runs `initdb` and `pg_ctl start` (as the `postgres` OS user when the tests run
as root, since PostgreSQL refuses to run as root), listening only on a socket in the temp dir, with
fsync off. `create_database()` makes a fresh database per test, so tests stay independent (and each
pytest-xdist worker starts its own server). Without the binaries the PostgreSQL tests are skipped
with a message, except in CI (`CI=true`), where that is a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import asyncpg

PG_GLOBS = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")


def find_bindir() -> Path | None:
    """The folder holding `initdb` and `pg_ctl` (newest version first), or None."""
    env = os.environ.get("PG_BINDIR")
    candidates = [env] if env else []
    for pattern in PG_GLOBS:
        candidates += sorted(glob.glob(pattern), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def unavailable_reason() -> str | None:
    """Why no PostgreSQL server can be started here (None when one can)."""
    if find_bindir() is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install them "
            "(`apt-get install -y postgresql`) or set PG_BINDIR to run the PostgreSQL tests"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` OS user to run the server as"
    return None


class PostgresServer:
    """One PostgreSQL cluster in a temp dir, reachable only through its Unix socket."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        # Short path: a Unix socket path must fit in 107 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix="cpg-"))
        self.data = self.dir / "data"
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        self.started = False

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL will not run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)

    def start(self) -> None:
        """initdb and start the server; raises with the server's own words when that fails."""
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
        init = self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8")
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stdout}{init.stderr}")
        self.resume()

    def interrupt(self) -> None:
        """Stop the server (fast shutdown: connections are cut), keeping its data, as in an outage."""
        stopped = self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        if stopped.returncode != 0:
            raise RuntimeError(f"pg_ctl stop failed: {stopped.stdout}{stopped.stderr}")
        self.started = False

    def resume(self) -> None:
        """Start the (initialised) server and wait until it accepts connections."""
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{self.dir}' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        log = self.dir / "server.log"
        started = self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-o", options, "-w", "start")
        if started.returncode != 0:
            text = log.read_text() if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stdout}{started.stderr}{text}")
        self.started = True

    def stop(self) -> None:
        """Stop the server at once and delete its files."""
        if self.started:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of a database on this server (asyncpg over the Unix socket)."""
        return f"postgresql+asyncpg://{self.user}@/{database}?host={self.dir}"

    async def create_database(self, prefix: str = "t") -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"{prefix}_{secrets.token_hex(6)}"
        conn = await asyncpg.connect(host=str(self.dir), user=self.user, database="postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)
