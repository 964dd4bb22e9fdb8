"""Reports: filters, list and detail shapes, and the report's claims."""

from typing import Any

import pytest
from fastapi.testclient import TestClient


def report_ids(client: TestClient, **params: Any) -> list[str]:
    response = client.get("/v1/reports", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {},
            ["dailynk-garment-orders-russia", "test-monitor-2023", "test-monitor-2024", "test-undated-note"],
        ),
        ({"publisher": "TEST MONITOR"}, ["test-monitor-2023", "test-monitor-2024"]),
        ({"publisher": "Daily NK"}, ["dailynk-garment-orders-russia"]),
        ({"published_from": "2024-01-01"}, ["test-monitor-2024"]),
        ({"published_to": "2023-12-31"}, ["test-monitor-2023"]),
        (
            {"published_from": "2023-06-01", "published_to": "2024-03-01"},
            ["test-monitor-2023", "test-monitor-2024"],
        ),
        ({"publisher": "test monitor", "published_from": "2024-01-01"}, ["test-monitor-2024"]),
        ({"publisher": "Nobody"}, []),
        (
            {"sort": "-published_on"},
            ["test-monitor-2024", "test-monitor-2023", "dailynk-garment-orders-russia", "test-undated-note"],
        ),
    ],
)
def test_report_filters_and_sort(api: TestClient, params: dict[str, Any], expected: list[str]) -> None:
    assert report_ids(api, **params) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"published_from": "yesterday"},
        {"published_to": "2024-02-30"},
        {"published_from": "2024-02-01", "published_to": "2024-01-01"},
        {"sort": "body"},
    ],
)
def test_a_report_filter_that_cannot_be_valid_is_422(api: TestClient, params: dict[str, Any]) -> None:
    response = api.get("/v1/reports", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_list_items_have_no_body_and_detail_has_it(api: TestClient) -> None:
    listed = api.get("/v1/reports", params={"publisher": "test monitor"}).json()["items"][1]
    assert "body" not in listed
    detail = api.get(f"/v1/reports/{listed['id']}").json()
    assert detail.pop("body").startswith("By February 2024")
    assert detail.pop("derivatives") == []  # the detail alone lists the reports deriving from it
    assert detail == listed
    assert listed["contributors"] == [
        {"name": "Ana Author", "role": "author"},
        {"name": "Ed Editor", "role": "editor"},
    ]
    assert listed["facility_ids"] == ["vladivostok-construction-site"]
    assert listed["claim_count"] == 3


def test_a_reports_claims_sub_list(api: TestClient) -> None:
    items = api.get("/v1/reports/test-monitor-2024/claims").json()["items"]
    assert {item["report_id"] for item in items} == {"test-monitor-2024"}
    assert len(items) == 3
    only = api.get("/v1/reports/test-monitor-2024/claims", params={"status": "disputed"}).json()
    assert only["total"] == 1


def test_unknown_report_is_a_404_problem(api: TestClient) -> None:
    for path in ("/v1/reports/no-such-report", "/v1/reports/no-such-report/claims"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert "no-such-report" in response.json()["detail"]


def test_health(api: TestClient) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["reports"] == 4
