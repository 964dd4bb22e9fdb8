"""Consistent online backups: SQLite's backup API for a file, `pg_dump` for PostgreSQL."""

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from api.errors import LaborwatchError


class BackupError(LaborwatchError):
    """The backup could not be made; the message says why."""


def backup(engine: Engine, destination: Path) -> Path:
    """Copy the database to `destination` while it stays in use, and return the path written.

    SQLite: a page-by-page copy through the online backup API into a new SQLite file (readers and
    writers go on meanwhile; the copy is one consistent snapshot). PostgreSQL: `pg_dump --format=custom`
    (restore with `pg_restore`), itself a consistent snapshot.
    """
    if destination.exists():
        raise BackupError(f"{destination} exists already; choose a new file name.")
    if not destination.parent.is_dir():
        raise BackupError(f"The folder {destination.parent} does not exist.")
    partial = destination.with_name(destination.name + ".partial")
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(engine, partial)
        else:
            _pg_dump(engine, partial)
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)
    return destination


def _sqlite_backup(engine: Engine, target: Path) -> None:
    source = engine.raw_connection()
    try:
        copy = sqlite3.connect(target)
        try:
            source.driver_connection.backup(copy, pages=1024)  # type: ignore[union-attr]
        finally:
            copy.close()
    finally:
        source.close()


def _pg_dump(engine: Engine, target: Path) -> None:
    executable = shutil.which("pg_dump")
    if executable is None:
        raise BackupError("pg_dump is not installed; install the PostgreSQL client tools.")
    url = make_url(engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
    options = url.query.get("options")
    url = url.difference_update_query(["options"])
    command = [executable, "--format=custom", f"--file={target}"]
    if isinstance(options, str) and "search_path=" in options:
        command.append(f"--schema={options.split('search_path=', 1)[1].split()[0]}")
    command.append(url.render_as_string(hide_password=False))
    completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise BackupError(f"pg_dump failed: {completed.stderr.strip().splitlines()[-1:]}")
