"""`laborwatch ingest` writes bundles in batches: what a user sees must not depend on how they are grouped."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.db.engine import make_engine, write_session
from api.db.migrate import migrate
from api.ingest import bulk
from api.ingest.loader import load_bundle, parse_bundle
from tests.conftest import Database
from tests.helpers.bundles import SHARED, report
from tests.helpers.cli import Run


@pytest.fixture(params=[bulk.BATCH_BUNDLES, 2], ids=["one-batch", "batches-of-2"])
def batch_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run each test with every bundle in one batch, and again with batches of two bundles."""
    monkeypatch.setattr(bulk, "BATCH_BUNDLES", request.param)
    return int(request.param)


def write(folder: Path, name: str, data: dict[str, Any]) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


def facility_view(client: TestClient, facility_id: str) -> dict[str, Any]:
    """The facility's derived figures, as the API answers them."""
    answer = client.get(f"/v1/facilities/{facility_id}")
    assert answer.status_code == 200, answer.text
    keys = ("workers", "claim_count", "report_count", "first_reported", "last_reported")
    return {key: answer.json()[key] for key in keys}


def test_a_refused_bundle_mid_batch_leaves_only_itself_out(
    run: Run, client: TestClient, tmp_path: Path, batch_size: int
) -> None:
    folder = tmp_path / "bundles"
    write(folder, "1.json", report(1, 40))
    refused = report(2, 50)
    refused["facilities"].append({"id": "only-in-refused", "name": "Declared by the refused bundle"})
    refused["claims"].append(
        {
            "facility": "nowhere",
            "predicate": "worker_count",
            "value": 50,
            "unit": "workers",
            "quote": "Report 2",
        }
    )
    write(folder, "2.json", refused)
    write(folder, "3.json", report(3, 60))

    result = run("ingest", str(folder))

    assert result.exit_code == 1
    assert "2 added, 0 unchanged, 1 refused" in result.output
    assert (
        "2.json: Invalid bundle: claim 1 (worker_count, facility nowhere): unknown facility" in result.output
    )
    reports = [item["id"] for item in client.get("/v1/reports").json()["items"]]
    assert reports == ["report-1", "report-3"]
    assert client.get("/v1/reports/report-2").status_code == 404
    assert client.get("/v1/facilities/only-in-refused").status_code == 404
    assert client.get("/v1/claims", params={"report_id": "report-2"}).json()["total"] == 0
    assert facility_view(client, SHARED)["claim_count"] == 2
    assert facility_view(client, SHARED)["report_count"] == 2


@pytest.fixture
def one_by_one(backend: str, tmp_path: Path) -> Iterator[tuple[Database, TestClient]]:
    """Another empty database of the same backend, with a client, for loading bundles one at a time."""
    other = Database(backend, tmp_path / "other")
    (tmp_path / "other").mkdir()
    engine = make_engine(other.settings())
    migrate(engine)
    with TestClient(create_app(other.settings(), engine)) as client:
        yield other, client
    engine.dispose()
    other.drop()


def test_bundles_sharing_a_facility_give_the_figures_of_loading_them_one_by_one(
    run: Run,
    client: TestClient,
    tmp_path: Path,
    batch_size: int,
    one_by_one: tuple[Database, TestClient],
) -> None:
    bundles = [report(1, 40, "2021-06-30"), report(2, 70), report(3, 55, "2023-03-31"), report(4, 90)]
    folder = tmp_path / "bundles"
    for index, data in enumerate(bundles):
        write(folder, f"{index}.json", data)

    result = run("ingest", str(folder))
    assert result.exit_code == 0, result.output
    assert "4 added, 0 unchanged, 0 refused" in result.output

    other, other_client = one_by_one
    engine = make_engine(other.settings())
    for data in bundles:
        with write_session(engine) as session:
            load_bundle(session, parse_bundle(data))
    engine.dispose()

    batched = facility_view(client, SHARED)
    assert batched == facility_view(other_client, SHARED)
    # The latest dated claim wins: report 4 is published in 2024 (undated claim, dated by the report).
    assert batched["workers"]["value"] == 90
    assert batched["claim_count"] == 4
    assert batched["report_count"] == 4
    assert (batched["first_reported"], batched["last_reported"]) == ("2021-01-01", "2024-01-01")


