"""Exports: `format=csv`, `ndjson` and (facilities) `geojson` stream every matching row, as JSON lists it."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.db.engine import make_engine, write_session
from api.db.migrate import migrate
from api.ingest.loader import LoadResult, load_bundle, parse_bundle
from tests.conftest import Database
from tests.helpers.exports import Item, filename_of, read_ndjson
from tests.helpers.problems import PROBLEM

VLADIVOSTOK = "vladivostok-construction-site"
DANDONG = "dandong-seafood-plant"
DAILYNK = "dailynk-garment-orders-russia"

CSV_TYPE = "text/csv; charset=utf-8"
NDJSON_TYPE = "application/x-ndjson"
GEOJSON_TYPE = "application/geo+json"

# Which full list shows every field a path's items can have (sub-lists hold claims).
RESOURCE_OF = {
    "/v1/facilities": "/v1/facilities",
    "/v1/claims": "/v1/claims",
    "/v1/reports": "/v1/reports",
    f"/v1/reports/{DAILYNK}/claims": "/v1/claims",
    "/v1/reports/test-monitor-2024/claims": "/v1/claims",
    f"/v1/facilities/{VLADIVOSTOK}/claims": "/v1/claims",
}

CASES: list[tuple[str, dict[str, Any]]] = [
    ("/v1/facilities", {}),
    ("/v1/facilities", {"country": "RU", "sort": "-workers"}),
    ("/v1/facilities", {"as_of": "2023-12-31", "sort": "workers"}),
    ("/v1/facilities", {"q": "Liaoning", "kind": "factory"}),
    ("/v1/facilities", {"bbox": "90,40,140,60", "sort": "-name"}),
    ("/v1/facilities", {"city": "Atlantis"}),
    ("/v1/claims", {}),
    ("/v1/claims", {"predicate": "worker_count", "sort": "-value"}),
    ("/v1/claims", {"q": "workers", "status": "reported", "sort": "period_end"}),
    ("/v1/claims", {"facility_id": "irkutsk-dprk-garment-factory"}),
    ("/v1/reports", {}),
    ("/v1/reports", {"publisher": "test monitor", "sort": "-published_on"}),
    ("/v1/reports", {"q": "Krasnoyarsk", "sort": "-claim_count"}),
    (f"/v1/reports/{DAILYNK}/claims", {}),
    (f"/v1/reports/{DAILYNK}/claims", {"predicate": "training", "sort": "-id"}),
    ("/v1/reports/test-monitor-2024/claims", {"sort": "-value"}),
    (f"/v1/facilities/{VLADIVOSTOK}/claims", {}),
    (f"/v1/facilities/{VLADIVOSTOK}/claims", {"predicate": "worker_count", "status": "reported"}),
]
CASE_IDS = [f"{path}?{'&'.join(f'{k}={v}' for k, v in params.items())}" for path, params in CASES]


def json_items(client: TestClient, path: str, **params: Any) -> list[Item]:
    response = client.get(path, params={**params, "limit": 500})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None
    assert body["total"] == len(body["items"])
    items: list[Item] = body["items"]
    return items


def export(client: TestClient, path: str, fmt: str, **params: Any) -> httpx.Response:
    response: httpx.Response = client.get(path, params={**params, "format": fmt})
    assert response.status_code == 200, response.text
    return response


# Nested objects null in every item of the corpus (no test report derives from another): their fields as
# the contract names them.
NULL_NESTED: dict[str, dict[str, None]] = {"derived_from": {"report": None, "relation": None}}


def columns_of(items: list[Item]) -> list[str]:
    """The CSV header a client expects: the item's fields, nested objects as dotted columns."""
    assert items
    columns: list[str] = []
    for key in items[0]:
        nested = next((item[key] for item in items if isinstance(item[key], dict)), NULL_NESTED.get(key))
        if nested is None:
            columns.append(key)
        else:
            columns.extend(f"{key}.{inner}" for inner in nested)
    return columns


