"""Fixtures: a real database per test (a fresh SQLite file, or a fresh PostgreSQL schema) and API clients.

Every database test runs once on SQLite and once on PostgreSQL; the PostgreSQL variant skips unless
TEST_DATABASE_URL names a server (CI sets it to the local one).
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from typer.testing import CliRunner, Result

from api.app import create_app
from api.cli.main import app as cli
from api.db.engine import make_engine
from api.db.migrate import migrate
from api.ingest.seed import seed
from api.settings import PROJECT_ROOT, Settings, get_settings
from tests.helpers.cli import Run
from tests.helpers.limits import FACILITIES, bulk_facilities

SEEDS_DIR = PROJECT_ROOT / "seeds"
DATA_DIR = Path(__file__).parent / "data"
PG_URL = os.environ.get("TEST_DATABASE_URL")


NO_POSTGRESQL = "TEST_DATABASE_URL is not set"
# Where the PostgreSQL half's skips are counted: the closing line of pytest then reads
# "..., 380 skipped on PostgreSQL (TEST_DATABASE_URL is not set)" instead of -ra listing each.
POSTGRESQL_SKIPS = f"skipped on PostgreSQL ({NO_POSTGRESQL})"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend a test runs on."""
    if request.param == "postgresql" and not PG_URL:
        pytest.skip(NO_POSTGRESQL)
    return str(request.param)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Count the skips of the PostgreSQL half in one place, so `-ra` lists only the other skips.

    Runs before pytest's short summary (which lists each skip) and its closing line (which counts each
    kind of outcome it holds); other skips stay as they are.
    """
    skipped = terminalreporter.stats.get("skipped", [])
    postgresql = [report for report in skipped if NO_POSTGRESQL in str(report.longrepr)]
    if postgresql:
        terminalreporter.stats["skipped"] = [report for report in skipped if report not in postgresql]
        terminalreporter.stats.setdefault(POSTGRESQL_SKIPS, []).extend(postgresql)


class Database:
    """One empty database of its own: a SQLite file or a PostgreSQL schema, dropped afterwards."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend = backend
        self.schema = f"lw_test_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            self.url = f"sqlite:///{folder / 'laborwatch.db'}"
        else:
            assert PG_URL
            admin = sa.create_engine(PG_URL)
            with admin.begin() as connection:
                connection.exec_driver_sql(f'CREATE SCHEMA "{self.schema}"')
            admin.dispose()
            separator = "&" if "?" in PG_URL else "?"
            self.url = f"{PG_URL}{separator}options=-csearch_path%3D{self.schema}"

    def settings(self, **overrides: object) -> Settings:
        """Settings pointing at this database."""
        return Settings(database_url=self.url, **overrides)  # type: ignore[arg-type]

    def drop(self) -> None:
        """Remove the PostgreSQL schema (a SQLite file goes with its temporary folder)."""
        if self.backend == "postgresql":
            assert PG_URL
            admin = sa.create_engine(PG_URL)
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{self.schema}" CASCADE')
            admin.dispose()


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A new, empty (unmigrated) database for this test."""
    db = Database(backend, tmp_path)
    yield db
    db.drop()


TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}


class Migrated:
    """The statements that migrate an empty database, recorded once per backend and test process, and sent
    again to each test's own database: the schema and rows the migrations make (tests/test_migrations.py
    compares them), without alembic's start-up and revision scripts for every test.
    """

    def __init__(self, backend: str, folder: Path) -> None:
        self.statements: list[tuple[str, str, Any]] = []  # how the DB-API was called, with what
        database = Database(backend, folder)
        engine = make_engine(database.settings())
        try:
            event.listen(engine, "do_execute", self._record("execute"))
            event.listen(engine, "do_execute_no_params", self._record("no params"))
            event.listen(engine, "do_executemany", self._record("executemany"))
            migrate(engine)
        finally:
            engine.dispose()
            database.drop()
        if backend == "postgresql":
            self.statements = _batched(self.statements)

    def _record(self, how: str) -> Any:
        def record(_cursor: Any, statement: str, *rest: Any) -> None:
            if statement.split(None, 1)[0].upper() not in TRANSACTION_CONTROL:  # `into` has its own
                self.statements.append((how, statement, rest[0] if how != "no params" else None))

        return record

    def into(self, engine: Engine) -> None:
        """Send the statements to the new, empty database of `engine`, in one transaction."""
        with engine.begin() as connection:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            for how, statement, parameters in self.statements:
                if how == "executemany":
                    cursor.executemany(statement, parameters)
                elif how == "execute":
                    cursor.execute(statement, parameters)
                else:
                    cursor.execute(statement)


def _batched(statements: list[tuple[str, str, Any]]) -> list[tuple[str, str, Any]]:
    """Consecutive statements without parameters joined into one text, sent in one round trip (psycopg
    takes several statements in one call when there are none); a `%` keeps its statement apart, since
    psycopg reads `%%` as `%` when a call has (even empty) parameters."""
    batched: list[tuple[str, str, Any]] = []
    run: list[str] = []
    for how, statement, parameters in [*statements, ("end", "", None)]:
        if how in ("execute", "no params") and not parameters and "%" not in statement:
            run.append(statement.strip().rstrip(";"))
            continue
        if run:
            batched.append(("no params", ";\n".join(run), None))
            run = []
        if how != "end":
            batched.append((how, statement, parameters))
    return batched


@pytest.fixture(scope="session")
def migrated(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Migrated:
    """How the migrations make this backend's schema, for `engine` to make it again."""
    return Migrated(backend, tmp_path_factory.mktemp("migrated"))


