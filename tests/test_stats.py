"""`/v1/stats`: counts and sums that agree with the lists, with and without the facility filters."""

from collections import Counter, defaultdict
from typing import Any

import pytest
from fastapi.testclient import TestClient

Item = dict[str, Any]
PROBLEM = "application/problem+json"

VLADIVOSTOK = "vladivostok-construction-site"


def items(api: TestClient, path: str, **params: Any) -> list[Item]:
    response = api.get(path, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None
    found: list[Item] = body["items"]
    return found


def stats(api: TestClient, **params: Any) -> dict[str, Any]:
    response = api.get("/v1/stats", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def workers_of(facility: Item) -> float:
    return float(facility["workers"]["value"]) if facility["workers"] else 0.0


def grouped(facilities: list[Item], field: str) -> dict[Any, tuple[int, float]]:
    """Facilities and summed workers per value of `field`, as the lists show them."""
    counts: Counter[Any] = Counter()
    sums: defaultdict[Any, float] = defaultdict(float)
    for facility in facilities:
        counts[facility[field]] += 1
        sums[facility[field]] += workers_of(facility)
    return {key: (counts[key], sums[key]) for key in counts}


def as_groups(rows: list[Item], field: str) -> dict[Any, tuple[int, float]]:
    keys = [row[field] for row in rows]
    assert len(keys) == len(set(keys)), f"{field} listed twice"
    return {row[field]: (row["facilities"], float(row["workers"])) for row in rows}


def dated_on(claim: Item, published: dict[str, str | None]) -> str | None:
    """A claim's date as the contract defines it: its period's end, else its report's publication."""
    period = claim["period"]
    if period is not None and period["end"] is not None:
        end: str = period["end"]
        return end
    return published[claim["report_id"]]


def expected_claim_figures(api: TestClient, claims: list[Item]) -> tuple[Counter[str], Counter[str]]:
    published = {report["id"]: report["published_on"] for report in items(api, "/v1/reports")}
    by_predicate = Counter(claim["predicate"] for claim in claims)
    by_month: Counter[str] = Counter()
    for claim in claims:
        day = dated_on(claim, published)
        if day is not None:
            by_month[day[:7]] += 1
    return by_predicate, by_month


def test_stats_without_filters_agree_with_the_lists(api: TestClient) -> None:
    body = stats(api)
    assert set(body) == {
        "reports", "facilities", "claims", "workers_total", "corroborated_facilities",
        "by_country", "by_sector", "by_predicate", "claims_by_month",
    }  # fmt: skip
    reports = items(api, "/v1/reports")
    facilities = items(api, "/v1/facilities")
    claims = items(api, "/v1/claims")
    assert body["reports"] == len(reports)
    assert body["facilities"] == len(facilities)
    assert body["claims"] == len(claims)
    assert body["workers_total"] == sum(workers_of(facility) for facility in facilities)
    assert as_groups(body["by_country"], "country") == grouped(facilities, "country")
    assert as_groups(body["by_sector"], "sector") == grouped(facilities, "sector")
    by_predicate, by_month = expected_claim_figures(api, claims)
    assert {row["predicate"]: row["claims"] for row in body["by_predicate"]} == dict(by_predicate)
    assert {row["month"]: row["claims"] for row in body["claims_by_month"]} == dict(by_month)


def test_stats_spot_values(api: TestClient) -> None:
    body = stats(api)
    assert (body["reports"], body["facilities"], body["claims"]) == (4, 6, 30)
    # Irkutsk 85 + Krasnoyarsk 120 + Vladivostok 200 + Dandong 300; the disputed 900 never counts.
    assert body["workers_total"] == 705
    assert as_groups(body["by_country"], "country") == {"RU": (3, 405), "CN": (3, 300)}
    assert as_groups(body["by_sector"], "sector")["garment"] == (3, 85 + 120)
    assert as_groups(body["by_sector"], "sector")["hospitality"] == (1, 0)
    assert {row["predicate"]: row["claims"] for row in body["by_predicate"]}["worker_count"] == 8
    months = {row["month"]: row["claims"] for row in body["claims_by_month"]}
    assert months["2023-05"] == 2  # Vladivostok 150 and Irkutsk 85, both ending 2023-05-31
    assert months["2024-12"] == 1  # the disputed 900
    assert [row["month"] for row in body["claims_by_month"]] == sorted(months)


def test_each_group_says_how_many_of_its_facilities_have_a_figure(api: TestClient) -> None:
    body = stats(api)
    facilities = items(api, "/v1/facilities")
    for field, rows in [("country", body["by_country"]), ("sector", body["by_sector"])]:
        for row in rows:
            members = [facility for facility in facilities if facility[field] == row[field]]
            with_figure = [facility for facility in members if facility["workers"] is not None]
            assert row["facilities_with_figure"] == len(with_figure), (field, row)
            assert row["workers"] == sum(workers_of(facility) for facility in with_figure)
    sectors = {row["sector"]: row for row in body["by_sector"]}
    # The hospitality facility has no figure: its workers are unknown, which the 0 alone would not say.
    assert (sectors["hospitality"]["facilities_with_figure"], sectors["hospitality"]["workers"]) == (0, 0)
    assert sectors["garment"]["facilities_with_figure"] > 0


def test_stats_lists_are_ordered_for_a_dashboard(api: TestClient) -> None:
    body = stats(api)
    for field, rows in [
        ("country", body["by_country"]),
        ("sector", body["by_sector"]),
    ]:
        keys = [(-row["facilities"], row[field]) for row in rows]
        assert keys == sorted(keys)
    predicates = [(-row["claims"], row["predicate"]) for row in body["by_predicate"]]
    assert predicates == sorted(predicates)


FILTERS: list[dict[str, Any]] = [
    {"country": "RU"},
    {"country": "cn"},
    {"sector": "garment"},
    {"sector": "GARMENT", "country": "RU"},
    {"kind": "factory"},
    {"city": "vladivostok"},
    {"region": "Liaoning"},
    {"operator_country": "KP"},
    {"min_workers": 150},
    {"max_workers": 120},
    {"min_workers": 100, "max_workers": 250},
    {"bbox": "90,40,140,60"},
    {"bbox": "100,50,110,55"},
    {"q": "Liaoning"},
    {"q": "garment", "country": "RU"},
    {"report_id": "test-monitor-2023"},
    {"as_of": "2023-12-31"},
    {"as_of": "2020-01-01"},
    {"as_of": "2024-06-01", "min_workers": 160},
    {"as_of": "2023-12-31", "country": "RU"},
    {"city": "Atlantis"},
]


@pytest.mark.parametrize("params", FILTERS, ids=repr)
def test_stats_with_filters_agree_with_the_filtered_lists(api: TestClient, params: dict[str, Any]) -> None:
    body = stats(api, **params)
    facilities = items(api, "/v1/facilities", **params)
    matched = {facility["id"] for facility in facilities}
    claims = [claim for claim in items(api, "/v1/claims") if claim["facility_id"] in matched]
    if set(params) <= {"as_of"}:  # as_of changes each facility's figure, not which facilities match
        claims = items(api, "/v1/claims")

    assert body["facilities"] == len(facilities)
    assert body["workers_total"] == sum(workers_of(facility) for facility in facilities)
    assert as_groups(body["by_country"], "country") == grouped(facilities, "country")
    assert as_groups(body["by_sector"], "sector") == grouped(facilities, "sector")
    assert body["claims"] == len(claims)
    assert body["reports"] == len({claim["report_id"] for claim in claims})
    by_predicate, by_month = expected_claim_figures(api, claims)
    assert {row["predicate"]: row["claims"] for row in body["by_predicate"]} == dict(by_predicate)
    assert {row["month"]: row["claims"] for row in body["claims_by_month"]} == dict(by_month)


@pytest.mark.parametrize("params", [p for p in FILTERS if "as_of" not in p], ids=repr)
def test_filters_only_shrink_the_counts(api: TestClient, params: dict[str, Any]) -> None:
    everything = stats(api)
    some = stats(api, **params)
    for field in ("reports", "facilities", "claims", "workers_total"):
        assert some[field] <= everything[field], field


def test_stats_spot_values_with_filters(api: TestClient) -> None:
    russia = stats(api, country="RU")
    assert (russia["facilities"], russia["workers_total"]) == (3, 405)
    assert as_groups(russia["by_country"], "country") == {"RU": (3, 405)}
    garment = stats(api, sector="garment", country="RU")
    assert (garment["facilities"], garment["workers_total"]) == (2, 205)
    liaoning = stats(api, q="Liaoning")
    assert (liaoning["facilities"], liaoning["workers_total"], liaoning["claims"], liaoning["reports"]) == (
        2,
        300,
        2,
        1,
    )
    # Workers as known at the end of 2023: Vladivostok 150, Irkutsk 85, Dandong 300; Krasnoyarsk undated.
    assert stats(api, as_of="2023-12-31")["workers_total"] == 535
    assert stats(api, as_of="2020-01-01")["workers_total"] == 0
    big = stats(api, as_of="2024-06-01", min_workers=160)
    assert (big["facilities"], big["workers_total"]) == (2, 500)
    nothing = stats(api, city="Atlantis")
    assert nothing == {
        "reports": 0,
        "facilities": 0,
        "claims": 0,
        "workers_total": 0,
        "corroborated_facilities": 0,
        "by_country": [],
        "by_sector": [],
        "by_predicate": [],
        "claims_by_month": [],
    }


def test_stats_for_one_facility_count_its_claims(api: TestClient) -> None:
    body = stats(api, city="Vladivostok")
    claims = items(api, f"/v1/facilities/{VLADIVOSTOK}/claims")
    assert body["claims"] == len(claims) == 4
    assert body["reports"] == 2
    assert {row["predicate"]: row["claims"] for row in body["by_predicate"]} == {
        "worker_count": 3,
        "working_hours": 1,
    }


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"country": "RUS"}, ["query", "country", 0]),  # a filter of several values: which one
        ({"operator_country": "K"}, ["query", "operator_country", 0]),
        ({"min_workers": -1}, ["query", "min_workers"]),
        ({"max_workers": "lots"}, ["query", "max_workers"]),
        ({"min_workers": 10, "max_workers": 5}, ["query", "min_workers"]),
        ({"bbox": "1,2,3"}, ["query", "bbox"]),
        ({"bbox": "0,0,200,1"}, ["query", "bbox"]),
        ({"as_of": "2023-02-30"}, ["query", "as_of"]),
        ({"q": "x" * 501}, ["query", "q"]),
        ({"q": "a\x00b"}, ["query", "q"]),
        ({"contry": "RU"}, ["query", "contry"]),
        ({"limit": 10}, ["query", "limit"]),
        ({"format": "csv"}, ["query", "format"]),
        ({"predicate": "worker_count"}, ["query", "predicate"]),
    ],
    ids=repr,
)
def test_an_invalid_stats_filter_is_a_422_problem(
    api: TestClient, params: dict[str, Any], loc: list[str]
) -> None:
    response = api.get("/v1/stats", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 422
    assert loc in [error["loc"] for error in body["errors"]]
