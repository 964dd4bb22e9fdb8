"""Filters that take several values (`?country=RU&country=CN`: any of them) on every list, export and page."""

import csv
import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.kit.params import MAX_FILTER_VALUES
from tests.helpers.pages import html_page, rows
from tests.helpers.problems import assert_problem

PAIR = {"country": ["RU", "CN"]}


def ids(client: TestClient, path: str, params: dict[str, Any]) -> list[str]:
    """Every id of a list, followed page by page through `next` (two items a page)."""
    found: list[str] = []
    page = client.get(path, params={**params, "limit": 2}).json()
    while True:
        found += [item["id"] for item in page["items"]]
        if page["next"] is None:
            return found
        page = client.get(page["next"]).json()


def test_a_repeated_country_lists_the_facilities_of_either(api: TestClient) -> None:
    russian = ids(api, "/v1/facilities", {"country": "RU"})
    chinese = ids(api, "/v1/facilities", {"country": "cn"})
    assert russian
    assert chinese
    both = api.get("/v1/facilities", params=PAIR).json()
    assert both["total"] == len(russian) + len(chinese)
    assert [item["id"] for item in both["items"]] == sorted(russian + chinese)
    assert {item["country"] for item in both["items"]} == {"RU", "CN"}
    # The same value twice, or in another case, is the same filter.
    again = api.get("/v1/facilities", params={"country": ["RU", "ru", "CN"]}).json()
    assert again["total"] == both["total"]


def test_next_links_carry_every_value(api: TestClient) -> None:
    first = api.get("/v1/facilities", params={**PAIR, "limit": 1})
    following = first.json()["next"]
    assert following is not None
    assert parse_qs(urlsplit(following).query)["country"] == ["RU", "CN"]
    assert f"<{following}>" in first.headers["link"]
    expected = sorted(
        ids(api, "/v1/facilities", {"country": "RU"}) + ids(api, "/v1/facilities", {"country": "CN"})
    )
    assert ids(api, "/v1/facilities", PAIR) == expected


def test_exports_take_the_same_values(api: TestClient) -> None:
    expected = {
        item["id"] for item in api.get("/v1/facilities", params={**PAIR, "limit": 500}).json()["items"]
    }
    exported = api.get("/v1/facilities", params={**PAIR, "format": "csv"})
    assert exported.status_code == 200
    assert {row["id"] for row in csv.DictReader(io.StringIO(exported.text))} == expected
    lines = api.get("/v1/facilities", params={**PAIR, "format": "ndjson"}).text.splitlines()
    assert len(lines) == len(expected)
    features = api.get("/v1/facilities", params={**PAIR, "format": "geojson"}).json()["features"]
    assert {feature["properties"]["country"] for feature in features} <= {"RU", "CN"}


def test_stats_count_the_facilities_of_either(api: TestClient) -> None:
    stats = api.get("/v1/stats", params=PAIR).json()
    listed = api.get("/v1/facilities", params={**PAIR, "limit": 500}).json()
    assert stats["facilities"] == listed["total"]
    assert {row["country"] for row in stats["by_country"]} == {"RU", "CN"}
    russian = api.get("/v1/stats", params={"country": "RU"}).json()
    chinese = api.get("/v1/stats", params={"country": "CN"}).json()
    assert stats["claims"] == russian["claims"] + chinese["claims"]
    assert stats["workers_total"] == russian["workers_total"] + chinese["workers_total"]


def test_sector_and_kind_take_several_values_in_any_case(api: TestClient) -> None:
    sectors = {item["sector"] for item in api.get("/v1/facilities", params={"limit": 500}).json()["items"]}
    chosen = sorted(sector for sector in sectors if sector)[:2]
    assert len(chosen) == 2
    each = sum(api.get("/v1/facilities", params={"sector": s}).json()["total"] for s in chosen)
    both = api.get("/v1/facilities", params={"sector": [chosen[0].upper(), chosen[1]]}).json()
    assert both["total"] == each
    assert {item["sector"] for item in both["items"]} == set(chosen)


