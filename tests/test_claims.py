"""Claims: filters alone and combined, the contract's fields, and details."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

VLADIVOSTOK = "vladivostok-construction-site"


def claims(client: TestClient, path: str = "/v1/claims", **params: Any) -> list[dict[str, Any]]:
    response = client.get(path, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    items: list[dict[str, Any]] = body["items"]
    return items


def test_every_claim_is_listed(api: TestClient) -> None:
    reports = api.get("/v1/reports").json()["items"]
    assert len(claims(api)) == sum(report["claim_count"] for report in reports)


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"predicate": "worker_count"}, lambda c: c["predicate"] == "worker_count"),
        ({"status": "disputed"}, lambda c: c["status"] == "disputed"),
        ({"facility_id": VLADIVOSTOK}, lambda c: c["facility_id"] == VLADIVOSTOK),
        ({"report_id": "test-monitor-2024"}, lambda c: c["report_id"] == "test-monitor-2024"),
        (
            {"facility_id": VLADIVOSTOK, "predicate": "worker_count", "status": "reported"},
            lambda c: (
                c["facility_id"] == VLADIVOSTOK
                and c["predicate"] == "worker_count"
                and c["status"] == "reported"
            ),
        ),
    ],
)
def test_filters_return_exactly_the_matching_claims(
    api: TestClient, params: dict[str, Any], check: Any
) -> None:
    everything = claims(api)
    expected = {claim["id"] for claim in everything if check(claim)}
    assert expected, "the corpus should hold matches for every case"
    assert {claim["id"] for claim in claims(api, **params)} == expected


def test_filter_counts_on_the_corpus(api: TestClient) -> None:
    assert len(claims(api, predicate="worker_count")) == 8
    assert len(claims(api, status="disputed")) == 1
    assert len(claims(api, facility_id=VLADIVOSTOK)) == 4
    assert len(claims(api, facility_id=VLADIVOSTOK, predicate="worker_count", status="reported")) == 2
    assert claims(api, facility_id="no-such-facility") == []


@pytest.mark.parametrize("params", [{"predicate": "overtime"}, {"status": "maybe"}, {"sort": "quote"}])
def test_a_claim_filter_that_cannot_be_valid_is_422(api: TestClient, params: dict[str, Any]) -> None:
    response = api.get("/v1/claims", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_a_claim_has_every_contract_field(api: TestClient) -> None:
    disputed = claims(api, status="disputed")[0]
    assert set(disputed) == {
        "id", "report_id", "facility_id", "subject", "predicate", "value", "unit", "approximate", "period",
        "quote", "span", "attributed_to", "evidence", "status", "notes", "high", "credibility", "support",
        "withheld",
    }  # fmt: skip
    assert disputed["value"] == 900
    assert disputed["unit"] == "workers"
    assert disputed["period"] == {"start": "2024-12-01", "end": "2024-12-31"}
    assert disputed["notes"] == "Contradicted by other sources."
    assert disputed["support"] == {  # a disputed figure neither agrees nor conflicts
        "sources": 0, "agreeing": [], "agreeing_count": 0, "conflicting": [], "conflicting_count": 0,
    }  # fmt: skip
    assert api.get(f"/v1/claims/{disputed['id']}").json() == disputed


def test_a_repeated_quote_is_placed_at_the_occurrence_asked(api: TestClient) -> None:
    (claim,) = claims(api, report_id="test-undated-note")
    body = api.get("/v1/reports/test-undated-note").json()["body"]
    first = body.index("roughly 120 workers")
    assert claim["span"]["start"] == body.index("roughly 120 workers", first + 1)
    assert body[claim["span"]["start"] : claim["span"]["end"]] == claim["quote"]


def test_every_quote_in_the_corpus_is_the_body_at_its_span(api: TestClient) -> None:
    bodies: dict[str, str] = {}
    for claim in claims(api):
        if claim["report_id"] not in bodies:
            bodies[claim["report_id"]] = api.get(f"/v1/reports/{claim['report_id']}").json()["body"]
        span = claim["span"]
        assert bodies[claim["report_id"]][span["start"] : span["end"]] == claim["quote"]


def test_text_values_and_null_facility(api: TestClient) -> None:
    existence = claims(api, predicate="existence", report_id="test-monitor-2023")
    assert [(c["value"], c["unit"]) for c in existence] == [("employs North Korean waitresses", None)]
    production = claims(api, predicate="production_change")
    assert production[0]["facility_id"] is None
    assert production[0]["subject"]


def test_unknown_claim_is_a_404_problem(api: TestClient) -> None:
    response = api.get("/v1/claims/clm-00000000000000000000")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
