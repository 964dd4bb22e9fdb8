"""The data version: one counter bumped by every write, behind ETags and the totals carried in cursors.

Writers bump it in their own transaction. Readers ask a `VersionReader` once per request: on SQLite it
keeps a connection of its own, outside the engine's pool, and rereads the counter only when
`PRAGMA data_version` says another connection committed since its last look (no table read on most
requests); elsewhere it reads the row on a pooled connection. On PostgreSQL that read is a thread hop, a
pooled connection and a round trip of its own, so a request's version is a `PendingVersion` there: read
on the connection of the request's first read, in that read's worker thread, just before its statements.
"""

import contextlib
import sqlite3
import threading
from typing import Any

import anyio.to_thread
from sqlalchemy import Connection, Engine, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlmodel import col

from models import DataVersion
from models.base import utc_now

_READ = "SELECT version FROM data_version WHERE id = 1"
BUSY_TIMEOUT_MS = 2000  # WAL readers do not wait for writers; this covers a checkpoint or a recovery


def bump_data_version(session: Session) -> None:
    """Add one to the data version in the caller's transaction."""
    session.execute(
        update(DataVersion)
        .where(col(DataVersion.id) == 1)
        .values(version=DataVersion.version + 1, changed_at=utc_now())
    )


# Where a request's version is kept in its ASGI scope's state: the number, and a pending read of it.
STATE_KEY = "data_version"
PENDING_KEY = "data_version_pending"


class VersionReader:
    """Reads the data version of one engine's database cheaply, from any thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._raw: Any = None  # SQLite: a DB-API connection used for nothing else
        self._seen: tuple[int, int] | None = None  # (PRAGMA data_version, version) at the last look

    def read(self) -> int:
        """The data version now; raises SQLAlchemy's `OperationalError` when the database does not answer."""
        if self.engine.dialect.name != "sqlite":
            # Autocommit: the one statement, without a BEGIN and a ROLLBACK around it (two round trips).
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                return int(connection.exec_driver_sql(_READ).scalar() or 0)
        with self._lock:
            try:
                return self._read_sqlite()
            except sqlite3.Error as exc:
                self.close()
                raise OperationalError(_READ, None, exc) from exc

    def _read_sqlite(self) -> int:
        if self._raw is None:
            # A connection of its own, so that it never takes one of the pool's (nor waits for one).
            cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
            raw = self.engine.dialect.loaded_dbapi.connect(*cargs, **{**cparams, "check_same_thread": False})
            raw.isolation_level = None  # autocommit: each statement sees the latest commit
            raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._raw = raw
        cursor = self._raw.cursor()
        try:
            marker = cursor.execute("PRAGMA data_version").fetchone()[0]
            if self._seen is not None and self._seen[0] == marker:
                return self._seen[1]
            row = cursor.execute(_READ).fetchone()
        finally:
            cursor.close()
        version = int(row[0]) if row else 0
        self._seen = (marker, version)
        return version

    def close(self) -> None:
        """Give the connection back (after an error, or when the engine is disposed)."""
        if self._raw is not None:
            raw, self._raw, self._seen = self._raw, None, None
            with contextlib.suppress(sqlite3.Error):
                raw.close()


class PendingVersion:
    """The data version one request is answered under, read once, with the request's first database read.

    The read runs on that read's own connection (`read_on`), before its statements, so a write landing
    meanwhile can only make the version older than the data, never newer (the ETag's rule). A request
    that reads nothing through the reader has it read on a connection of its own (`settle`). The number
    goes into the request's state under `STATE_KEY`, where the ETag, the lists' totals and `/health`
    find it.
    """

    __slots__ = ("_state", "failed", "versions")

    def __init__(self, versions: VersionReader, state: dict[str, Any]) -> None:
        self.versions = versions
        self._state = state
        self.failed = False  # the database did not answer: the answer goes untagged, as when read up front

    @property
    def value(self) -> int | None:
        """The version once read, else None."""
        value = self._state.get(STATE_KEY)
        return value if isinstance(value, int) else None

    @property
    def pending(self) -> bool:
        """Whether it is still to be read."""
        return self.value is None and not self.failed

    def read_on(self, connection: Connection) -> None:
        """Read it on `connection` (the request's read connection) unless done; a failure propagates."""
        if self.pending:
            self._state[STATE_KEY] = int(connection.exec_driver_sql(_READ).scalar() or 0)

    def read(self) -> int | None:
        """Read it on a connection of its own unless done (from a worker thread); None if that failed."""
        if self.pending:
            try:
                self._state[STATE_KEY] = self.versions.read()
            except SQLAlchemyError:
                self.failed = True
        return self.value

    async def settle(self) -> int | None:
        """`read`, from the event loop: in a worker thread when it is still to be read."""
        if self.pending:
            return await anyio.to_thread.run_sync(self.read)
        return self.value
