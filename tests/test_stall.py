"""No request can stall the others: bounded queues, paged histories, bounded errors, a health check apart."""

import copy
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.app import create_app
from api.auth.keys import create_key
from api.db.engine import make_engine, write_session
from api.db.migrate import migrate
from api.db.reader import Reader, ReadsBusy
from tests.conftest import Database
from tests.helpers.bundles import bundle, load
from tests.helpers.limits import NUMBERS, bulk_facilities
from tests.served import free_port

FACILITY = "khabarovsk-workshop"
# How many worker figures the large facility has: as many as the probe's facility named by 2,000 reports.
FIGURES = 20_000
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: reverses the rest of its line unless isolated


# Constant SQL: copies of the facility's one worker_count claim, numbered i, dated one day apart.
MORE_FIGURES = (
    "INSERT INTO claim (id, report_id, facility_id, position, subject, predicate, value_number, value_text, "
    "unit, approximate, period_start, period_end, quote, span_start, span_end, attributed_to, evidence, "
    "status, notes, dated_on, search_text) SELECT 'figure-' || i, report_id, facility_id, position + i, "
    "subject, predicate, value_number + i, value_text, unit, approximate, period_start, period_end, quote, "
    "span_start, span_end, attributed_to, evidence, status, notes, {dated}, search_text FROM claim, "
)
DATED = {
    "sqlite": "date('2001-01-01', '+' || i || ' days')",
    "postgresql": "DATE '2001-01-01' + i",
}


def add_figures(engine: Engine, count: int) -> None:
    """Give the test bundle's facility `count` more worker figures, straight into the table."""
    dialect = engine.dialect.name
    sql = MORE_FIGURES.format(dated=DATED[dialect]) + NUMBERS[dialect]
    sql += " WHERE claim.predicate = 'worker_count'"
    with engine.begin() as connection:
        connection.execute(text(sql), {"count": count})
        connection.execute(
            text("UPDATE facility SET claim_count = claim_count + :count WHERE id = :id"),
            {"count": count, "id": FACILITY},
        )


@pytest.fixture
def crowded(database: Database, engine: Engine) -> Iterator[TestClient]:
    """The test bundle, its facility given 20,000 worker figures, served to a test client."""
    load(engine, bundle())
    add_figures(engine, FIGURES - 1)
    with TestClient(create_app(database.settings(), engine)) as client:
        yield client


def test_a_facility_with_20000_figures_pages_its_history(crowded: TestClient) -> None:
    first = crowded.get(f"/v1/facilities/{FACILITY}/workers")
    assert first.status_code == 200
    page = first.json()
    assert page["total"] == FIGURES
    assert len(page["items"]) == page["limit"] == 500
    assert page["offset"] == 0
    assert len(first.content) < 250_000  # the whole history was 5.3 MB in one answer
    assert set(page["items"][0]) == {
        "as_of",
        "value",
        "approximate",
        "status",
        "counts",
        "current",
        "claim_id",
        "report_id",
        "quote",
        "withheld",
    }
    assert first.headers["link"] == f'<{page["next"]}>; rel="next"'
    seen = [item["claim_id"] for item in page["items"]]
    following = crowded.get(page["next"])
    assert following.status_code == 200
    second = following.json()
    assert second["offset"] == 500
    assert second["total"] == FIGURES
    seen += [item["claim_id"] for item in second["items"]]
    assert len(set(seen)) == 1000
    dates = [item["as_of"] for item in page["items"] + second["items"]]
    assert dates == sorted(dates)  # oldest first, across the page boundary


