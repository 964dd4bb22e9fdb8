"""Engine and session factories: SQLite (WAL, immediate write transactions) or PostgreSQL."""

import contextlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from api.db.ping import ping_when_idle
from api.settings import Settings

# An execution option that marks a connection as about to write: on SQLite the transaction then starts
# with BEGIN IMMEDIATE, so two writers queue on the lock instead of failing with SQLITE_BUSY mid-way.
WRITE_OPTION = "laborwatch_write"


# SQLite calls the progress handler every this many virtual-machine steps: often enough to stop a
# statement within a fraction of a millisecond of its limit, rarely enough to cost nothing measurable.
PROGRESS_STEPS = 1000
_DEADLINE = "laborwatch_deadline"


def is_sqlite(engine: Engine) -> bool:
    """Tell whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


class _Deadline:
    """When the statement running on one SQLite connection must stop (monotonic seconds)."""

    __slots__ = ("at", "limit_s")

    def __init__(self, limit_s: float) -> None:
        self.at = math.inf
        self.limit_s = limit_s

    def start(self) -> None:
        self.at = time.monotonic() + self.limit_s

    def passed(self) -> int:
        return 1 if time.monotonic() > self.at else 0


# SQLite settings for a bulk load, on top of the usual ones: a larger page cache (64 MiB) so that the
# indexes of a batch of bundles stay in memory, temporary B-trees in memory, and the WAL checkpointed
# after 10,000 pages (about 40 MiB) rather than 1,000, so that a page a load writes again and again is
# copied into the database once per checkpoint, not once per batch. All are per connection and leave
# durability as it is: WAL with synchronous=NORMAL stays consistent after a crash.
BULK_PRAGMAS = (
    "PRAGMA cache_size = -65536",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA wal_autocheckpoint = 10000",
)


def _pool_options(settings: Settings) -> dict[str, Any]:
    return {
        "pool_size": settings.pool_size,
        "max_overflow": settings.pool_max_overflow,
        "pool_timeout": settings.pool_timeout_s,
    }


def _is_file_database(url: URL) -> bool:
    database = url.database or ""
    return database not in ("", ":memory:") and url.query.get("mode") != "memory"


def is_credential(name: str) -> bool:
    """Whether a connection parameter carries a secret: `password`, `sslpassword`, any `pass`-like name."""
    lowered = name.lower()
    return "pass" in lowered or "secret" in lowered or "token" in lowered


def describe_database(database_url: str) -> str:
    """Name the database a URL opens: a SQLite file by its absolute path, else the URL without password.

    A SQLite file that does not exist yet is said to be new: opening it creates an empty database there.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not _is_file_database(url):
            return "SQLite in memory (nothing is kept)"
        path = Path(url.database or "").resolve()  # SQLite opens a relative path from the working folder
        if path.exists():
            return f"{path} (SQLite)"
        return f"{path} (SQLite; new, empty: no file there yet, it is created now)"
    # Neither the password nor a password-like query parameter (libpq takes `password`, `sslpassword`) is
    # shown, not even masked. (`URL.set(password=None)` would keep it: `set` leaves what it is given None.)
    query = {name: value for name, value in url.query.items() if not is_credential(name)}
    shown = URL.create(url.drivername, url.username, None, url.host, url.port, url.database, query)
    return shown.render_as_string(hide_password=False)


# Which pool a connection was opened for: `Engine.dispose` starts the engine on a new pool.
_GENERATION = "laborwatch_pool_generation"


