"""`laborwatch backup`: a consistent copy of a live database that laborwatch can serve again."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from api.cli import app as cli
from api.ingest.seed import seed
from api.main import create_app
from api.settings import Settings, get_settings
from tests.conftest import DATA_DIR, SEEDS_DIR, Database


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
