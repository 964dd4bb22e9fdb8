"""Facilities: filters alone and combined, worker figures derived from claims, sorting and details."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

IRKUTSK = "irkutsk-dprk-garment-factory"
KRASNOYARSK = "krasnoyarsk-dprk-garment-company"
JILIN = "jilin-clothing-factory-file-photo"
VLADIVOSTOK = "vladivostok-construction-site"
DANDONG = "dandong-seafood-plant"
SHENYANG = "shenyang-restaurant"


def ids(client: TestClient, **params: Any) -> set[str]:
    response = client.get("/v1/facilities", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return {item["id"] for item in body["items"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {IRKUTSK, KRASNOYARSK, JILIN, VLADIVOSTOK, DANDONG, SHENYANG}),
        ({"country": "RU"}, {IRKUTSK, KRASNOYARSK, VLADIVOSTOK}),
        ({"country": "cn"}, {JILIN, DANDONG, SHENYANG}),
        ({"city": "irkutsk"}, {IRKUTSK}),
        ({"region": "LIAONING"}, {DANDONG, SHENYANG}),
        ({"sector": "Garment"}, {IRKUTSK, KRASNOYARSK, JILIN}),
        ({"kind": "factory"}, {IRKUTSK, JILIN, DANDONG}),
        ({"operator_country": "kp"}, {IRKUTSK, KRASNOYARSK, VLADIVOSTOK, DANDONG, SHENYANG}),
        ({"min_workers": 120}, {KRASNOYARSK, VLADIVOSTOK, DANDONG}),
        ({"max_workers": 100}, {IRKUTSK}),
        ({"min_workers": 100, "max_workers": 250}, {KRASNOYARSK, VLADIVOSTOK}),
        ({"report_id": "test-monitor-2023"}, {VLADIVOSTOK, DANDONG, SHENYANG, IRKUTSK}),
        ({"report_id": "no-such-report"}, set()),
        ({"country": "RU", "sector": "garment", "min_workers": 100}, {KRASNOYARSK}),
        ({"country": "CN", "region": "Liaoning", "kind": "restaurant"}, {SHENYANG}),
        ({"country": "RU", "report_id": "dailynk-garment-orders-russia"}, {IRKUTSK, KRASNOYARSK}),
        ({"city": "Atlantis"}, set()),
    ],
)
def test_filters_alone_and_combined(api: TestClient, params: dict[str, Any], expected: set[str]) -> None:
    assert ids(api, **params) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"country": "RUS"},
        {"country": "1x"},
        {"operator_country": "K"},
        {"min_workers": -1},
        {"min_workers": "many"},
        {"max_workers": "inf"},
        {"min_workers": 200, "max_workers": 100},
        {"sort": "population"},
    ],
)
def test_a_filter_that_cannot_be_valid_is_422(api: TestClient, params: dict[str, Any]) -> None:
    response = api.get("/v1/facilities", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"]


def facility(client: TestClient, facility_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/facilities/{facility_id}")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def test_the_latest_dated_figure_wins_and_disputed_claims_step_aside(api: TestClient) -> None:
    workers = facility(api, VLADIVOSTOK)["workers"]
    assert workers["value"] == 200
    assert workers["approximate"] is True
    assert workers["as_of"] == "2024-03-01"  # no period: dated by its report's publication
    winner = api.get(f"/v1/claims/{workers['claim_id']}").json()
    assert winner["quote"] == "about 200 North Korean workers"
    # The later, disputed 900 stays listed among the facility's claims.
    claims = api.get(f"/v1/facilities/{VLADIVOSTOK}/claims", params={"predicate": "worker_count"}).json()
    assert sorted(claim["value"] for claim in claims["items"]) == [150, 200, 900]
    assert {c["status"] for c in claims["items"] if c["value"] == 900} == {"disputed"}


def test_a_dated_claim_beats_an_undated_one(api: TestClient) -> None:
    workers = facility(api, IRKUTSK)["workers"]
    assert workers == {
        "value": 85,
        "approximate": False,
        "as_of": "2023-05-31",
        "claim_id": workers["claim_id"],
        "sources": 1,
        "conflicting_sources": 0,
    }
    assert api.get(f"/v1/claims/{workers['claim_id']}").json()["period"]["end"] == "2023-05-31"


def test_among_undated_claims_the_last_ingested_wins(api: TestClient) -> None:
    workers = facility(api, KRASNOYARSK)["workers"]
    assert workers["value"] == 120
    assert workers["as_of"] is None
    assert api.get(f"/v1/claims/{workers['claim_id']}").json()["report_id"] == "test-undated-note"


def test_no_worker_claim_gives_null_workers(api: TestClient) -> None:
    assert facility(api, SHENYANG)["workers"] is None
    assert facility(api, JILIN)["workers"] is None


def test_counts_and_first_and_last_reported(api: TestClient) -> None:
    vladivostok = facility(api, VLADIVOSTOK)
    assert vladivostok["claim_count"] == 4
    assert vladivostok["report_count"] == 2
    assert (vladivostok["first_reported"], vladivostok["last_reported"]) == ("2023-06-01", "2024-03-01")
    krasnoyarsk = facility(api, KRASNOYARSK)
    assert (krasnoyarsk["first_reported"], krasnoyarsk["last_reported"]) == (None, None)
    assert krasnoyarsk["report_count"] == 2


def test_a_stored_facility_is_not_overwritten_by_a_later_bundle(api: TestClient) -> None:
    irkutsk = facility(api, IRKUTSK)
    assert irkutsk["name"] == "Factory affiliated with the leading North Korean garment company in Irkutsk"
    assert irkutsk["city"] == "Irkutsk"


def test_detail_carries_every_contract_field(api: TestClient) -> None:
    item = facility(api, VLADIVOSTOK)
    assert set(item) == {
        "id", "name", "aliases", "kind", "sector", "operator", "operator_country", "city", "region",
        "country", "location", "workers", "claim_count", "report_count", "first_reported", "last_reported",
    }  # fmt: skip
    assert item["aliases"] == ["Vladivostok site", "Site V-1"]
    assert item["location"] == {"lat": 43.1155, "lon": 131.8855, "precision": "exact"}
    assert facility(api, DANDONG)["location"] is None
    assert facility(api, DANDONG)["country"] == "CN"  # given as "cn" in its bundle


def test_sort_by_workers_descending_puts_missing_figures_last(api: TestClient) -> None:
    items = api.get("/v1/facilities", params={"sort": "-workers"}).json()["items"]
    assert [item["id"] for item in items] == [DANDONG, VLADIVOSTOK, KRASNOYARSK, IRKUTSK, JILIN, SHENYANG]
    ascending = api.get("/v1/facilities", params={"sort": "workers"}).json()["items"]
    assert [item["id"] for item in ascending] == [IRKUTSK, KRASNOYARSK, VLADIVOSTOK, DANDONG, JILIN, SHENYANG]


def test_unknown_facility_is_a_404_problem(api: TestClient) -> None:
    for path in ("/v1/facilities/no-such-place", "/v1/facilities/no-such-place/claims"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["detail"] == "No facility with id 'no-such-place'."


@pytest.mark.parametrize(
    "params",
    [{"country": ""}, {"min_workers": "", "sector": ""}, {"q": "", "format": "", "limit": ""}, {"as_of": ""}],
)
def test_an_empty_parameter_is_the_same_as_no_parameter(api: TestClient, params: dict[str, Any]) -> None:
    # Dashboards send unset variables as empty values.
    response = api.get("/v1/facilities", params=params)
    assert response.status_code == 200
    assert response.json() == api.get("/v1/facilities").json()