def test_the_last_page_of_a_history_says_there_is_no_next(crowded: TestClient) -> None:
    url: str | None = f"/v1/facilities/{FACILITY}/workers?limit=500"
    pages = 0
    total = 0
    while url is not None and pages < 60:
        answer = crowded.get(url)
        assert answer.status_code == 200
        body = answer.json()
        total += len(body["items"])
        url = body["next"]
        pages += 1
    assert url is None
    assert total == FIGURES
    assert pages == FIGURES // 500
    assert crowded.get(f"/v1/facilities/{FACILITY}/workers", params={"limit": 501}).status_code == 422
    bad = crowded.get(f"/v1/facilities/{FACILITY}/workers", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


def test_the_facility_page_of_20000_figures_shows_the_latest_and_bins_its_chart(
    crowded: TestClient,
) -> None:
    answer = crowded.get(f"/facilities/{FACILITY}")
    assert answer.status_code == 200
    assert len(answer.content) < 300_000  # it was 9.5 MB with 20,926 rows and as many bars
    html = answer.text
    table = html.split('id="history">', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr") == 101  # the header row and the latest 100 figures
    assert "The latest 100 of 20000 worker counts" in table
    assert f'href="/v1/facilities/{FACILITY}/workers"' in html.split('id="history-more"', 1)[1]
    chart = html.split('<svg class="chart history"', 1)[1].split("</svg>", 1)[0]
    assert 0 < chart.count("<rect") <= 40
    assert "Each column of the chart stands for a run of consecutive figures" in html
    latest = crowded.get(f"/v1/facilities/{FACILITY}/workers", params={"limit": 1}).json()["total"]
    assert latest == FIGURES


def test_a_small_history_is_one_page_with_no_next(database: Database, engine: Engine) -> None:
    load(engine, bundle())
    with TestClient(create_app(database.settings(), engine)) as client:
        answer = client.get(f"/v1/facilities/{FACILITY}/workers")
        assert answer.status_code == 200
        body = answer.json()
        assert (body["total"], body["offset"], body["next"], len(body["items"])) == (1, 0, None, 1)
        assert body["items"][0]["value"] == 40
        assert body["items"][0]["current"] is True
        assert "link" not in answer.headers
        page = client.get(f"/facilities/{FACILITY}")
        assert "history-more" not in page.text


def test_the_reader_pages_the_claims_of_a_long_report_and_marks_every_span(
    database: Database, engine: Engine
) -> None:
    load(engine, bundle())
    add_figures(engine, 450)
    with TestClient(create_app(database.settings(), engine)) as client:
        first = client.get("/reports/khabarovsk-workshop")
        assert first.status_code == 200
        claims = first.text.split('<ol class="claims"', 1)[1].split("</ol>", 1)[0]
        assert claims.count('<li class="claim-card') == 200
        assert "Claims 1\u2013200 of 453" in first.text
        assert '<a rel="next" href="?claims=2">' in first.text
        last = client.get("/reports/khabarovsk-workshop", params={"claims": 3})
        claims = last.text.split('<ol class="claims"', 1)[1].split("</ol>", 1)[0]
        assert claims.count('<li class="claim-card') == 53
        assert "Previous claims" in last.text
        assert "Next claims" not in last.text
        # every claim's span is marked in the text, whichever page of the list is shown
        assert first.text.count("<mark") == last.text.count("<mark") >= 3
        assert client.get("/reports/khabarovsk-workshop", params={"claims": 0}).status_code == 422


# --- errors bounded ---------------------------------------------------------------------------------


@pytest.fixture
def editor(database: Database, engine: Engine) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with write_session(engine) as session:
        key = create_key(session, "editor")
    # room for the probe's 3.5 MB body: the refusal tested is the 422's, not the size limit's 413
    with TestClient(create_app(database.settings(max_body_bytes=8_000_000), engine)) as client:
        yield client, {"Authorization": f"Bearer {key}"}


def test_a_body_of_300000_unknown_keys_gets_a_small_422_and_writes_nothing(
    editor: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = editor
    data = bundle()
    data["report"] |= {f"unknown_{index}": 1 for index in range(300_000)}
    body = json.dumps(data).encode()
    assert len(body) > 3_000_000
    answer = client.post("/v1/reports", content=body, headers=auth | {"Content-Type": "application/json"})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert len(answer.content) < 2_000  # it was 17.6-20.3 MB
    assert "members" in answer.json()["errors"][0]["msg"]
    assert client.get("/v1/reports").json()["total"] == 0


def test_a_422_lists_at_most_the_setting_and_counts_the_rest(database: Database, engine: Engine) -> None:
    with write_session(engine) as session:
        key = create_key(session, "editor")
    settings = database.settings(max_validation_errors=5)
    data = bundle()
    data["report"] |= {f"unknown_{index}": 1 for index in range(300)}
    with TestClient(create_app(settings, engine)) as client:
        answer = client.post("/v1/reports", json=data, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 422
        problem = answer.json()
        assert len(problem["errors"]) == 5
        assert problem["more_errors"] == 295
        assert client.get("/v1/reports").json()["total"] == 0
        few = client.get("/v1/facilities", params={"limit": 0})
        assert few.status_code == 422
        assert "more_errors" not in few.json()


# --- secrets in request ids -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent", ["lw_" + "A" * 43, "req-lw_abc", "LW_something", "id-lw_" + "b" * 43 + "-tail"]
)
def test_a_request_id_shaped_like_a_key_is_replaced_not_echoed(
    database: Database, engine: Engine, sent: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(create_app(database.settings(), engine)) as client, caplog.at_level("INFO"):
        answer = client.get("/health", headers={"X-Request-ID": sent})
    assert answer.status_code == 200
    assert re.fullmatch("[0-9a-f]{32}", answer.headers["x-request-id"])
    assert sent not in caplog.text
    assert sent.lower() not in caplog.text.lower()


# --- bidi isolation ---------------------------------------------------------------------------------


def isolated(html: str) -> bool:
    """Whether every right-to-left override of the page lies inside an isolate that closes after it."""
    bare = re.sub(f"\u2068[^\u2069]*{RLO}[^\u2069]*\u2069", "", html)
    return RLO not in bare


def test_overrides_in_titles_names_and_quotes_are_isolated(database: Database, engine: Engine) -> None:
    data = copy.deepcopy(bundle())
    data["report"]["title"] = f"Report {RLO}on a workshop"
    data["report"]["body"] = data["report"]["body"].replace("employs about 40", f"employs {RLO}about 40")
    data["facilities"][0]["name"] = f"Workshop {RLO}K"
    data["claims"][0]["quote"] = f"employs {RLO}about 40 North Korean seamstresses"
    load(engine, data)
    with TestClient(create_app(database.settings(), engine)) as client:
        report = client.get("/reports/khabarovsk-workshop").text
        facility = client.get(f"/facilities/{FACILITY}").text
        facilities = client.get("/facilities").text
        reports = client.get("/reports").text
    assert f'<h1 dir="auto">\u2068Report {RLO}on a workshop\u2069</h1>' in report
    assert f'<h1 dir="auto">\u2068Workshop {RLO}K\u2069</h1>' in facility
    assert f"<bdi>\u2068employs {RLO}about 40 North Korean seamstresses\u2069</bdi>" in facility
    assert "<bdi>\u2068Workshop" in facilities
    assert "<bdi>\u2068Report" in reports
    for page in (report, facility, facilities, reports):
        assert RLO in page
        assert isolated(page)


# --- bounded waiting --------------------------------------------------------------------------------


def test_a_read_that_gets_no_slot_in_time_is_refused(engine: Engine) -> None:
    reader = Reader(engine, 1, queue_timeout_s=0.2)
    started = threading.Event()
    release = threading.Event()

    def hold(_db: Any) -> str:
        started.set()
        release.wait(10)
        return "held"

    def quick(db: Any) -> int:
        return int(db.execute(text("SELECT 1")).scalar_one())

    async def scenario() -> list[object]:
        answers: list[object] = []

        async def first() -> None:
            answers.append(await reader(hold))

        async with anyio.create_task_group() as group:
            group.start_soon(first)
            await anyio.to_thread.run_sync(started.wait, 10)
            try:
                await reader(quick)
            except ReadsBusy as busy:
                answers.append(busy.status)
            answers.append(await reader.inline(quick))  # cheap reads have slots of their own
            release.set()
        answers.append(await reader(quick))
        return answers

    assert anyio.run(scenario) == [503, 1, "held", 1]


def test_health_answers_while_the_database_pool_is_exhausted_and_ready_does_not(
    database: Database,
) -> None:
    migrator = make_engine(database.settings())
    migrate(migrator)
    migrator.dispose()
    settings = database.settings(pool_size=1, pool_max_overflow=0, ready_timeout_s=0.3)
    engine = make_engine(settings, read_limit=True)
    try:
        with TestClient(create_app(settings, engine)) as client:
            assert client.get("/health/ready").json() == {
                "status": "ready",
                "database": engine.dialect.name,
            }
            assert client.get("/health").json()["reports"] == 0
            held = engine.connect()  # the pool's only connection
            try:
                alive = client.get("/health")
                assert alive.status_code == 200
                assert alive.json() == {"status": "ok", "database": engine.dialect.name, "reports": 0}
                ready = client.get("/health/ready")
                assert ready.status_code == 503
                assert ready.headers["content-type"] == "application/problem+json"
                assert int(ready.headers["retry-after"]) >= 1
            finally:
                held.close()
            assert client.get("/health/ready").status_code == 200
    finally:
        engine.dispose()


FLOOD_ADDRESS = "203.0.113.7"
OTHER_FLOOD_ADDRESS = "203.0.113.8"
PROBE_ADDRESS = "198.51.100.9"
QUEUE_TIMEOUT_S = 1.0
STATEMENT_TIMEOUT_MS = 4_000
# The documented bound of a heavy request: its wait for a slot, then its statement's time limit; plus a
# margin for a loaded test machine (2 cores shared with the rest of the suite).
HEAVY_BOUND_S = QUEUE_TIMEOUT_S + STATEMENT_TIMEOUT_MS / 1000 + 4


@contextmanager
def laborwatch_serve(database: Database, **settings: str) -> Iterator[str]:
    """`laborwatch serve` in a process of its own on a free port, with `settings` in its environment."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database.url, **settings}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", "from api.cli import app; app()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            with suppress(httpx.TransportError):
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            assert process.poll() is None, "the server stopped"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_flood_of_heavy_reads_from_one_address_stalls_no_one_else(database: Database) -> None:
    migrator = make_engine(database.settings())
    migrate(migrator)
    bulk_facilities(migrator, 40_000)
    load(migrator, bundle())
    migrator.dispose()
    settings = {
        "LABORWATCH_READ_THREADS": "2",
        "LABORWATCH_MAX_HEAVY_READS_PER_CLIENT": "2",
        "LABORWATCH_QUEUE_TIMEOUT_S": str(QUEUE_TIMEOUT_S),
        "LABORWATCH_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS),
        "LABORWATCH_TRUSTED_PROXIES": '["127.0.0.1/32"]',
    }
    heavy: list[tuple[str, dict[str, str | int]]] = [
        ("/v1/stats", {"sector": "garment"}),
        ("/v1/facilities", {"q": "bulk", "sort": "-workers", "limit": 500}),
        ("/v1/facilities", {"sector": "garment", "sort": "-workers", "limit": 500}),
    ]
    with laborwatch_serve(database, **settings) as base:
        stop = threading.Event()
        answers: list[tuple[int, str | None, float]] = []

        def flood(address: str, index: int) -> None:
            path, params = heavy[index % len(heavy)]
            with httpx.Client(base_url=base, timeout=HEAVY_BOUND_S) as flooder:
                while not stop.is_set():
                    response = flooder.get(path, params=params, headers={"X-Forwarded-For": address})
                    elapsed = response.elapsed.total_seconds()
                    answers.append((response.status_code, response.headers.get("retry-after"), elapsed))
                    if response.status_code != 200:
                        # a network's round trip, at the least, before the next try: on loopback a refused
                        # client could otherwise spin at the CPU's pace, a matter for rate limits
                        stop.wait(0.01)

        probes: list[int] = []
        with ThreadPoolExecutor(max_workers=12) as pool:
            flooding = [pool.submit(flood, FLOOD_ADDRESS, index) for index in range(8)]
            flooding += [pool.submit(flood, OTHER_FLOOD_ADDRESS, index) for index in range(3)]
            try:
                with httpx.Client(base_url=base, timeout=1.0) as probe:
                    headers = {"X-Forwarded-For": PROBE_ADDRESS}
                    while len(answers) < 20:
                        stop.wait(0.1)
                    for _ in range(5):
                        for path in (
                            "/health",
                            f"/v1/facilities/{FACILITY}",
                            f"/v1/facilities/{FACILITY}/claims",
                            "/static/explorer/explorer.css",
                        ):
                            probes.append(probe.get(path, headers=headers).status_code)
            finally:
                stop.set()
            for future in flooding:
                future.result()
    assert probes == [200] * 20
    statuses = {status for status, _, _ in answers}
    assert statuses <= {200, 429, 503}, statuses
    assert 429 in statuses  # eight at once from one address: more than its share
    for status, retry_after, elapsed in answers:
        assert elapsed < HEAVY_BOUND_S
        if status != 200:
            assert retry_after is not None
            assert int(retry_after) >= 1