def test_the_same_report_twice_in_one_run(
    run: Run, client: TestClient, tmp_path: Path, batch_size: int
) -> None:
    folder = tmp_path / "bundles"
    write(folder, "1.json", report(1, 40))
    write(folder, "2.json", report(1, 40))  # the same bundle again: unchanged
    conflicting = report(1, 41)  # the same report id, another body: refused with the PUT hint
    write(folder, "3.json", conflicting)
    write(folder, "4.json", report(4, 90))

    result = run("ingest", str(folder))

    assert result.exit_code == 1
    assert "2 added, 1 unchanged, 1 refused" in result.output
    assert "unchanged report-1" in result.output
    assert "3.json: Report 'report-1' is already stored" in result.output
    assert "PUT /v1/reports/report-1" in result.output
    assert [item["id"] for item in client.get("/v1/reports").json()["items"]] == ["report-1", "report-4"]
    claims = client.get("/v1/claims", params={"report_id": "report-1"}).json()["items"]
    assert [claim["value"] for claim in claims] == [40]
    assert facility_view(client, SHARED)["claim_count"] == 2

    again = run("ingest", str(folder))
    assert "0 added, 3 unchanged, 1 refused" in again.output


def test_the_audit_log_has_one_entry_per_added_bundle(
    run: Run, client: TestClient, tmp_path: Path, batch_size: int
) -> None:
    folder = tmp_path / "bundles"
    for index in range(1, 6):
        write(folder, f"{index}.json", report(index, 10 * index))
    write(folder, "6.json", report(6, 60) | {"unknown": True})
    etag = client.get("/v1/reports").headers["ETag"]

    first = run("ingest", str(folder))
    assert "5 added, 0 unchanged, 1 refused" in first.output
    changes = client.get("/v1/changes").json()
    assert changes["total"] == 5
    assert [c["entity_id"] for c in reversed(changes["items"])] == [f"report-{i}" for i in range(1, 6)]
    assert {(c["key_name"], c["action"], c["entity_type"]) for c in changes["items"]} == {
        ("cli", "report.create", "report")
    }
    assert changes["items"][0]["after"]["claim_ids"] == [
        claim["id"] for claim in client.get("/v1/reports/report-5/claims").json()["items"]
    ]
    after = client.get("/v1/reports")
    assert after.headers["ETag"] != etag
    assert client.get("/v1/reports", headers={"If-None-Match": after.headers["ETag"]}).status_code == 304

    second = run("ingest", str(folder))
    assert "0 added, 5 unchanged, 1 refused" in second.output
    assert client.get("/v1/changes").json()["total"] == 5
    assert client.get("/v1/reports").headers["ETag"] == after.headers["ETag"]


def test_claims_ingested_in_batches_are_found_by_search_and_so_are_later_ones(
    run: Run, client: TestClient, engine: Engine, tmp_path: Path, batch_size: int
) -> None:
    folder = tmp_path / "bundles"
    for index in range(1, 4):
        write(folder, f"{index}.json", report(index, 10 * index))

    result = run("ingest", str(folder))
    assert result.exit_code == 0, result.output

    def found(words: str) -> list[str]:
        answer = client.get("/v1/claims", params={"q": words})
        assert answer.status_code == 200, answer.text
        return sorted(claim["report_id"] for claim in answer.json()["items"])

    assert found("seamstresses") == ["report-1", "report-2", "report-3"]
    assert found("employs 20") == ["report-2"]
    # A bundle written on its own afterwards (not in a batch) is indexed as it is written.
    with write_session(engine) as session:
        load_bundle(session, parse_bundle(report(4, 70)))
    assert found("seamstresses") == ["report-1", "report-2", "report-3", "report-4"]
    assert found("employs 70") == ["report-4"]