@pytest.fixture
def engine(database: Database, migrated: Migrated) -> Iterator[Engine]:
    """An engine on a freshly migrated, empty database."""
    engine = make_engine(database.settings())
    migrated.into(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def client(database: Database, engine: Engine) -> Iterator[TestClient]:
    """An httpx client on the ASGI app over the empty database of `engine`."""
    with TestClient(create_app(database.settings(), engine)) as test_client:
        yield test_client


@contextmanager
def loaded_database(backend: str, folder: Path, *sources: Path) -> Iterator[tuple[Database, Engine]]:
    """A new database of its own, migrated and loaded with the bundles of `sources` folders; dropped after."""
    db = Database(backend, folder)
    engine = make_engine(db.settings())
    try:
        migrate(engine)
        for source in sources:
            seed(engine, source)
        yield db, engine
    finally:
        engine.dispose()
        db.drop()


# The folders of the read-only test corpus: the seeds and the test bundles.
CORPUS_SOURCES = (SEEDS_DIR, DATA_DIR / "bundles")


@pytest.fixture(scope="session")
def corpus(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database loaded once per backend with the seeds and the test bundles; tests only read it."""
    with loaded_database(backend, tmp_path_factory.mktemp("corpus"), *CORPUS_SOURCES) as (_, engine):
        yield engine


@pytest.fixture(scope="session")
def api(corpus: Engine) -> Iterator[TestClient]:
    """An httpx client on the ASGI app over the read-only corpus."""
    settings = Settings(database_url=corpus.url.render_as_string(hide_password=False))
    with TestClient(create_app(settings, corpus)) as test_client:
        yield test_client


@pytest.fixture
def run(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """Run the command line on the test's database."""
    monkeypatch.setenv("DATABASE_URL", database.url)
    get_settings.cache_clear()

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args))

    yield invoke
    get_settings.cache_clear()


@contextmanager
def many_facilities(database: Database, migrated: Migrated) -> Iterator[Engine]:
    """`database` migrated and holding many facilities (the command line's engine wrote them)."""
    loader = make_engine(database.settings())
    try:
        migrated.into(loader)
        bulk_facilities(loader, FACILITIES)
        yield loader
    finally:
        loader.dispose()


@pytest.fixture
def big(database: Database, migrated: Migrated) -> Iterator[Engine]:
    """A migrated database holding many facilities (the command line's engine wrote them)."""
    with many_facilities(database, migrated) as loader:
        yield loader
