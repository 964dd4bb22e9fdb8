"""Bounded writes: the caps on claims per bundle and on quote occurrences, the same for the API and ingest."""

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.auth.keys import create_key
from api.db.engine import write_session
from tests.conftest import Database
from tests.helpers.bundles import bundle
from tests.helpers.cli import Run

Writer = Callable[..., TestClient]
# A body where one short quote recurs at every place: the shape of the bundle that held the lock 47 s.
REPEATED = "Of the workers, " + " ".join(f"{n} workers" for n in range(1, 301)) + "."


@pytest.fixture
def writer(database: Database, engine: Engine) -> Iterator[Writer]:
    """Make an authenticated client on an app with the given settings."""
    with write_session(engine) as session:
        key = create_key(session, "analyst")
    clients: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        client = TestClient(create_app(database.settings(**settings), engine))
        client.__enter__()
        client.headers["Authorization"] = f"Bearer {key}"
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def repeated_bundle(occurrences: Sequence[int | None]) -> dict[str, Any]:
    """A bundle on `REPEATED` whose claims each name one occurrence of the quote "workers"."""
    data = bundle()
    data["report"]["body"] = REPEATED
    data["claims"] = [
        {
            "facility": "khabarovsk-workshop",
            "predicate": "worker_count",
            "value": index + 1,
            "unit": "workers",
            "quote": "workers",
            **({"occurrence": occurrence} if occurrence is not None else {}),
        }
        for index, occurrence in enumerate(occurrences)
    ]
    return data


def nothing_written(client: TestClient) -> None:
    assert client.get("/v1/reports").json()["total"] == 0
    assert client.get("/v1/claims").json()["total"] == 0
    assert client.get("/v1/changes").json()["total"] == 0


@pytest.mark.parametrize("dry_run", [False, True])
def test_more_claims_than_the_cap_is_a_422_naming_claims(writer: Writer, dry_run: bool) -> None:
    client = writer(max_claims_per_bundle=2)
    response = client.post("/v1/reports", params={"dry_run": dry_run}, json=bundle())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["loc"] == ["claims"]
    assert "at most 2 claims per bundle" in problem["errors"][0]["msg"]
    assert "LABORWATCH_MAX_CLAIMS_PER_BUNDLE" in problem["detail"]
    nothing_written(client)


def test_put_over_the_cap_is_refused_and_keeps_the_stored_report(writer: Writer) -> None:
    client = writer(max_claims_per_bundle=3)
    assert client.post("/v1/reports", json=bundle()).status_code == 201
    bigger = bundle()
    bigger["claims"].append(dict(bigger["claims"][1], value=17, quote="The workshop pays no wages"))
    response = client.put("/v1/reports/khabarovsk-workshop", json=bigger)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["claims"]
    assert client.get("/v1/claims").json()["total"] == 3


@pytest.mark.parametrize("dry_run", [False, True])
def test_quotes_costing_more_search_than_the_cap_are_a_422(writer: Writer, dry_run: bool) -> None:
    sample = bundle()
    distinct = len({" ".join(claim["quote"].split()) for claim in sample["claims"]})
    body_chars = len(" ".join(sample["report"]["body"].split()))
    # Just under the cost of this bundle's search: refused; at its cost: accepted.
    client = writer(max_quote_search_chars=distinct * body_chars - 1)
    response = client.post("/v1/reports", params={"dry_run": dry_run}, json=sample)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert error["loc"] == ["claims"]
    assert f"{distinct} distinct quotes in a body of {body_chars} characters" in error["msg"]
    assert "LABORWATCH_MAX_QUOTE_SEARCH_CHARS" in response.json()["detail"]
    nothing_written(client)
    allowed = writer(max_quote_search_chars=distinct * body_chars)
    assert allowed.post("/v1/reports", params={"dry_run": dry_run}, json=sample).status_code in (200, 201)


def test_an_occurrence_above_the_cap_is_a_422_naming_each_claim(writer: Writer) -> None:
    client = writer(max_quote_occurrences=50)
    response = client.post("/v1/reports", json=repeated_bundle([1, 51, 2, 300]))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [error["loc"] for error in errors] == [["claims", 1, "occurrence"], ["claims", 3, "occurrence"]]
    assert all("at most 50" in error["msg"] for error in errors)
    nothing_written(client)


def test_a_quote_recurring_beyond_the_count_needs_an_occurrence(writer: Writer) -> None:
    client = writer(max_quote_occurrences=50)
    response = client.post("/v1/reports", json=repeated_bundle([None]))
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["loc"] == ["claims", 0, "quote"]
    assert "appears more than 50 times" in error["msg"]
    nothing_written(client)


def test_every_occurrence_of_a_recurring_quote_is_placed_where_it_stands(writer: Writer) -> None:
    client = writer()
    occurrences = list(range(301, 0, -1))  # last first: the kept places must serve the earlier ones
    response = client.post("/v1/reports", json=repeated_bundle(occurrences))
    assert response.status_code == 201, response.text
    claims = response.json()["claims"]
    assert len(claims) == 301
    starts = [i for i in range(len(REPEATED)) if REPEATED.startswith("workers", i)]
    by_value = {claim["value"]: claim["span"] for claim in claims}
    for index, occurrence in enumerate(occurrences):
        span = by_value[index + 1]
        assert span == {"start": starts[occurrence - 1], "end": starts[occurrence - 1] + len("workers")}


def test_the_caps_are_checked_before_the_write_lock_is_taken(
    writer: Writer, engine: Engine, database: Database
) -> None:
    client = writer(max_claims_per_bundle=2, sqlite_busy_timeout_ms=500)
    with ThreadPoolExecutor(1) as pool, write_session(engine) as session:
        if database.backend == "sqlite":
            session.connection()  # BEGIN IMMEDIATE: this session holds the write lock
        future = pool.submit(client.post, "/v1/reports", json=bundle())
        # Answered while another writer holds the lock: the refusal did not wait for it.
        response = future.result(timeout=5)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["claims"]


def test_ingest_applies_the_same_caps(
    run: Run,
    client: TestClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LABORWATCH_MAX_CLAIMS_PER_BUNDLE", "2")
    monkeypatch.setenv("LABORWATCH_MAX_QUOTE_OCCURRENCES", "50")
    (tmp_path / "a-claims.yaml").write_text(yaml.safe_dump(bundle()), encoding="utf-8")
    occurrence = repeated_bundle([60])
    occurrence["report"]["id"] = "repeated"
    (tmp_path / "b-occurrence.yaml").write_text(yaml.safe_dump(occurrence), encoding="utf-8")
    result = run("ingest", str(tmp_path))
    assert result.exit_code == 1
    assert "0 added, 0 unchanged, 2 refused" in result.output
    refused = "a-claims.yaml: Invalid bundle: claims: 3 claims given; at most 2 claims per bundle"
    assert refused in result.output
    assert "b-occurrence.yaml: Invalid bundle: claim 0 (occurrence): at most 50" in result.output
    nothing_written(client)
