"""The OpenAPI document as people and client generators read it: ids, schema names, headers, media types."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import PROJECT_ROOT

# The ids clients know the operations by (generated clients name their functions after them).
OPERATION_IDS = {
    ("get", "/health"): "get_health",
    ("get", "/health/ready"): "get_ready",
    ("get", "/v1/reports"): "list_reports",
    ("post", "/v1/reports"): "create_report",
    ("get", "/v1/reports/{report_id}"): "get_report",
    ("put", "/v1/reports/{report_id}"): "replace_report",
    ("delete", "/v1/reports/{report_id}"): "delete_report",
    ("get", "/v1/reports/{report_id}/claims"): "list_report_claims",
    ("get", "/v1/facilities"): "list_facilities",
    ("get", "/v1/facilities/{facility_id}"): "get_facility",
    ("get", "/v1/facilities/{facility_id}/claims"): "list_facility_claims",
    ("get", "/v1/facilities/{facility_id}/workers"): "get_facility_workers",
    ("post", "/v1/facilities/{facility_id}/merge"): "merge_facilities",
    ("get", "/v1/claims"): "list_claims",
    ("get", "/v1/claims/{claim_id}"): "get_claim",
    ("patch", "/v1/claims/{claim_id}"): "patch_claim",
    ("get", "/v1/stats"): "get_stats",
    ("get", "/v1/changes"): "list_changes",
}
METHOD_SUFFIXES = ("_get", "_head", "_post", "_put", "_patch", "_delete")
SENT_HEADERS = ("ETag", "Cache-Control", "Link", "Location", "Retry-After")


@pytest.fixture(scope="module")
def spec(api: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = api.get("/openapi.json").json()
    return document


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, path_item in spec["paths"].items():
        for method, operation in path_item.items():
            yield method, path, operation


def resolved(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its `$ref` (to the components) followed."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_every_operation_has_a_snake_case_id_named_for_clients(spec: dict[str, Any]) -> None:
    ids = {(method, path): operation["operationId"] for method, path, operation in operations(spec)}
    for (method, path), operation_id in ids.items():
        where = f"{method.upper()} {path}: {operation_id}"
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", operation_id), where
        assert not operation_id.endswith(METHOD_SUFFIXES), where
        assert "v1" not in operation_id, where
        for name in re.findall(r"\{(\w+)\}", path):
            assert name not in operation_id, where  # no path in the name
    assert len(set(ids.values())) == len(ids), "operation ids must be unique"
    assert {where: ids.get(where) for where in OPERATION_IDS} == OPERATION_IDS


def test_schema_names_read_as_words(spec: dict[str, Any]) -> None:
    names = set(spec["components"]["schemas"])
    for name in names:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", name), name  # no `Page_Facility_`, `X-Input`
        assert not name.startswith("Body"), name
        assert not name.endswith(("Input", "Output")), name
    for method, path, operation in operations(spec):
        for status, response in operation["responses"].items():
            for content in response.get("content", {}).values():
                ref = content.get("schema", {}).get("$ref")
                if ref is not None:
                    assert ref.rsplit("/", 1)[1] in names, (method, path, status, ref)
    lists = {
        path: op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for method, path, op in operations(spec)
        if op["operationId"].startswith("list_")
    }
    assert lists["/v1/facilities"] == "FacilityPage"
    assert lists["/v1/reports/{report_id}/claims"] == "ClaimPage"
    assert set(lists.values()) == {
        "ReportPage", "FacilityPage", "ClaimPage", "ChangePage", "WebhookPage", "DeliveryPage"
    }  # fmt: skip


def test_headers_are_declared_where_they_are_sent(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        takes = {parameter["name"] for parameter in operation.get("parameters", [])}
        if method == "get":
            assert {"ETag", "Cache-Control"} <= set(responses["200"]["headers"]), where
            assert "ETag" in responses["304"]["headers"], where
        if "cursor" in takes:
            assert "Link" in responses["200"]["headers"], where
        for status in ("201", "308"):
            if status in responses:
                assert "Location" in responses[status]["headers"], (where, status)
        for status in ("429", "503"):
            if status in responses:
                assert "Retry-After" in responses[status]["headers"], (where, status)


def concrete_paths(api: TestClient, spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every GET operation with its path filled in with ids the corpus holds."""
    ids = {
        "report_id": api.get("/v1/reports", params={"limit": 1}).json()["items"][0]["id"],
        "facility_id": api.get("/v1/facilities", params={"limit": 1}).json()["items"][0]["id"],
        "claim_id": api.get("/v1/claims", params={"limit": 1}).json()["items"][0]["id"],
    }
    for method, path, operation in operations(spec):
        # Reads that need a key (webhooks, admins only) are checked in tests/test_webhooks.py.
        if method == "get" and any(not requirement for requirement in operation.get("security", [{}])):
            yield path, path.format(**ids), operation


def test_the_headers_reads_send_are_declared(api: TestClient, spec: dict[str, Any]) -> None:
    seen: set[str] = set()
    for path, url, operation in concrete_paths(api, spec):
        takes = {parameter["name"] for parameter in operation.get("parameters", [])}
        response = api.get(url, params={"limit": 1} if "limit" in takes else None)
        assert response.status_code == 200, url
        declared = operation["responses"]["200"].get("headers", {})
        for header in SENT_HEADERS:
            if header in response.headers:
                seen.add(header)
                assert header in declared, (path, header)
    assert {"ETag", "Cache-Control", "Link"} <= seen


def test_every_format_answers_a_declared_media_type(api: TestClient, spec: dict[str, Any]) -> None:
    formats_seen: set[str] = set()
    for path, url, operation in concrete_paths(api, spec):
        parameter = next((p for p in operation.get("parameters", []) if p["name"] == "format"), None)
        if parameter is None:
            continue
        declared = operation["responses"]["200"]["content"]
        for value in resolved(spec, parameter["schema"])["enum"]:
            response = api.get(url, params={"format": value})
            assert response.status_code == 200, (url, value)
            media_type = response.headers["content-type"].split(";")[0]
            assert media_type in declared, (path, value, media_type)
            formats_seen.add(media_type)
    assert formats_seen == {"application/json", "text/csv", "application/x-ndjson", "application/geo+json"}


def test_the_client_guide_lists_every_operation(spec: dict[str, Any]) -> None:
    guide = (PROJECT_ROOT / "docs" / "clients.md").read_text()
    for method, path, operation in operations(spec):
        assert f"| `{operation['operationId']}` | `{method.upper()} {path}` |" in guide, (method, path)


def test_every_operation_is_in_one_described_group(spec: dict[str, Any]) -> None:
    described = {tag["name"]: tag.get("description") for tag in spec["tags"]}
    for method, path, operation in operations(spec):
        assert len(operation["tags"]) == 1, (method, path)
        assert described.get(operation["tags"][0]), (method, path, operation["tags"])
