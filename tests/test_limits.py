"""The server's limits: the connection pool's settings and time-out, and the statement time limit."""

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from api.app import create_app
from api.db.engine import make_engine, read_session, write_session
from api.db.migrate import migrate
from api.db.reader import ReadDep
from api.errors import statement_timed_out
from tests.conftest import PG_URL, Database
from tests.helpers.limits import COUNT_TO, ENDLESS, bulk_facilities
from tests.helpers.problems import assert_time_limit_problem


@pytest.fixture
def limited(database: Database) -> Iterator[Engine]:
    """The server's engine (read limit on) with a 50 ms statement time limit, on a migrated database."""
    migrator = make_engine(database.settings())  # migrations run unlimited, as the command line's do
    migrate(migrator)
    migrator.dispose()
    engine = make_engine(database.settings(statement_timeout_ms=50), read_limit=True)
    yield engine
    engine.dispose()


def test_pool_settings_reach_the_engine(database: Database) -> None:
    settings = database.settings(pool_size=3, pool_max_overflow=2, pool_timeout_s=1.5)
    engine = make_engine(settings)
    try:
        pool = engine.pool
        assert isinstance(pool, sa.QueuePool)
        assert pool.size() == 3
        assert pool._max_overflow == 2
        assert pool._timeout == 1.5
        if database.backend == "postgresql":
            assert pool._recycle == 1800
    finally:
        engine.dispose()


def test_a_read_waiting_for_a_connection_does_not_stop_other_requests(database: Database) -> None:
    """While a detail waits for the pool, a request that needs no connection is answered first."""
    settings = database.settings(pool_size=1, pool_max_overflow=0, pool_timeout_s=1.0)
    engine = make_engine(settings)
    migrate(engine)
    app = create_app(settings, engine)
    finished: list[str] = []

    async def get(client: httpx.AsyncClient, path: str) -> int:
        response = await client.get(path)
        finished.append(path)
        return response.status_code

    async def scenario() -> tuple[int, int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://laborwatch") as client:
                held = engine.connect()
                try:
                    held.exec_driver_sql("SELECT 1")
                    detail = asyncio.create_task(get(client, "/v1/facilities/anywhere"))
                    await asyncio.sleep(0.1)  # the detail is waiting for the pool now
                    docs = await get(client, "/openapi.json")
                    waited = await detail
                finally:
                    held.close()
        return docs, waited

    try:
        docs, waited = asyncio.run(scenario())
    finally:
        engine.dispose()
    assert docs == 200
    assert waited == 503
    assert finished == ["/openapi.json", "/v1/facilities/anywhere"]


def test_a_full_pool_answers_503_with_retry_after_then_recovers(database: Database) -> None:
    settings = database.settings(pool_size=1, pool_max_overflow=0, pool_timeout_s=0.2)
    engine = make_engine(settings)
    migrate(engine)
    try:
        with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
            held = engine.connect()
            try:
                held.exec_driver_sql("SELECT 1")
                read = client.get("/v1/reports")
                write = client.post("/v1/reports", json={}, headers={"Authorization": "Bearer lw_x"})
            finally:
                held.close()
            for response in (read, write):
                assert response.status_code == 503, response.text
                assert response.headers["content-type"] == "application/problem+json"
                assert response.headers["retry-after"] == "5"
                assert "no database connection came free" in response.json()["detail"]
            assert client.get("/v1/reports").status_code == 200
    finally:
        engine.dispose()


def test_a_read_past_the_limit_is_stopped_and_the_connection_stays_usable(limited: Engine) -> None:
    started = time.monotonic()
    with pytest.raises(OperationalError) as raised, read_session(limited) as session:
        session.execute(text(ENDLESS)).all()
    assert statement_timed_out(raised.value)
    assert time.monotonic() - started < 5
    with read_session(limited) as session:
        assert session.execute(text("SELECT 1")).scalar() == 1


def test_writes_and_the_command_line_engine_are_not_limited(database: Database, limited: Engine) -> None:
    # Long enough to trip the 50 ms limit of a read (checked first), short enough to finish unlimited.
    statement = text(COUNT_TO.format(stop=1_000_000))
    with pytest.raises(OperationalError), read_session(limited) as session:
        session.execute(statement).all()
    with write_session(limited) as session:
        assert session.execute(statement).scalar() == 1_000_000
    cli_engine = make_engine(database.settings(statement_timeout_ms=50))
    try:
        with read_session(cli_engine) as session:
            assert session.execute(statement).scalar() == 1_000_000
    finally:
        cli_engine.dispose()
    # The limit lifted for the write did not stay on its connection.
    with read_session(limited) as session, pytest.raises(OperationalError):
        session.execute(statement).all()


def test_a_zero_limit_means_none(database: Database) -> None:
    engine = make_engine(database.settings(statement_timeout_ms=0), read_limit=True)
    try:
        with read_session(engine) as session:
            assert session.execute(text(COUNT_TO.format(stop=200_000))).scalar() == 200_000
    finally:
        engine.dispose()


def test_a_slow_route_answers_503_with_retry_after_and_the_next_request_works(
    database: Database, limited: Engine
) -> None:
    app = create_app(database.settings(statement_timeout_ms=50), limited)

    async def slow(read: ReadDep) -> dict[str, int]:
        return await read(lambda db: {"count": db.execute(text(ENDLESS)).scalar_one()})

    app.add_api_route("/test-only/slow", slow)
    with TestClient(app) as client:
        assert_time_limit_problem(client.get("/test-only/slow"))
        assert client.get("/health").status_code == 200
        assert client.get("/v1/reports").status_code == 200


def test_a_heavy_filter_past_the_limit_answers_503_and_the_next_request_works(
    database: Database,
) -> None:
    settings = database.settings(statement_timeout_ms=5)
    loader = make_engine(settings)  # the command line's engine: not limited
    migrate(loader)
    bulk_facilities(loader, 150_000)
    loader.dispose()
    engine = make_engine(settings, read_limit=True)
    try:
        with TestClient(create_app(settings, engine)) as client:
            assert_time_limit_problem(client.get("/v1/stats", params={"sector": "garment"}))
            assert client.get("/health").json()["status"] == "ok"
            assert client.get("/v1/reports").json()["total"] == 0
    finally:
        engine.dispose()


def test_postgresql_stops_the_statement_on_the_server(backend: str, limited: Engine) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    marker = f"lw_slow_{uuid.uuid4().hex}"
    with pytest.raises(OperationalError) as raised, read_session(limited) as session:
        session.execute(text(f"/* {marker} */ {ENDLESS}")).all()
    assert statement_timed_out(raised.value)
    assert PG_URL
    admin = sa.create_engine(PG_URL)
    try:
        with admin.connect() as connection:
            running = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE :pattern"
                ),
                {"pattern": f"%{marker}%"},
            ).scalar()
    finally:
        admin.dispose()
    assert running == 0


def test_postgresql_a_read_waiting_on_a_lock_answers_503(
    backend: str, database: Database, limited: Engine
) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    app = create_app(database.settings(statement_timeout_ms=50), limited)
    blocker = make_engine(database.settings())
    try:
        with TestClient(app) as client, blocker.connect() as connection:
            transaction = connection.begin()
            connection.exec_driver_sql("LOCK TABLE report IN ACCESS EXCLUSIVE MODE")
            assert_time_limit_problem(client.get("/v1/reports"))
            transaction.rollback()
            assert client.get("/v1/reports").status_code == 200
    finally:
        blocker.dispose()