def scalar_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, dict):
        # A list of objects (a report's contributors) reads "name (role)".
        name, *rest = [str(v) for v in value.values() if v is not None]
        return f"{name} ({', '.join(rest)})" if rest else name
    return str(value)


def cell(value: Any) -> str:
    if isinstance(value, list):
        return ";".join(scalar_cell(part) for part in value)
    return scalar_cell(value)


def csv_row_of(item: Item, columns: list[str]) -> list[str]:
    row = []
    for column in columns:
        outer, _, inner = column.partition(".")
        value = item[outer]
        if inner:
            value = value[inner] if isinstance(value, dict) else None
        row.append(cell(value))
    return row


def read_csv(response: httpx.Response) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert rows, "a CSV export always has its header row"
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def headers_of(api: TestClient) -> dict[str, list[str]]:
    """The expected CSV header of each resource, from the JSON items of its full list."""
    return {
        path: columns_of(json_items(api, path)) for path in ("/v1/facilities", "/v1/claims", "/v1/reports")
    }


# --- CSV -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "params"), CASES, ids=CASE_IDS)
def test_csv_has_the_json_items_as_rows(
    api: TestClient, headers_of: dict[str, list[str]], path: str, params: dict[str, Any]
) -> None:
    expected = json_items(api, path, **params)
    response = export(api, path, "csv", **params)
    assert response.headers["content-type"] == CSV_TYPE
    assert filename_of(response).endswith(".csv")
    header, rows = read_csv(response)
    columns = headers_of[RESOURCE_OF[path]]
    assert header == columns
    assert rows == [csv_row_of(item, columns) for item in expected]


def test_csv_headers_are_the_fields_with_nested_objects_dotted(headers_of: dict[str, list[str]]) -> None:
    facility = headers_of["/v1/facilities"]
    for column in ("location.lat", "location.lon", "location.precision"):
        assert column in facility
    for column in ("workers.value", "workers.approximate", "workers.as_of", "workers.claim_id"):
        assert column in facility
    assert "location" not in facility
    assert "workers" not in facility
    assert "aliases" in facility
    claim = headers_of["/v1/claims"]
    assert {"span.start", "span.end", "period.start", "period.end", "quote", "value"} <= set(claim)
    assert {"contributors", "facility_ids", "sha256"} <= set(headers_of["/v1/reports"])


def test_csv_joins_lists_with_semicolons(api: TestClient) -> None:
    header, rows = read_csv(export(api, "/v1/facilities", "csv", q="Rodina"))
    (row,) = rows
    assert row[header.index("aliases")] == "Vladivostok site;Site V-1"
    assert row[header.index("location.lat")] == "43.1155"
    assert row[header.index("workers.value")] == "200"
    assert row[header.index("workers.approximate")] == "true"
    header, rows = read_csv(export(api, "/v1/reports", "csv", q="blogger"))
    (row,) = rows
    assert row[header.index("facility_ids")] == VLADIVOSTOK
    assert row[header.index("contributors")].split(";") == ["Ana Author (author)", "Ed Editor (editor)"]


def test_csv_values_with_commas_and_newlines_round_trip(api: TestClient) -> None:
    claims = json_items(api, "/v1/claims")
    with_newline = [c for c in claims if "\n" in c["quote"]]
    with_comma = [c for c in claims if "," in c["quote"] or "," in (c["notes"] or "")]
    assert with_newline
    assert with_comma
    header, rows = read_csv(export(api, "/v1/claims", "csv"))
    by_id = {row[header.index("id")]: row for row in rows}
    for claim in [*with_newline, *with_comma]:
        assert by_id[claim["id"]][header.index("quote")] == claim["quote"]
        assert by_id[claim["id"]][header.index("notes")] == (claim["notes"] or "")
    header, rows = read_csv(export(api, "/v1/facilities", "csv", q="Jilin"))
    assert rows[0][header.index("name")] == "Clothing factory in Jilin Province, China (Daily NK file photo)"


