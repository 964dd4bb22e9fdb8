"""A client that hangs up gets its query cancelled: over a real socket to a served app, on both backends."""

import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine, make_url, text

from api.app import create_app
from api.db.engine import make_engine
from api.db.migrate import migrate
from api.db.reader import ReadDep
from api.settings import Settings
from tests.conftest import Database
from tests.helpers.limits import ENDLESS, bulk_facilities, wait_for
from tests.helpers.postgres import pg_sessions
from tests.partition import Forwarder
from tests.served import serving

# Far above the few seconds the test waits: only a safety net should cancelling fail.
SAFETY_LIMIT_MS = 30_000


@dataclass
class Served:
    """A served app: its base URL, and the marker its endless statement carries."""

    base_url: str
    port: int
    marker: str


@pytest.fixture
def served(database: Database) -> Iterator[Served]:
    """The app under uvicorn in a thread, with one read thread and a route whose statement never ends."""
    migrator = make_engine(database.settings())
    migrate(migrator)
    migrator.dispose()
    settings = database.settings(statement_timeout_ms=SAFETY_LIMIT_MS, read_threads=1)
    engine: Engine = make_engine(settings, read_limit=True)
    app = create_app(settings, engine)
    marker = f"lw_gone_{uuid.uuid4().hex}"

    async def endless(read: ReadDep) -> dict[str, int]:
        return await read(lambda db: {"count": db.execute(text(f"/* {marker} */ {ENDLESS}")).scalar_one()})

    async def quick(read: ReadDep) -> dict[str, int]:
        return await read(lambda db: {"one": db.execute(text("SELECT 1")).scalar_one()})

    app.add_api_route("/test-only/endless", endless)
    app.add_api_route("/test-only/quick", quick)
    with serving(app) as port:
        yield Served(f"http://127.0.0.1:{port}", port, marker)
    engine.dispose()


def running_statements(marker: str) -> int:
    """How many PostgreSQL backends are running a statement that carries `marker`."""
    return pg_sessions("state = 'active' AND query LIKE :pattern", pattern=f"%{marker}%")


def test_a_disconnected_client_has_its_statement_cancelled(served: Served, backend: str) -> None:
    client = socket.create_connection(("127.0.0.1", served.port))
    client.sendall(b"GET /test-only/endless HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    if backend == "postgresql":
        assert wait_for(lambda: running_statements(served.marker) == 1, 5), "never started"
    else:
        time.sleep(0.5)  # the statement is running in the server's one read thread
    client.close()
    if backend == "postgresql":
        # Gone from the server within a couple of seconds, not left to run until its time limit.
        assert wait_for(lambda: running_statements(served.marker) == 0, 3)
    # The one read thread is free again: another slow-path read is answered at once.
    response = httpx.get(f"{served.base_url}/test-only/quick", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"one": 1}


def test_a_client_that_stays_gets_its_answer(served: Served) -> None:
    response = httpx.get(f"{served.base_url}/test-only/quick", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"one": 1}


@dataclass
class BehindForwarder:
    """A served app whose every database connection goes through `forwarder`."""

    port: int
    forwarder: Forwarder
    marker: str

    def loop_answers(self) -> None:
        """The event loop answers a few times over a second what needs no database.

        Every GET reads the data version (in a thread, on the database): a POST to a GET-only route is
        answered 405 by the loop alone.
        """
        for _ in range(5):
            response = httpx.post(f"http://127.0.0.1:{self.port}/test-only/endless", timeout=1)
            assert response.status_code == 405
            time.sleep(0.2)


@pytest.fixture
def behind_forwarder(database: Database, backend: str) -> Iterator[BehindForwarder]:
    """The app served on PostgreSQL through a forwarder that a test can partition (PostgreSQL only)."""
    if backend != "postgresql":
        pytest.skip("a network partition between the server and PostgreSQL")
    migrator = make_engine(database.settings())
    migrate(migrator)
    bulk_facilities(migrator, 20_000)
    migrator.dispose()
    url = make_url(database.url)
    marker = f"lw_cut_{uuid.uuid4().hex}"
    with Forwarder((url.host or "127.0.0.1", url.port or 5432)) as forwarder:
        through = url.set(host="127.0.0.1", port=forwarder.port).render_as_string(hide_password=False)
        # A statement stops on the server after 3 s; its answer, like a cancel, is lost on the way.
        settings = Settings(database_url=through, statement_timeout_ms=3000, read_threads=1)
        engine = make_engine(settings, read_limit=True)
        app = create_app(settings, engine)

        async def endless(read: ReadDep) -> dict[str, int]:
            return await read(lambda db: {"n": db.execute(text(f"/* {marker} */ {ENDLESS}")).scalar_one()})

        app.add_api_route("/test-only/endless", endless)
        try:
            with serving(app) as port:
                yield BehindForwarder(port, forwarder, marker)
                forwarder.close()  # the reads' connections fail: their threads end, the server can stop
        finally:
            engine.dispose()


def test_a_cancel_the_network_swallows_does_not_stop_the_server(
    behind_forwarder: BehindForwarder, caplog: pytest.LogCaptureFixture
) -> None:
    served = behind_forwarder
    client = socket.create_connection(("127.0.0.1", served.port))
    client.sendall(b"GET /test-only/endless HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert wait_for(lambda: running_statements(served.marker) == 1, 5), "never started"
    served.forwarder.partition()
    client.close()  # the server sends a cancel request, into the partition
    served.loop_answers()  # the cancel waits in a thread of its own
    # The cancel gave up after its short time limit (psycopg's own is 30 s).
    assert wait_for(lambda: "could not cancel" in caplog.text, 5)


def test_closing_an_export_the_network_swallows_does_not_stop_the_server(
    behind_forwarder: BehindForwarder,
) -> None:
    served = behind_forwarder
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    client.connect(("127.0.0.1", served.port))
    client.sendall(b"GET /v1/facilities?format=csv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    client.settimeout(10)
    assert client.recv(12) == b"HTTP/1.1 200"
    served.forwarder.partition()
    client.close()  # the export ends: closing its cursor and rolling back wait on the partition
    served.loop_answers()  # in a thread of their own


def test_a_connection_given_back_after_the_engine_is_disposed_is_closed(database: Database) -> None:
    """A read still finishing when the server stops gives its connection back to a disposed pool: closed."""
    engine = make_engine(database.settings())
    late = engine.connect()
    late.execute(text("SELECT 1"))
    raw = late.connection.dbapi_connection
    engine.dispose()
    late.close()
    if database.backend == "postgresql":
        assert raw is not None
        assert raw.closed
    else:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            raw.execute("SELECT 1")  # type: ignore[union-attr]
    with engine.connect() as fresh:  # the engine itself goes on, on its new pool
        assert fresh.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()
