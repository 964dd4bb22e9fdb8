"""Bounded reads on a big table: every slow read stops at the time limit, and exports are counted."""

import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.db.engine import make_engine
from api.settings import Settings
from tests.conftest import Database, Migrated, many_facilities
from tests.helpers.limits import EXPORT, FACILITIES, stalled_export, wait_for
from tests.helpers.postgres import pg_sessions
from tests.helpers.problems import assert_time_limit_problem
from tests.served import serving


# One big database for the module's tests, per backend: they only read it, each through an app of its own
# (its own limits and export slots), so none sees what another did; 150,000 facilities are written once.
@pytest.fixture(scope="module")
def database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    shared = Database(backend, tmp_path_factory.mktemp("big"))
    yield shared
    shared.drop()


@pytest.fixture(scope="module")
def big(database: Database, migrated: Migrated) -> Iterator[Engine]:
    with many_facilities(database, migrated) as loader:
        yield loader


def test_an_export_past_the_time_limit_in_its_first_rows_is_a_503(database: Database, big: Engine) -> None:
    settings = database.settings(statement_timeout_ms=5)
    engine = make_engine(settings, read_limit=True)
    try:
        with TestClient(create_app(settings, engine)) as client:
            # Sorted on a column without an index: the first rows need every facility sorted.
            response = client.get("/v1/facilities", params={"format": "csv", "sort": "-name"})
            assert_time_limit_problem(response)
            assert "content-disposition" not in response.headers
            assert client.get("/v1/reports").status_code == 200
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "params",
    [
        {"as_of": "2024-06-30", "sort": "-workers"},
        {"as_of": "2024-06-30", "min_workers": 10},
        {"as_of": "2024-06-30", "format": "csv", "sort": "-workers"},
        {"as_of": "2024-06-30", "format": "ndjson", "sort": "-workers"},
        {"sort": "-name", "format": "geojson"},
    ],
)
def test_as_of_lists_and_exports_past_the_time_limit_answer_503(
    database: Database, big: Engine, params: dict[str, Any]
) -> None:
    settings = database.settings(statement_timeout_ms=5)
    engine = make_engine(settings, read_limit=True)
    try:
        with TestClient(create_app(settings, engine)) as client:
            assert_time_limit_problem(client.get("/v1/facilities", params=params))
            stats = client.get("/v1/stats", params={"as_of": params.get("as_of", "2020-01-01")})
            assert_time_limit_problem(stats)
            assert client.get("/v1/reports").status_code == 200
    finally:
        engine.dispose()


def refused(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:200]
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def start_export(stack: ExitStack, base_url: str, **headers: str) -> httpx.Response:
    """Start an export and leave its body unread, so that it stays in flight."""
    client = stack.enter_context(httpx.Client(base_url=base_url, timeout=10))
    response = stack.enter_context(client.stream("GET", EXPORT, headers=headers))
    assert response.status_code == 200
    return response


def full_export_once_free(base_url: str) -> bytes:
    """The whole export, asked again while the server is still releasing the slots of clients gone."""
    deadline = time.monotonic() + 5
    while True:
        response = httpx.get(base_url + EXPORT, timeout=10)
        if response.status_code not in (429, 503) or time.monotonic() > deadline:
            assert response.status_code == 200, response.text[:200]
            return response.content
        time.sleep(0.05)


def test_a_client_may_run_only_so_many_exports_at_once(database: Database, big: Engine) -> None:
    settings = database.settings(max_exports_per_client=2, max_exports=10, trusted_proxies=["127.0.0.1"])
    with serving(create_app(settings, big)) as port:
        base_url = f"http://127.0.0.1:{port}"
        with ExitStack() as first:
            start_export(first, base_url)
            start_export(first, base_url)
            body = refused(httpx.get(base_url + EXPORT, timeout=10), 429)
            assert "2 exports" in body["detail"]
            # Another client (as the trusted proxy says) is counted apart, and ordinary reads go on.
            other = {"X-Forwarded-For": "203.0.113.7"}
            with ExitStack() as second:
                start_export(second, base_url, **other)
            assert httpx.get(base_url + "/v1/facilities", timeout=10).status_code == 200
        # The exports ended (the client went): their slots come free again, a moment later.
        assert full_export_once_free(base_url).count(b"\n") == FACILITIES + 1