def test_claims_take_several_statuses_and_predicates(api: TestClient) -> None:
    def total(**params: Any) -> int:
        response = api.get("/v1/claims", params=params)
        assert response.status_code == 200, response.text
        result: int = response.json()["total"]
        return result

    statuses = ["reported", "corroborated"]
    assert total(status=statuses) == sum(total(status=status) for status in statuses) > 0
    predicates = ["worker_count", "wages"]
    assert total(predicate=predicates) == sum(total(predicate=predicate) for predicate in predicates) > 0
    report_id = api.get("/v1/reports", params={"limit": 1}).json()["items"][0]["id"]
    sub = api.get(f"/v1/reports/{report_id}/claims", params={"status": statuses, "limit": 500}).json()
    assert {claim["status"] for claim in sub["items"]} <= set(statuses)


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("country=RU&country=RUS", ["query", "country", 1]),
        ("country=RU,CN", ["query", "country", 0]),  # one convention: repeat the parameter
        ("status=reported&status=lost", ["query", "status", 1]),
        ("&".join(["kind=factory"] * (MAX_FILTER_VALUES + 1)), ["query", "kind"]),
    ],
)
def test_each_value_is_checked_and_their_number_capped(api: TestClient, query: str, loc: list[Any]) -> None:
    path = "/v1/claims" if query.startswith("status") else "/v1/facilities"
    body = assert_problem(api.get(f"{path}?{query}"), 422)
    assert [error["loc"] for error in body["errors"]] == [loc]


@pytest.mark.parametrize(
    "query", ["city=Irkutsk&city=Omsk", "limit=1&limit=2", "q=a&q=b", "as_of=2024-01-01&as_of=2024-01-02"]
)
def test_a_scalar_parameter_given_twice_is_still_refused(api: TestClient, query: str) -> None:
    body = assert_problem(api.get(f"/v1/facilities?{query}&country=RU&country=CN"), 422)
    name = query.partition("=")[0]
    assert body["errors"] == [{"loc": ["query", name], "msg": "given more than once; give it once"}]


def test_a_cached_answer_is_told_apart_by_every_value(api: TestClient) -> None:
    one = api.get("/v1/facilities", params={"country": "RU"})
    two = api.get("/v1/facilities", params=PAIR)
    assert one.headers["etag"] != two.headers["etag"]
    assert (
        api.get("/v1/facilities", params=PAIR, headers={"If-None-Match": one.headers["etag"]}).status_code
        == 200
    )
    assert (
        api.get("/v1/facilities", params=PAIR, headers={"If-None-Match": two.headers["etag"]}).status_code
        == 304
    )


def test_openapi_documents_the_filters_that_take_several_values_as_arrays(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    expected = {
        "/v1/facilities": {"country", "sector", "kind", "operator_country"},
        "/v1/stats": {"country", "sector", "kind", "operator_country"},
        "/v1/claims": {"status", "predicate", "reliability", "credibility"},
        "/v1/reports": {"reliability"},
        "/v1/reports/{report_id}/claims": {"status", "predicate"},
        "/v1/facilities/{facility_id}/claims": {"status", "predicate"},
    }
    for path, names in expected.items():
        arrays = set()
        for parameter in spec["paths"][path]["get"]["parameters"]:
            for option in parameter["schema"].get("anyOf", [parameter["schema"]]):
                if option.get("type") == "array":
                    assert option["maxItems"] == MAX_FILTER_VALUES
                    assert "Repeat the parameter" in parameter["description"]
                    arrays.add(parameter["name"])
        assert arrays == names, path


def test_the_explorer_table_takes_several_countries_and_keeps_them_in_its_form(api: TestClient) -> None:
    expected = api.get("/v1/facilities", params=PAIR).json()
    page = html_page(api, "/facilities?country=RU&country=CN")
    shown = rows(page, "facilities")
    assert [row[0] for row in shown] == [item["name"] for item in expected["items"]]
    assert page.ids["f-country"]["value"] == "RU"
    assert page.ids["f-country-2"]["value"] == "CN"
    assert page.ids["f-country-2"]["name"] == "country"
