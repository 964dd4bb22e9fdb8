"""Every format of every list carries the same items as the JSON list, and every answer fits its schema.

Each listed resource is shaped by one function; these tests hold the JSON page, CSV, NDJSON and GeoJSON to
the same rows, the detail views to the list items, and every item to the pydantic model OpenAPI shows.
"""

import csv
import io
import json
from types import UnionType
from typing import Any, Union, get_args, get_origin

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import Engine

from api.auth.keys import create_key
from api.changes.schemas import ChangePublic
from api.claims.schemas import ClaimPublic
from api.db.engine import write_session
from api.facilities.schemas import FacilityPublic
from api.reports.schemas import ReportDetail, ReportPublic, WriteResult
from tests.helpers.bundles import bundle

Item = dict[str, Any]

DAILYNK = "dailynk-garment-orders-russia"
VLADIVOSTOK = "vladivostok-construction-site"

FACILITY_FORMATS = ("csv", "ndjson", "geojson")
# (path, query, the documented item model, the formats besides json)
LISTS: list[tuple[str, dict[str, str], type[BaseModel], tuple[str, ...]]] = [
    ("/v1/reports", {}, ReportPublic, ("csv", "ndjson")),
    ("/v1/reports", {"sort": "-published_on"}, ReportPublic, ("csv", "ndjson")),
    ("/v1/facilities", {}, FacilityPublic, FACILITY_FORMATS),
    (
        "/v1/facilities",
        {"as_of": "2023-12-31", "sort": "-workers"},
        FacilityPublic,
        ("csv", "ndjson", "geojson"),
    ),
    ("/v1/facilities", {"country": "ru", "city": "IRKUTSK"}, FacilityPublic, FACILITY_FORMATS),
    ("/v1/claims", {}, ClaimPublic, ("csv", "ndjson")),
    ("/v1/claims", {"predicate": "worker_count", "sort": "-value"}, ClaimPublic, ("csv", "ndjson")),
    (f"/v1/reports/{DAILYNK}/claims", {}, ClaimPublic, ("csv", "ndjson")),
    (f"/v1/facilities/{VLADIVOSTOK}/claims", {"sort": "-dated_on"}, ClaimPublic, ("csv", "ndjson")),
    ("/v1/changes", {}, ChangePublic, ("csv", "ndjson")),
    ("/v1/changes", {"sort": "id"}, ChangePublic, ("csv", "ndjson")),
]
LIST_IDS = [f"{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}" for path, query, _m, _f in LISTS]


def every_item(api: TestClient, path: str, query: dict[str, str]) -> list[Item]:
    """Every item of a list, following `next` pages of 7 (so paging is part of what is compared)."""
    items: list[Item] = []
    response = api.get(path, params={**query, "limit": 7})
    while True:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        items.extend(body["items"])
        if body["next"] is None:
            assert body["total"] == len(items)
            return items
        response = api.get(body["next"])