def test_csv_of_no_rows_is_the_header_alone(api: TestClient, headers_of: dict[str, list[str]]) -> None:
    for path, resource in [("/v1/facilities", "/v1/facilities"), ("/v1/claims", "/v1/claims")]:
        header, rows = read_csv(export(api, path, "csv", q="zzyzxqwv"))
        assert header == headers_of[resource]
        assert rows == []


# --- NDJSON ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "params"), CASES, ids=CASE_IDS)
def test_ndjson_lines_are_the_json_items_in_order(api: TestClient, path: str, params: dict[str, Any]) -> None:
    expected = json_items(api, path, **params)
    response = export(api, path, "ndjson", **params)
    assert response.headers["content-type"] == NDJSON_TYPE
    assert filename_of(response).endswith(".ndjson")
    assert read_ndjson(response) == expected


# --- GeoJSON ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"country": "CN"},
        {"as_of": "2023-12-31", "sort": "-workers"},
        {"q": "Liaoning"},
        {"bbox": "100,40,130,55"},
        {"sort": "-name", "sector": "garment"},
        {"city": "Atlantis"},
    ],
    ids=repr,
)
def test_geojson_is_a_feature_collection_of_the_located_facilities(
    api: TestClient, params: dict[str, Any]
) -> None:
    expected = [item for item in json_items(api, "/v1/facilities", **params) if item["location"] is not None]
    response = export(api, "/v1/facilities", "geojson", **params)
    assert response.headers["content-type"] == GEOJSON_TYPE
    assert filename_of(response).endswith(".geojson")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [feature["properties"] for feature in features] == expected
    for feature in features:
        assert feature["type"] == "Feature"
        location = feature["properties"]["location"]
        assert feature["geometry"] == {"type": "Point", "coordinates": [location["lon"], location["lat"]]}
        assert feature["properties"]["id"] != DANDONG


def test_geojson_leaves_out_facilities_without_a_location(api: TestClient) -> None:
    everything = json_items(api, "/v1/facilities")
    unlocated = {item["id"] for item in everything if item["location"] is None}
    assert unlocated == {DANDONG}
    features = export(api, "/v1/facilities", "geojson").json()["features"]
    assert len(features) == len(everything) - 1
    assert DANDONG not in {feature["properties"]["id"] for feature in features}
    only_dandong = export(api, "/v1/facilities", "geojson", q="Dandong").json()
    assert only_dandong == {"type": "FeatureCollection", "features": []}