def close_when_given_back_late(engine: Engine) -> None:
    """Close a connection given back after `engine.dispose()`, rather than leave it open in its old pool.

    `dispose` closes the connections resting in the pool and starts a new one. A connection checked out
    at that moment (a read still finishing in a worker thread while the server stops, a stream a client
    left) is given back later to the old pool, which nothing takes from again: its socket or file would
    stay open until the garbage collector finds it.
    """
    generation = [0]

    @event.listens_for(engine, "engine_disposed")
    def _disposed(_engine: Engine) -> None:
        generation[0] += 1

    @event.listens_for(engine, "connect")
    def _opened(_dbapi_connection: Any, record: Any) -> None:
        record.info[_GENERATION] = generation[0]

    @event.listens_for(engine, "checkin")
    def _given_back(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None and record.info.get(_GENERATION) != generation[0]:
            with contextlib.suppress(Exception):  # closing a broken connection may fail; it is gone anyway
                dbapi_connection.close()


def make_engine(settings: Settings, *, read_limit: bool = False, bulk: bool = False) -> Engine:
    """Create the engine for `settings.database_url`, with SQLite set up for safe concurrent use.

    The pool follows the `pool_*` settings. With `read_limit` (the server's engine), a statement that is
    not part of a write stops after `settings.statement_timeout_ms`: PostgreSQL's `statement_timeout`,
    a progress handler on SQLite; on PostgreSQL a read transaction idle for
    `settings.idle_in_transaction_timeout_ms` is ended too. The command line's engines leave both off.
    `bulk` tunes SQLite's connections for loading many bundles (the `ingest` command).
    """
    url = make_url(settings.database_url)
    limit_ms = settings.statement_timeout_ms if read_limit else 0
    if url.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_recycle=settings.pool_recycle_s or -1, **_pool_options(settings))
        close_when_given_back_late(engine)
        ping_when_idle(engine)  # rather than `pool_pre_ping`: a round trip per request saved
        idle_ms = settings.idle_in_transaction_timeout_ms if read_limit else 0
        if limit_ms or idle_ms:
            _limit_postgresql_reads(engine, limit_ms, idle_ms)
        return engine
    pool = _pool_options(settings) if _is_file_database(url) else {}
    engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
    close_when_given_back_late(engine)
    busy_timeout = settings.sqlite_busy_timeout_ms

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Leave transactions to SQLAlchemy's `begin` event below (the SQLite dialect docs' recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        for pragma in BULK_PRAGMAS if bulk else ():
            cursor.execute(pragma)
        cursor.close()
        if limit_ms:
            deadline = _Deadline(limit_ms / 1000)
            record.info[_DEADLINE] = deadline
            dbapi_connection.set_progress_handler(deadline.passed, PROGRESS_STEPS)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writing = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    if limit_ms:
        _limit_sqlite_reads(engine)
    return engine


def _limit_postgresql_reads(engine: Engine, limit_ms: int, idle_ms: int) -> None:
    """Give each connection `statement_timeout`, `idle_in_transaction_session_timeout`; writes lift both.

    The second ends a read transaction that stays open and idle (an export whose client stopped reading,
    should the server not end it first): the database closes that session, its locks and snapshot go.
    """

    @event.listens_for(engine, "connect")
    def _set_limit(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(limit_ms)}")
            cursor.execute(f"SET idle_in_transaction_session_timeout = {int(idle_ms)}")
        # Committed: a SET in a transaction that the pool then rolls back would be undone with it.
        dbapi_connection.commit()

    @event.listens_for(engine, "begin")
    def _lift_for_writes(connection: Connection) -> None:
        if connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql(  # SET LOCAL of both, in one round trip
                "SELECT set_config('statement_timeout', '0', true), "
                "set_config('idle_in_transaction_session_timeout', '0', true)"
            )


def _deadline(connection: Connection) -> _Deadline | None:
    deadline = connection.info.get(_DEADLINE)
    return deadline if isinstance(deadline, _Deadline) else None


def restart_statement_clock(connection: Connection) -> None:
    """Give a streamed read's next fetch a time limit of its own, as each separate statement has.

    PostgreSQL does so itself (each FETCH of a server-side cursor is a statement); on SQLite the clock of
    the progress handler is started again.
    """
    deadline = _deadline(connection)
    if deadline is not None and not connection.get_execution_options().get(WRITE_OPTION, False):
        deadline.start()


def _limit_sqlite_reads(engine: Engine) -> None:
    """Start each statement's clock as it is sent; writes, commits and rollbacks run unlimited."""

    @event.listens_for(engine, "before_cursor_execute")
    def _start_clock(connection: Connection, *_args: Any) -> None:
        deadline = _deadline(connection)
        if deadline is not None:
            writing = connection.get_execution_options().get(WRITE_OPTION, False)
            if writing:
                deadline.at = math.inf
            else:
                deadline.start()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _stop_clock(connection: Connection) -> None:
        deadline = _deadline(connection)
        if deadline is not None:
            deadline.at = math.inf


@contextmanager
def write_session(engine: Engine, *, commit: bool = True) -> Iterator[Session]:
    """Open a session for one atomic write: commit on success, roll back on any error.

    With `commit=False` (a dry run) everything is checked and written, then rolled back.
    """
    writer = engine.execution_options(**{WRITE_OPTION: True})
    with Session(writer, expire_on_commit=False) as session:
        transaction = session.begin()
        try:
            if not is_sqlite(engine):
                # One writer at a time, as SQLite's BEGIN IMMEDIATE gives: figures recomputed from
                # counts must see every earlier write, and the same bundle sent twice must find itself.
                session.execute(text("SELECT version FROM data_version WHERE id = 1 FOR UPDATE"))
            yield session
            session.flush()
        except BaseException:
            transaction.rollback()
            raise
        if commit:
            transaction.commit()
        else:
            transaction.rollback()


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """Open a read-only session; nothing it does is committed."""
    with Session(engine) as session:
        yield session
