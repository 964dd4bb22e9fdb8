"""A client that hangs up gets its query cancelled: over a real socket to a served app, on both backends."""

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, text

from api.db import make_engine
from api.deps import ReadDep
from api.main import create_app
from api.migrate import migrate
from tests.conftest import PG_URL, Database
from tests.served import serving
from tests.test_limits import ENDLESS

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
    assert PG_URL
    admin = sa.create_engine(PG_URL)
    try:
        with admin.connect() as connection:
            count = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE :pattern"
                ),
                {"pattern": f"%{marker}%"},
            ).scalar()
    finally:
        admin.dispose()
    return int(count or 0)


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll `condition` until it holds or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


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