@pytest.mark.parametrize(
    "path",
    [
        "/v1/claims",
        "/v1/reports",
        f"/v1/reports/{DAILYNK}/claims",
        f"/v1/facilities/{VLADIVOSTOK}/claims",
    ],
)
def test_geojson_only_on_facilities(api: TestClient, path: str) -> None:
    response = api.get(path, params={"format": "geojson"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["loc"] == ["query", "format"]


# --- formats in general ----------------------------------------------------------------------------

ALL_LISTS = ["/v1/facilities", "/v1/claims", "/v1/reports", f"/v1/reports/{DAILYNK}/claims"]


@pytest.mark.parametrize("path", [*ALL_LISTS, f"/v1/facilities/{VLADIVOSTOK}/claims"])
@pytest.mark.parametrize("fmt", ["xml", "jsonl", "tsv", "csv,ndjson", "geo", "CSV"])
def test_unknown_format_is_a_422_problem(api: TestClient, path: str, fmt: str) -> None:
    response = api.get(path, params={"format": fmt})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["loc"] == ["query", "format"]


@pytest.mark.parametrize("path", ALL_LISTS)
def test_format_json_is_the_default_envelope(api: TestClient, path: str) -> None:
    assert api.get(path, params={"format": "json"}).json() == api.get(path).json()


@pytest.mark.parametrize("path", ALL_LISTS)
@pytest.mark.parametrize("paging", [{"limit": 1}, {"limit": 2, "offset": 3}, {"offset": 1}], ids=repr)
def test_exports_ignore_paging(api: TestClient, path: str, paging: dict[str, Any]) -> None:
    everything = json_items(api, path)
    assert len(everything) > 3
    assert read_ndjson(export(api, path, "ndjson", **paging)) == everything
    _header, rows = read_csv(export(api, path, "csv", **paging))
    assert [row[0] for row in rows] == [item["id"] for item in everything]
    if path == "/v1/facilities":
        features = export(api, path, "geojson", **paging).json()["features"]
        assert len(features) == len([item for item in everything if item["location"]])


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
@pytest.mark.parametrize(
    ("path", "params", "loc"),
    [
        ("/v1/facilities", {"country": "RUS"}, ["query", "country", 0]),
        ("/v1/facilities", {"bbox": "1,2,3"}, ["query", "bbox"]),
        ("/v1/facilities", {"as_of": "someday"}, ["query", "as_of"]),
        ("/v1/claims", {"predicate": "shoe_size"}, ["query", "predicate", 0]),
        ("/v1/claims", {"sort": "colour"}, ["query", "sort"]),
        ("/v1/reports", {"published_from": "2024-13-01"}, ["query", "published_from"]),
        ("/v1/reports", {"contry": "RU"}, ["query", "contry"]),
        ("/v1/claims", {"q": "x" * 501}, ["query", "q"]),
    ],
)
def test_exports_refuse_invalid_filters_before_streaming(
    api: TestClient, fmt: str, path: str, params: dict[str, Any], loc: list[str]
) -> None:
    response = api.get(path, params={**params, "format": fmt})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "content-disposition" not in response.headers
    assert loc in [error["loc"] for error in response.json()["errors"]]


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
@pytest.mark.parametrize("path", ["/v1/reports/no-such-report/claims", "/v1/facilities/no-such-place/claims"])
def test_export_of_an_unknown_parent_is_a_404_problem(api: TestClient, fmt: str, path: str) -> None:
    response = api.get(path, params={"format": fmt})
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert "content-disposition" not in response.headers


# --- more rows than one batch ----------------------------------------------------------------------

BIG_CLAIMS = 2500
BIG_REPORT = "generated-site-census"
BIG_TITLE = 'Site census, "generated"\nfor the export tests'
BIG_FACILITIES = ["census-site-a", "census-site-b", "census-site-c"]


def sentence(i: int) -> str:
    # Every tenth sentence breaks its line inside the quote; every quote has a comma and double quotes.
    gap = "\n" if i % 10 == 0 else " "
    return f'Site {i:04d} has{gap}{i % 37 + 1} workers, "a guard said".'


def big_bundle() -> dict[str, Any]:
    claims: list[dict[str, Any]] = []
    for i in range(BIG_CLAIMS):
        quote = sentence(i)[:-1]
        if i % 25 < 18:  # 1800 worker counts spread over three facilities
            claims.append(
                {
                    "facility": BIG_FACILITIES[i % 3],
                    "predicate": "worker_count",
                    "value": i % 37 + 1,
                    "unit": "workers",
                    "approximate": i % 2 == 0,
                    "quote": quote,
                }
            )
        else:  # 700 text claims, which have no number to sort on
            claims.append(
                {"subject": f"site {i:04d}", "predicate": "existence", "value": None, "quote": quote}
            )
    return {
        "report": {
            "id": BIG_REPORT,
            "title": BIG_TITLE,
            "publisher": "Census, Inc.",
            "published_on": "2024-01-15",
            "language": "en",
            "body": " ".join(sentence(i) for i in range(BIG_CLAIMS)),
        },
        "facilities": [
            {"id": facility, "name": f"Census site {facility[-1].upper()}", "country": "RU"}
            for facility in BIG_FACILITIES
        ],
        "claims": claims,
    }


@pytest.fixture(scope="module")
def big(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, LoadResult]]:
    """A client on a database of its own holding one report with 2,500 claims."""
    database = Database(backend, tmp_path_factory.mktemp("big"))
    engine = make_engine(database.settings())
    try:
        migrate(engine)
        with write_session(engine) as session:
            result = load_bundle(session, parse_bundle(big_bundle()))
        with TestClient(create_app(database.settings(), engine)) as client:
            yield client, result
    finally:
        engine.dispose()
        database.drop()


def number_or_none(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def test_exports_stream_every_row_past_one_batch_once_in_id_order(big: tuple[TestClient, LoadResult]) -> None:
    client, result = big
    assert len(result.claim_ids) == BIG_CLAIMS
    lines = read_ndjson(export(client, "/v1/claims", "ndjson", limit=1))
    ids = [line["id"] for line in lines]
    assert len(ids) == BIG_CLAIMS
    assert ids == sorted(set(result.claim_ids))
    header, rows = read_csv(export(client, f"/v1/reports/{BIG_REPORT}/claims", "csv", limit=1))
    assert [row[header.index("id")] for row in rows] == ids
    assert rows == [csv_row_of(line, header) for line in lines]


def test_big_export_equals_walking_the_json_pages(big: tuple[TestClient, LoadResult]) -> None:
    client, _result = big
    walked: list[Item] = []
    response = client.get("/v1/claims", params={"limit": 500, "sort": "-value"})
    while True:
        body = response.json()
        assert body["total"] == BIG_CLAIMS
        walked.extend(body["items"])
        if body["next"] is None:
            break
        response = client.get(body["next"])
    # Batches end at rows 1000 (among the numbers) and 2000 (among the claims without a number).
    lines = read_ndjson(export(client, "/v1/claims", "ndjson", sort="-value"))
    assert lines == walked
    assert_sorted(lines, "-value")


def assert_sorted(lines: list[Item], sort: str) -> None:
    """Each id once; present values in order with ties by id; missing values last, by id."""
    assert len({line["id"] for line in lines}) == len(lines) == BIG_CLAIMS
    field = sort.lstrip("-")

    def key(line: Item) -> Any:
        return number_or_none(line["value"]) if field == "value" else line[field]

    present = [line for line in lines if key(line) is not None]
    missing = [line for line in lines if key(line) is None]
    assert present
    assert missing
    assert lines == present + missing  # missing values last either way
    assert [line["id"] for line in missing] == sorted(line["id"] for line in missing)
    expected = sorted(present, key=lambda line: line["id"])
    expected.sort(key=key, reverse=sort.startswith("-"))  # stable: ties stay in id order
    assert present == expected


def test_big_export_with_filters(big: tuple[TestClient, LoadResult]) -> None:
    client, _result = big
    counts = read_ndjson(export(client, "/v1/claims", "ndjson", predicate="worker_count"))
    assert len(counts) == 1800
    assert [line["id"] for line in counts] == sorted(line["id"] for line in counts)
    found = read_ndjson(export(client, "/v1/claims", "ndjson", q='"Site 0420"'))
    assert [line["quote"] for line in found] == [sentence(420)[:-1]]


def test_big_export_round_trips_quotes_commas_and_newlines(big: tuple[TestClient, LoadResult]) -> None:
    client, _result = big
    header, rows = read_csv(export(client, "/v1/reports", "csv"))
    (row,) = rows
    assert row[header.index("title")] == BIG_TITLE
    assert row[header.index("publisher")] == "Census, Inc."
    header, rows = read_csv(export(client, "/v1/claims", "csv", q='"Site 0010"'))
    (row,) = rows
    assert row[header.index("quote")] == sentence(10)[:-1]
    assert row[header.index("quote")] == 'Site 0010 has\n11 workers, "a guard said"'
