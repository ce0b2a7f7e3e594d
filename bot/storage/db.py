"""The database handle: an async engine, sessions, and Alembic migrations run at start-up."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

from bot.storage.models import Base, BotState

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
# The key of the PostgreSQL advisory lock held while migrating: processes that
# start together on one database migrate it one after the other, and the later ones find nothing to do.
MIGRATION_LOCK = 0x434F4E44  # "COND"
_REVISION = re.compile(r"""^revision\s*(?::[^=]*)?=\s*["']([^"']+)["']\s*$""", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=(.*)$", re.MULTILINE)
_DEPENDS = re.compile(r"^depends_on\s*(?::[^=]*)?=\s*None\s*$", re.MULTILINE)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _connect_or_operational(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Connect; a server that cannot be reached (refused, socket gone) is a database error like any other.

    asyncpg raises plain OSErrors when connecting fails; as the driver's OperationalError they reach the
    bot as SQLAlchemy's, and get the same clear "I cannot reach my database" answer (bot/adapters/discord/tree.py) and the
    same retries as a locked SQLite file.
    """
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as error:
        raise dialect.loaded_dbapi.OperationalError(f"cannot reach the database server: {error}") from error


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    from alembic.config import Config  # Alembic is imported only when a migration has to run

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def head_revisions(versions: Path = MIGRATIONS / "versions") -> frozenset[str] | None:
    """The newest migration ids, read from the migration files without importing Alembic; None if unsure.

    Reads each file's `revision = "..."` and `down_revision = ...` lines; any file it cannot read that
    way (or one with `depends_on`) makes the answer None, and the caller asks Alembic instead.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(versions.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is None or down is None or _DEPENDS.search(source) is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"""["']([^"']+)["']""", down.group(1)))
    heads = revisions - parents
    return frozenset(heads) if heads and parents <= revisions else None


def _stamped(connection: Connection) -> frozenset[str] | None:
    """The revisions the database says it is at (None when it has no Alembic version table)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


class _FreedSlot:
    """Put in the pool's queue when a new connection could not be made: whoever waits for one wakes up
    and tries for itself. Closed with the pool like a connection (nothing to close)."""

    def close(self) -> None:
        """Nothing to release."""


_SLOT_FREED = cast(ConnectionPoolEntry, _FreedSlot())  # a `ConnectionPoolEntry` only to the type checker


class WakingPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's async queue pool, where a failed connect wakes whoever waits for a connection.

    When the pool is at its size, callers wait on its queue for a connection to come back; but when the
    one making a new connection fails (the database unreachable), nothing comes back and nobody was
    woken: every other caller waited out the whole `pool_timeout` (30 s) and then failed with "QueuePool
    limit reached" instead of the real error. Now the failure leaves a token in the queue, and the next
    caller takes the freed slot and tries (and fails at once with the real error, or connects).
    """

    def _do_get(self) -> ConnectionPoolEntry:
        while True:  # woken by a freed slot: the base pool now finds it free and connects (or fails)
            record = super()._do_get()
            if record is not _SLOT_FREED:
                return record

    def _create_connection(self) -> ConnectionPoolEntry:
        try:
            return super()._create_connection()
        except BaseException:
            self._wake_next()  # the caller frees the slot before anyone woken here runs
            raise

    def _wake_next(self) -> None:
        if self._pool.empty():  # connections idle: nobody waits
            self._pool.put_nowait(_SLOT_FREED)


class Database:
    """Owns the engine and hands out sessions; every call is async, nothing blocks the event loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = (
            create_async_engine(url, poolclass=WakingPool, pool_size=1, max_overflow=0)
            if self.is_sqlite
            # pre_ping: a connection the server dropped (restart, failover) is replaced, not handed out.
            else create_async_engine(url, poolclass=WakingPool, pool_pre_ping=True)
        )
        self._file = (
            Path(parsed.database)
            if self.is_sqlite and parsed.database and parsed.database != ":memory:"
            else None
        )
        self._identity: tuple[int, int] | None = None
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "connect", self._remember_file)
            event.listen(self.engine.sync_engine, "checkout", self._same_file)
        else:
            event.listen(self.engine.sync_engine, "do_connect", _connect_or_operational)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def _remember_file(self, _dbapi_connection: Any, _record: Any) -> None:
        if self._file is not None and self._file.exists():
            stat = self._file.stat()
            self._identity = (stat.st_dev, stat.st_ino)

    def _same_file(self, _dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        """Notice a database file deleted or replaced under the running bot (the open handle hides it)."""
        if self._file is None or self._identity is None:
            return
        try:
            stat = self._file.stat()
            same = (stat.st_dev, stat.st_ino) == self._identity
        except FileNotFoundError:
            same = False
        if not same:
            log.error(
                "the database file %s was deleted or replaced while the bot ran: reconnecting", self._file
            )
            self._identity = None
            raise DisconnectionError(f"database file {self._file} was deleted or replaced")

    def session(self) -> AsyncSession:
        """A new unit of work (use as `async with db.session() as s, s.begin(): ...`)."""
        return self.sessions()

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (without loading Alembic when it is there)."""
        heads = head_revisions()
        if heads is not None:
            async with self.engine.connect() as conn:
                current = await conn.run_sync(_stamped)
            if current == heads:
                log.info("database ready (%s; schema at %s)", self.safe_url, ", ".join(sorted(heads)))
                return

        def upgrade(connection: Connection) -> None:
            from alembic import command

            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

        async with self.engine.begin() as conn:
            # Several processes may start at once on one database: one migrates, the others wait here
            # and then find the schema current. Both locks last until this transaction ends (commit,
            # rollback or a dropped connection), so a crash never leaves one taken.
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            elif self.is_sqlite:
                # Python's sqlite3 opens a transaction only before INSERT/UPDATE/DELETE, so the version
                # check and CREATE TABLEs would race; take the file's write lock first instead.
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
            await conn.run_sync(upgrade)
        log.info("database ready (%s)", self.safe_url)

    async def state(self, key: str) -> str | None:
        """A value the bot keeps for itself (e.g. the digest of the last command set synced), if any."""
        async with self.session() as session:
            row = await session.get(BotState, key)
            return None if row is None else row.value

    async def set_state(self, key: str, value: str) -> None:
        """Keep a value for the bot itself."""
        async with self.session() as session, session.begin():
            await session.merge(BotState(key=key, value=value))

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for logs and status."""
        return make_url(self.url).render_as_string(hide_password=True)

    async def close(self) -> None:
        """Release every connection, and the statements compiled for this engine."""
        await self.engine.dispose()
        # SQLAlchemy keeps the flush's compiled INSERTs/UPDATEs per mapper, keyed by dialect: each closed
        # engine's stay behind (bounded, 100 a mapper) and one process running rehearsal after rehearsal
        # grew by them. Emptying the caches only costs the next engine a compile.
        for mapper in Base.registry.mappers:
            cache = mapper.__dict__.get("_compiled_cache")  # made on first use (a memoized attribute)
            if cache is not None:
                cache.clear()