def test_the_process_runs_only_so_many_exports_whoever_asks(database: Database, big: Engine) -> None:
    settings = database.settings(max_exports_per_client=5, max_exports=1, trusted_proxies=["127.0.0.1"])
    with serving(create_app(settings, big)) as port:
        base_url = f"http://127.0.0.1:{port}"
        with ExitStack() as stack:
            start_export(stack, base_url, **{"X-Forwarded-For": "203.0.113.7"})
            body = refused(httpx.get(base_url + EXPORT, timeout=10), 503)
            assert "exports" in body["detail"]
            assert httpx.get(base_url + "/v1/facilities", timeout=10).status_code == 200
        assert full_export_once_free(base_url).startswith(b"id,")


def test_an_export_is_whole_or_visibly_cut_short(database: Database, big: Engine) -> None:
    settings = database.settings(statement_timeout_ms=5)
    engine = make_engine(settings, read_limit=True)
    try:
        with serving(create_app(settings, engine)) as port:
            url = f"http://127.0.0.1:{port}/v1/facilities?format=ndjson&as_of=2024-06-30"
            with httpx.stream("GET", url, timeout=10) as response:
                if response.status_code == 503:  # the first rows already ran past the limit
                    response.read()
                    refused(response, 503)
                    return
                assert response.status_code == 200
                lines = 0
                try:
                    for line in response.iter_lines():
                        lines += bool(line)
                except httpx.RemoteProtocolError:
                    return  # cut by the limit: the client sees the transfer did not complete
                # Never a body that ends cleanly short of its rows.
                assert lines == FACILITIES
    finally:
        engine.dispose()


def test_a_client_that_stops_reading_loses_its_export_slot(database: Database, big: Engine) -> None:
    settings = database.settings(max_exports=1, export_send_timeout_s=0.5)
    with serving(create_app(settings, big)) as port:
        base_url = f"http://127.0.0.1:{port}"
        with stalled_export(port) as stalled:
            # Another export is admitted within a few seconds: the stalled one gave its slot back.
            deadline = time.monotonic() + 8
            while (response := httpx.get(base_url + EXPORT, timeout=10)).status_code == 503:
                assert time.monotonic() < deadline, "the stalled client kept the export slot"
                time.sleep(0.2)
            assert response.status_code == 200
            assert response.content.count(b"\n") == FACILITIES + 1
            # The stalled client, reading at last, finds its body cut short: no final chunk, then EOF.
            stalled.settimeout(10)
            received = b""
            while chunk := stalled.recv(1 << 16):
                received += chunk
            assert received.startswith(b"HTTP/1.1 200")
            assert not received.endswith(b"0\r\n\r\n")


def test_postgresql_ends_a_read_transaction_left_idle(database: Database, big: Engine, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("idle_in_transaction_session_timeout is PostgreSQL's")
    name = f"lw_idle_{uuid.uuid4().hex[:12]}"
    # The send deadline far off: only the database's own limit can end the stalled export's transaction.
    settings = Settings(
        database_url=f"{database.url}&application_name={name}",
        export_send_timeout_s=60,
        idle_in_transaction_timeout_ms=500,
    )
    engine = make_engine(settings, read_limit=True)
    app = create_app(settings, engine)
    try:
        with serving(app) as port, stalled_export(port) as stalled:
            stalled.settimeout(10)
            assert stalled.recv(12) == b"HTTP/1.1 200"
            # Stalled well past the limit: the database ends the session (and its snapshot, its locks).
            assert not wait_for(lambda: idle_transactions(name, older_than_s=1.5) > 0, 3)
            # Reading at last, the client gets a body cut short: the rest could not be read any more.
            received = b""
            while chunk := stalled.recv(1 << 16):
                received += chunk
            assert received.count(b"\n") < FACILITIES
            assert not received.endswith(b"0\r\n\r\n")
            assert wait_for(lambda: app.state.exports.running() == 0, 5)
    finally:
        engine.dispose()


def idle_transactions(application_name: str, older_than_s: float) -> int:
    """How many PostgreSQL sessions of `application_name` sit idle in a transaction, for `older_than_s`."""
    return pg_sessions(
        "state = 'idle in transaction' AND application_name = :name "
        "AND now() - state_change > make_interval(secs => :age)",
        name=application_name,
        age=older_than_s,
    )
