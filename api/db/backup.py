"""Consistent online backups: SQLite's backup API for a file, `pg_dump` for PostgreSQL."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

from api.db.engine import is_credential
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


def pg_dump_command(url: URL, target: Path) -> tuple[list[str], dict[str, str]]:
    """The `pg_dump` arguments for the database at `url`, and its credentials, which they never contain.

    Anything on a command line is visible to every user of the machine (`ps`, `/proc`), so the password
    (of the URL, else its `password` query parameter) and every other password-like query parameter
    (`sslpassword`, ...) go to `pg_dump` through files only this user can read (`_credential_files`).
    """
    executable = shutil.which("pg_dump")
    if executable is None:
        raise BackupError("pg_dump is not installed; install the PostgreSQL client tools.")
    url = url.set(drivername="postgresql")
    options = url.query.get("options")
    url = url.difference_update_query(["options"])
    command = [executable, "--format=custom", f"--file={target}", "--no-password"]
    if isinstance(options, str) and "search_path=" in options:
        command.append(f"--schema={options.split('search_path=', 1)[1].split()[0]}")
    credentials: dict[str, str] = {}
    for name, value in url.query.items():
        if is_credential(name):
            credentials[name] = value if isinstance(value, str) else value[-1]
    if url.password is not None:
        credentials["password"] = str(url.password)  # the URL's own wins over a query parameter
    query = {name: value for name, value in url.query.items() if not is_credential(name)}
    # (URL.set(password=None) would keep the password: None there means "unchanged".)
    without_secrets = URL.create(url.drivername, url.username, None, url.host, url.port, url.database, query)
    command.append(f"--dbname={without_secrets.render_as_string(hide_password=False)}")
    return command, credentials


# The service name under which the other credentials reach libpq (`PGSERVICEFILE`, `PGSERVICE`).
SERVICE = "laborwatch"


@contextmanager
def _credential_files(credentials: dict[str, str]) -> Iterator[dict[str, str]]:
    """Environment variables handing `credentials` to libpq in files only this user can read.

    The password goes in a password file (`PGPASSFILE`); the others (`sslpassword`, ...) in a connection
    service file (`PGSERVICEFILE`), whose values libpq takes for what the command line does not give.
    """
    others = {name: value for name, value in credentials.items() if name != "password"}
    for name, value in others.items():
        if "\n" in value or "\r" in value or value != value.strip():
            raise BackupError(f"The {name} of the database URL cannot be handed to pg_dump in a file.")
    with (
        _password_file(credentials.get("password")) as passfile,
        tempfile.TemporaryDirectory(prefix="laborwatch-") as folder,
    ):
        env = dict(passfile)
        if others:
            service = Path(folder) / "pg_service.conf"
            service.touch(mode=0o600)
            lines = [f"[{SERVICE}]", *(f"{name}={value}" for name, value in others.items())]
            service.write_text("\n".join(lines) + "\n", encoding="utf-8")
            env |= {"PGSERVICEFILE": str(service), "PGSERVICE": SERVICE}
        yield env


@contextmanager
def _password_file(password: str | None) -> Iterator[dict[str, str]]:
    """Environment variables that hand `password` to libpq in a file only this user can read."""
    if password is None:
        yield {}
        return
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    with tempfile.TemporaryDirectory(prefix="laborwatch-") as folder:  # a folder of mode 0700
        passfile = Path(folder) / "pgpass"
        passfile.touch(mode=0o600)
        passfile.write_text(f"*:*:*:*:{escaped}\n", encoding="utf-8")
        yield {"PGPASSFILE": str(passfile)}


def _pg_dump(engine: Engine, target: Path) -> None:
    url = make_url(engine.url.render_as_string(hide_password=False))
    command, credentials = pg_dump_command(url, target)
    with _credential_files(credentials) as env:
        completed = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, check=False, env={**os.environ, **env}
        )
    if completed.returncode != 0:
        raise BackupError(f"pg_dump failed: {completed.stderr.strip().splitlines()[-1:]}")
