"""Engine and session factories: SQLite (WAL, immediate write transactions) or PostgreSQL."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from api.settings import Settings

# An execution option that marks a connection as about to write: on SQLite the transaction then starts
# with BEGIN IMMEDIATE, so two writers queue on the lock instead of failing with SQLITE_BUSY mid-way.
WRITE_OPTION = "laborwatch_write"


def is_sqlite(engine: Engine) -> bool:
    """Tell whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


# SQLite settings for a bulk load, on top of the usual ones: a larger page cache (64 MiB) so that the
# indexes of a batch of bundles stay in memory, and temporary B-trees in memory. Both are per connection
# and leave durability as it is: WAL with synchronous=NORMAL stays consistent after a crash.
BULK_PRAGMAS = ("PRAGMA cache_size = -65536", "PRAGMA temp_store = MEMORY")


def make_engine(settings: Settings, *, bulk: bool = False) -> Engine:
    """Create the engine for `settings.database_url`, with SQLite set up for safe concurrent use.

    `bulk` tunes SQLite's connections for loading many bundles (the `ingest` command).
    """
    url = settings.database_url
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})
    busy_timeout = settings.sqlite_busy_timeout_ms

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
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
        # SQLite's lower() folds ASCII only; filters on Russian or Chinese place names need Unicode.
        dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writing = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine


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
