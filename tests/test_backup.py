"""`laborwatch backup`: a consistent copy of a live database that laborwatch can serve again."""

import re
import shutil
import stat
import subprocess
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from api.app import create_app
from api.cli.main import app as cli
from api.db.backup import _credential_files, pg_dump_command
from api.db.engine import describe_database, make_engine
from api.db.migrate import migrate
from api.ingest.seed import seed
from api.settings import Settings, get_settings
from tests.conftest import DATA_DIR, PG_URL, SEEDS_DIR, Database
from tests.helpers.schema import schema_of


def run_backup(database: Database, destination: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", database.url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["backup", str(destination)])
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output


def test_backup_of_a_live_database(
    database: Database, engine: Engine, client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(engine, SEEDS_DIR)
    seed(engine, DATA_DIR / "bundles")
    destination = tmp_path / "copy.db"
    code, output = run_backup(database, destination, monkeypatch)
    assert code == 0, output
    assert "Backed up to" in output
    assert not destination.with_name("copy.db.partial").exists()
    if database.backend == "sqlite":
        with TestClient(create_app(Settings(database_url=f"sqlite:///{destination}"))) as copy:
            for path in ("/v1/claims?limit=500", "/v1/facilities?q=Rodina", "/v1/stats"):
                assert copy.get(path).json() == client.get(path).json()
    else:
        assert destination.read_bytes().startswith(b"PGDMP")
        pg_restore = shutil.which("pg_restore")
        assert pg_restore, "pg_dump's companion pg_restore reads the archive"
        listing = subprocess.run(  # noqa: S603 - the archive's table of contents
            [pg_restore, "--list", str(destination)], capture_output=True, text=True, check=True
        ).stdout
        for table in ("report", "facility", "claim", "change", "data_version"):
            assert re.search(rf"TABLE DATA {database.schema} {table} ", listing), table


def test_backup_refuses_to_overwrite(
    database: Database, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    destination = tmp_path / "exists.db"
    destination.write_bytes(b"keep me")
    code, output = run_backup(database, destination, monkeypatch)
    assert code == 1
    assert "exists already" in output
    assert destination.read_bytes() == b"keep me"
    code, output = run_backup(database, tmp_path / "missing" / "x.db", monkeypatch)
    assert code == 1
    assert "does not exist" in output


def test_pg_dump_gets_the_password_from_a_file_never_from_its_arguments(tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    password = "pw:with\\odd-chars"
    url = make_url("postgresql+psycopg://writer:placeholder@db.invalid:5432/laborwatch").set(
        password=password
    )
    command, given = pg_dump_command(url.update_query_dict({"sslmode": "require"}), tmp_path / "x.dump")
    assert given == {"password": password}
    assert not [argument for argument in command if "pw" in argument or "placeholder" in argument]
    assert "--dbname=postgresql://writer@db.invalid:5432/laborwatch?sslmode=require" in command
    with _credential_files(given) as env:
        passfile = Path(env["PGPASSFILE"])
        assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
        assert passfile.read_text() == "*:*:*:*:pw\\:with\\\\odd-chars\n"
        assert "PGSERVICEFILE" not in env
    assert not passfile.exists()


@pytest.mark.parametrize(
    "query",
    [
        "password=s3cr%3At&sslpassword=k3y%20pass&sslmode=require",
        "sslmode=require&password=s3cr:t&sslpassword=k3y pass",
        "sslmode=require&PassWord=s3cr:t&sslpassword=k3y%20pass",
    ],
)
def test_pg_dump_gets_every_password_of_the_query_from_files(tmp_path: Path, query: str) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    url = make_url(f"postgresql+psycopg://writer@db.invalid:5432/laborwatch?{query}")
    command, given = pg_dump_command(url, tmp_path / "x.dump")
    assert not [arg for arg in command if "s3cr" in arg or "k3y" in arg]
    assert not [arg for arg in command if arg.startswith("--dbname") and "password" in arg.lower()]
    assert "--dbname=postgresql://writer@db.invalid:5432/laborwatch?sslmode=require" in command
    with _credential_files(given) as env:
        files = [
            Path(env[name]) for name in ("PGSERVICEFILE",) + (("PGPASSFILE",) if "PGPASSFILE" in env else ())
        ]
        for file in files:
            assert stat.S_IMODE(file.stat().st_mode) == 0o600
        service = Path(env["PGSERVICEFILE"]).read_text()
        assert env["PGSERVICE"] in service
        assert "sslpassword=k3y pass\n" in service
        every = "".join(file.read_text() for file in files)
        assert "s3cr:t" in every or "s3cr\\:t" in every
    assert not [file for file in files if file.exists()]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://writer:pw1@db.invalid/lw?sslpassword=k3y",
        "postgresql+psycopg://writer@db.invalid/lw?password=pw1&sslmode=require&sslpassword=k3y%21",
        "postgresql+psycopg://writer@db.invalid/lw?PASSWORD=pw1&sslpassword=k3y",
    ],
)
def test_the_database_line_shows_no_password(url: str) -> None:
    described = describe_database(url)
    assert "db.invalid" in described
    assert "pw1" not in described
    assert "k3y" not in described


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()  # noqa: S608
            for table in ("report", "facility", "claim", "change", "data_version")
        }


def test_a_restored_backup_has_every_constraint_of_a_migrated_database(
    database: Database, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(engine, SEEDS_DIR)
    destination = tmp_path / "backup"
    if database.backend == "postgresql":  # a password goes through the password file (trust auth here)
        url = make_url(database.url).set(password="only-in-the-passfile")
        database.url = url.render_as_string(hide_password=False)
    code, output = run_backup(database, destination, monkeypatch)
    assert code == 0, output
    fresh = Database(database.backend, tmp_path / "fresh")
    (tmp_path / "fresh").mkdir()
    fresh_engine = make_engine(fresh.settings())
    restored_engine: Engine | None = None
    restored_database: str | None = None
    try:
        migrate(fresh_engine)
        if database.backend == "sqlite":
            restored_engine = sa.create_engine(f"sqlite:///{destination}")
        else:
            assert PG_URL
            # Restore as docs/deploy.md says: into a database no server uses (here a new one).
            restored_database = f"lw_restore_{uuid.uuid4().hex[:12]}"
            admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{restored_database}"')
            admin.dispose()
            target = make_url(PG_URL).set(database=restored_database)
            libpq_url = target.set(drivername="postgresql").render_as_string(hide_password=False)
            pg_restore = shutil.which("pg_restore")
            assert pg_restore
            subprocess.run(  # noqa: S603 - pg_restore of the archive just written
                [pg_restore, "--exit-on-error", "--no-owner", f"--dbname={libpq_url}", str(destination)],
                check=True,
                capture_output=True,
            )
            restored_engine = sa.create_engine(
                target.update_query_dict({"options": f"-csearch_path={database.schema}"})
            )
        restored = schema_of(restored_engine)
        assert restored["tables"], "the restored database has tables"
        assert restored == schema_of(fresh_engine)
        assert counts(restored_engine) == counts(engine)
    finally:
        fresh_engine.dispose()
        fresh.drop()
        if restored_engine is not None:
            restored_engine.dispose()
        if restored_database is not None:
            assert PG_URL
            admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE "{restored_database}"')
            admin.dispose()
