"""The data version: one counter bumped by every write, behind ETags and the totals carried in cursors.

Writers bump it in their own transaction. Readers ask a `VersionReader` once per request: on SQLite it
keeps a connection of its own, outside the engine's pool, and rereads the counter only when
`PRAGMA data_version` says another connection committed since its last look (no table read on most
requests); elsewhere it reads the row on a pooled connection.
"""

import contextlib
import sqlite3
import threading
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import OperationalError
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