def cell(value: Any) -> str:
    """A CSV cell as the contract describes it: lists joined with `;`, free-form objects as JSON text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(list_part(part) for part in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def list_part(part: Any) -> str:
    if isinstance(part, dict):  # a report's contributor reads "name (role)"
        name, *rest = [str(v) for v in part.values() if v is not None]
        return f"{name} ({', '.join(rest)})" if rest else name
    return str(part)


def expected_row(item: Item, header: list[str], model: type[BaseModel]) -> list[str]:
    row = []
    for column in header:
        outer, _, inner = column.partition(".")
        value = item[outer]
        if inner:
            value = value.get(inner) if isinstance(value, dict) else None
        row.append(cell(value))
    return row


def dotted_columns(model: type[BaseModel]) -> list[str]:
    """The header a client expects from the documented model: nested objects (not free-form ones) dotted."""
    columns = []
    for name, field in model.model_fields.items():
        choices = get_args(field.annotation) if get_origin(field.annotation) in (Union, UnionType) else ()
        nested = next((arg for arg in (field.annotation, *choices) if _is_model(arg)), None)
        if nested is None:
            columns.append(name)
        else:
            columns.extend(f"{name}.{inner}" for inner in nested.model_fields)
    return columns


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


@pytest.mark.parametrize(("path", "query", "model", "formats"), LISTS, ids=LIST_IDS)
def test_every_format_carries_the_json_items(
    api: TestClient, path: str, query: dict[str, str], model: type[BaseModel], formats: tuple[str, ...]
) -> None:
    items = every_item(api, path, query)
    assert items, "each case lists something"
    for fmt in formats:
        response = api.get(path, params={**query, "format": fmt})
        assert response.status_code == 200, f"{fmt}: {response.text}"
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(response.text, newline="")))
            header = rows[0]
            assert header == dotted_columns(model)
            assert rows[1:] == [expected_row(item, header, model) for item in items]
        elif fmt == "ndjson":
            lines = response.text.removesuffix("\n").split("\n")
            assert [json.loads(line) for line in lines] == items
        else:
            collection = response.json()
            assert collection["type"] == "FeatureCollection"
            located = [item for item in items if item["location"] is not None]
            assert [feature["properties"] for feature in collection["features"]] == located
            assert [feature["id"] for feature in collection["features"]] == [item["id"] for item in located]
            assert [feature["geometry"]["coordinates"] for feature in collection["features"]] == [
                [item["location"]["lon"], item["location"]["lat"]] for item in located
            ]


@pytest.mark.parametrize(("path", "query", "model", "formats"), LISTS, ids=LIST_IDS)
def test_every_item_fits_its_documented_schema(
    api: TestClient, path: str, query: dict[str, str], model: type[BaseModel], formats: tuple[str, ...]
) -> None:
    for item in every_item(api, path, query):
        assert model.model_validate(item).model_dump(mode="json") == item


@pytest.mark.parametrize(
    ("list_path", "detail_path", "model"),
    [
        ("/v1/facilities", "/v1/facilities/{id}", FacilityPublic),
        ("/v1/claims", "/v1/claims/{id}", ClaimPublic),
        ("/v1/reports", "/v1/reports/{id}", ReportDetail),
    ],
)
def test_each_detail_is_its_list_item(
    api: TestClient, list_path: str, detail_path: str, model: type[BaseModel]
) -> None:
    for item in every_item(api, list_path, {}):
        response = api.get(detail_path.format(id=item["id"]))
        assert response.status_code == 200
        detail = response.json()
        assert model.model_validate(detail).model_dump(mode="json") == detail
        if model is ReportDetail:
            assert isinstance(detail.pop("body"), str)
            assert isinstance(detail.pop("derivatives"), list)
        assert detail == item


@pytest.fixture
def writer(client: TestClient, engine: Engine) -> TestClient:
    with write_session(engine) as session:
        client.headers["Authorization"] = f"Bearer {create_key(session, 'shapes')}"
    return client


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_write_answers_what_the_reads_then_give(writer: TestClient, dry_run: bool) -> None:
    """A write's answer holds the report, facilities and claims exactly as reads shape them."""
    response = writer.post("/v1/reports", params={"dry_run": str(dry_run).lower()}, json=bundle())
    assert response.status_code == 201, response.text
    result = WriteResult.model_validate(response.json()).model_dump(mode="json")
    assert result == response.json()
    if dry_run:
        assert writer.get(f"/v1/reports/{result['report']['id']}").status_code == 404
        return
    assert writer.get(f"/v1/reports/{result['report']['id']}").json() == result["report"]
    for facility in result["facilities"]:
        assert writer.get(f"/v1/facilities/{facility['id']}").json() == facility
    assert every_item(writer, f"/v1/reports/{result['report']['id']}/claims", {}) == sorted(
        result["claims"], key=lambda claim: claim["id"]
    )


def test_labels_at_their_longest_fold_longer_and_still_load_and_filter(writer: TestClient) -> None:
    """Case folding can lengthen a text ("ß" is "ss"): a publisher and a city at their length limit load."""
    data = bundle()
    data["report"]["publisher"] = "ß" * 200
    data["facilities"][0]["city"] = "Straße" * 33
    data["facilities"][0]["sector"] = "ß" * 50
    response = writer.post("/v1/reports", json=data)
    assert response.status_code == 201, response.text
    # The capital sharp s (U+1E9E) folds to "ss" too: filters take values up to the labels' own length.
    reports = writer.get("/v1/reports", params={"publisher": "\u1e9e" * 200}).json()
    assert [report["id"] for report in reports["items"]] == [data["report"]["id"]]
    facilities = writer.get(
        "/v1/facilities", params={"city": "STRA\u1e9eE" * 33, "sector": "\u1e9e" * 50}
    ).json()
    assert [facility["city"] for facility in facilities["items"]] == ["Straße" * 33]
