"""What a client sends that no server should choke on, one class at a time: what it sends, what it gets.

Each class was a 500 (or a silent acceptance) found by the fuzzer of `tests/test_fuzz.py`; each refused
write is checked to leave every table as it was.
"""

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Query
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.auth.keys import create_key
from api.db.engine import write_session
from api.errors import InvalidBundle, install_error_handlers
from api.ingest.loader import read_bundle_file
from api.kit.params import check_query
from tests.helpers.bundles import fuzz_bundle
from tests.helpers.fuzzing import data_digest, example_of
from tests.helpers.problems import assert_problem
from tests.hostile import b64, splice

SURROGATE = '"a\\ud800b"'  # a lone surrogate as a JSON escape: valid JSON, not valid Unicode
NUL = '"a\\u0000b"'
TEXT_PLACES = [
    ("report", "title"),
    ("report", "publisher"),
    ("report", "url"),
    ("report", "source"),
    ("report", "body"),
    ("report", "contributors", 0, "name"),
    ("facilities", 0, "name"),
    ("facilities", 0, "aliases", 0),
    ("facilities", 0, "operator"),
    ("facilities", 0, "city"),
    ("facilities", 0, "region"),
    ("claims", 0, "subject"),
    ("claims", 0, "quote"),
    ("claims", 0, "attributed_to"),
    ("claims", 0, "notes"),
    ("claims", 1, "value"),
]
# A word of what each search reads in the fuzzer's bundle.
SEARCHED_WORDS = [
    ("/v1/reports", "fuzz"),
    ("/v1/facilities", "fuzz"),
    ("/v1/claims", "workers"),
    ("/v1/stats", "fuzz"),
]


@pytest.fixture
def writer(client: TestClient, engine: Engine) -> TestClient:
    """The client on an empty database, with a valid key and the fuzzer's bundle stored."""
    with write_session(engine) as session:
        key = create_key(session, "input")
    client.headers["Authorization"] = f"Bearer {key}"
    assert client.post("/v1/reports", json=fuzz_bundle("stored-report")).status_code == 201
    return client


def post_raw(client: TestClient, text: str, query: str = "") -> Any:
    return client.post(f"/v1/reports{query}", content=text, headers={"Content-Type": "application/json"})


def names(body: dict[str, Any], place: tuple[str | int, ...]) -> bool:
    """Whether one of a 422's errors is at `place` (or inside it: a union names its member tried)."""
    return any(error["loc"][: len(place)] == list(place) for error in body["errors"])


@pytest.mark.parametrize("value", [SURROGATE, NUL], ids=["lone surrogate", "NUL"])
@pytest.mark.parametrize("place", TEXT_PLACES, ids=[".".join(map(str, p)) for p in TEXT_PLACES])
def test_text_no_database_stores_is_a_422_naming_the_field(
    writer: TestClient, engine: Engine, place: tuple[str | int, ...], value: str
) -> None:
    before = data_digest(engine)
    response = post_raw(writer, splice(fuzz_bundle("new-report"), place, value))
    body = assert_problem(response, 422)
    assert names(body, place), body["errors"]
    assert data_digest(engine) == before


@pytest.mark.parametrize("value", [SURROGATE, NUL], ids=["lone surrogate", "NUL"])
def test_a_patch_with_such_notes_is_a_422_and_the_claim_stays(
    writer: TestClient, engine: Engine, value: str
) -> None:
    claim = writer.get("/v1/claims", params={"limit": 1}).json()["items"][0]
    before = data_digest(engine)
    response = writer.patch(
        f"/v1/claims/{claim['id']}",
        content=f'{{"notes": {value}}}',
        headers={"Content-Type": "application/json"},
    )
    body = assert_problem(response, 422)
    assert ["body", "notes"] in [error["loc"] for error in body["errors"]]
    assert data_digest(engine) == before
    assert writer.get(f"/v1/claims/{claim['id']}").json() == claim


@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/reports"), ("PATCH", "/v1/claims/{claim}")])
def test_an_unknown_field_named_with_a_lone_surrogate_is_a_422(
    writer: TestClient, engine: Engine, method: str, path: str
) -> None:
    claim = writer.get("/v1/claims", params={"limit": 1}).json()["items"][0]["id"]
    document = fuzz_bundle("new-report") if method == "POST" else {"notes": "n"}
    text = json.dumps(document)[:-1] + ', "x\\udfff": 1}'
    before = data_digest(engine)
    response = writer.request(
        method, path.format(claim=claim), content=text, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422)
    assert data_digest(engine) == before


CURSORS = {
    "nested 1,450 deep": b64(b"[" * 1_450),
    "a value nested 1,450 deep": b64(b'["id", ' + b"[" * 1_450),
    "a position past 64 bits": b64(json.dumps(["id", "a", "a", 10**20]).encode()),
    "a position past 32 bits": b64(json.dumps(["id", "a", "a", 2**31]).encode()),
    "a lone surrogate": b64(b'["id", "\\ud800", "\\ud800", 0]'),
}


@pytest.mark.parametrize("cursor", list(CURSORS.values()), ids=list(CURSORS))
@pytest.mark.parametrize("path", ["/v1/reports", "/v1/facilities", "/v1/claims"])
def test_a_crafted_cursor_is_a_422_about_the_cursor(writer: TestClient, path: str, cursor: str) -> None:
    body = assert_problem(writer.get(path, params={"cursor": cursor}), 422)
    assert body["errors"] == [{"loc": ["query", "cursor"], "msg": "not a cursor this server made"}]


@pytest.mark.parametrize(("path", "word"), SEARCHED_WORDS)
def test_a_search_of_hundreds_of_words_answers_as_the_words_once(
    writer: TestClient, path: str, word: str
) -> None:
    """250 one-letter words nested too deep for the query compiler on PostgreSQL (a 500)."""
    assert writer.get(path, params={"q": "a " * 249}).status_code == 200
    many = writer.get(path, params={"q": " ".join([word] * (499 // (len(word) + 1)))})
    once = writer.get(path, params={"q": word})
    assert many.status_code == once.status_code == 200
    if path == "/v1/stats":
        assert many.json() == once.json()
    else:
        assert many.json()["items"] == once.json()["items"]
        assert many.json()["total"] == once.json()["total"] > 0


def test_a_repeated_dry_run_is_a_422_and_writes_nothing(writer: TestClient, engine: Engine) -> None:
    before = data_digest(engine)
    response = writer.post("/v1/reports?dry_run=true&dry_run=false", json=fuzz_bundle("new-report"))
    body = assert_problem(response, 422)
    assert body["errors"] == [{"loc": ["query", "dry_run"], "msg": "given more than once; give it once"}]
    assert "'dry_run'" in body["detail"]
    assert data_digest(engine) == before


def test_every_scalar_query_parameter_given_twice_is_a_422_naming_it(writer: TestClient) -> None:
    """Walks the OpenAPI document: a parameter that is not an array takes one value, on every route."""
    spec = writer.get("/openapi.json").json()
    claim_id = writer.get("/v1/claims", params={"limit": 1}).json()["items"][0]["id"]
    ids = {
        "report_id": "stored-report",
        "facility_id": "fuzz-plant",
        "claim_id": claim_id,
        "webhook_id": "wh-none",
    }
    checked = 0
    for path, item in spec["paths"].items():
        real = path.format(**{name: ids[name] for name in ids if f"{{{name}}}" in path})
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                schema = parameter["schema"]
                if schema.get("type") == "array" or any(
                    option.get("type") == "array" for option in schema.get("anyOf", [])
                ):
                    continue  # a list filter takes several values (tests/test_repeated_filters.py)
                name, value = parameter["name"], example_of(parameter)
                response = writer.request(method.upper(), f"{real}?{name}={value}&{name}={value}")
                body = assert_problem(response, 422)
                assert body["errors"] == [
                    {"loc": ["query", name], "msg": "given more than once; give it once"}
                ]
                checked += 1
    assert checked >= 40


WRONG_TYPES = [
    (("report", "published_on"), "0"),
    (("report", "published_on"), "20240102"),
    (("report", "published_on"), "true"),
    (("facilities", 0, "location", "lat"), "true"),
    (("facilities", 0, "location", "lat"), '"52.3"'),
    (("facilities", 0, "location", "lon"), "false"),
    (("claims", 0, "occurrence"), "true"),
    (("claims", 0, "occurrence"), '"1"'),
    (("claims", 0, "occurrence"), "1.0"),
    (("claims", 0, "period", "start"), "0"),
    (("claims", 0, "period", "end"), "false"),
    (("claims", 0, "approximate"), '"yes"'),
    (("claims", 0, "value"), "true"),
    (("report", "title"), "12"),
    (("report", "contributors", 0, "name"), '{"a": 1}'),
    # A timestamp, or a date written otherwise than YYYY-MM-DD, is not a date (it was cut to its day).
    (("report", "published_on"), '"2024-01-02T00:00:00"'),
    (("report", "published_on"), '"2024-01-02T00:00:00Z"'),
    (("report", "published_on"), '"2024-01-02 00:00"'),
    (("report", "published_on"), '"2024-01-02\\n"'),
    (("report", "published_on"), '" 2024-01-02"'),
    (("report", "published_on"), '"\uff12\uff10\uff12\uff14-01-02"'),
    (("claims", 0, "period", "start"), '"2023-01-01T12:00:00+09:00"'),
    (("claims", 0, "period", "end"), '"1704153600"'),
]


@pytest.mark.parametrize(
    ("place", "value"), WRONG_TYPES, ids=[f"{'.'.join(map(str, p))}={v}" for p, v in WRONG_TYPES]
)
def test_a_value_of_the_wrong_json_type_is_a_422_not_converted(
    writer: TestClient, engine: Engine, place: tuple[str | int, ...], value: str
) -> None:
    before = data_digest(engine)
    body = assert_problem(post_raw(writer, splice(fuzz_bundle("new-report"), place, value)), 422)
    assert names(body, place), body["errors"]
    assert data_digest(engine) == before


def test_yaml_bundles_keep_their_dates_and_whole_numbers(tmp_path: Path) -> None:
    """YAML reads `2024-01-02` as a date and `52` as an integer: both stay valid where JSON needs text."""
    path = tmp_path / "bundle.yaml"
    path.write_text(
        "report: {id: yaml-report, title: T, publisher: P, published_on: 2024-01-02,\n"
        "         body: About 120 workers}\n"
        "facilities: [{id: f, name: F, location: {lat: 52, lon: -73.5, precision: city}}]\n"
        "claims: [{facility: f, predicate: worker_count, value: 120, unit: workers, quote: 120 workers,\n"
        "          occurrence: 1, period: {start: 2023-01-01, end: 2023-12-31}}]\n",
        encoding="utf-8",
    )
    bundle = read_bundle_file(path)
    assert str(bundle.report.published_on) == "2024-01-02"
    assert str(bundle.claims[0].period.start if bundle.claims[0].period else None) == "2023-01-01"
    assert bundle.facilities[0].location is not None
    assert bundle.facilities[0].location.lat == 52
    assert bundle.claims[0].occurrence == 1


def test_a_yaml_timestamp_is_not_a_date(tmp_path: Path) -> None:
    """YAML reads `2024-01-02T00:00:00` as a timestamp: refused, not cut to its day."""
    path = tmp_path / "bundle.yaml"
    path.write_text(
        "report: {id: yaml-report, title: T, publisher: P, published_on: 2024-01-02T00:00:00,\n"
        "         body: About 120 workers}\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidBundle) as refused:
        read_bundle_file(path)
    assert [error["loc"] for error in refused.value.errors] == [["report", "published_on"]]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://example.org/report",
        "//example.org/report",
        "example.org/report",
        "https://",
        "http://[::1",
    ],
)
def test_a_report_url_that_is_not_http_is_a_422(writer: TestClient, engine: Engine, url: str) -> None:
    before = data_digest(engine)
    response = post_raw(writer, splice(fuzz_bundle("new-report"), ("report", "url"), json.dumps(url)))
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["report", "url"]
    assert "http or https" in body["errors"][0]["msg"]
    assert data_digest(engine) == before


@pytest.mark.parametrize(
    "url", ["https://example.org/a?b=c#d", "HTTP://EXAMPLE.ORG", "http://127.0.0.1:8000/x"]
)
def test_http_and_https_report_urls_are_stored(writer: TestClient, url: str) -> None:
    bundle = fuzz_bundle("new-report")
    bundle["report"]["url"] = url
    response = writer.post("/v1/reports", json=bundle)
    assert response.status_code == 201, response.text
    assert writer.get("/v1/reports/new-report").json()["url"] == url


FORMULAS = ["=1+2", "+SUM(A1)", "-2+3", "@SUM(A1)", "\rx", '=HYPERLINK("http://example.invalid")']


def test_csv_text_cells_never_start_a_formula_and_numbers_stay_numbers(writer: TestClient) -> None:
    for index, formula in enumerate(FORMULAS):
        bundle = fuzz_bundle(f"formula-{index}")
        bundle["report"]["title"] = f"={index}"
        bundle["report"]["source"] = formula
        bundle["facilities"][0]["id"] = bundle["claims"][0]["facility"] = "formula-plant"
        bundle["claims"][1]["facility"] = "formula-plant"
        bundle["facilities"][0]["location"]["lon"] = -73.5
        bundle["claims"][0]["notes"] = formula
        bundle["claims"][1]["value"] = formula
        response = writer.post("/v1/reports", json=bundle)
        assert response.status_code == 201, response.text
    reports = read_csv(writer.get("/v1/reports", params={"format": "csv", "publisher": "Fuzz Monitor"}))
    sources = {row["source"] for row in reports if row["id"].startswith("formula-")}
    assert sources == {f"'{formula}" for formula in FORMULAS}
    titles = {row["title"] for row in reports if row["id"].startswith("formula-")}
    assert titles == {f"'={index}" for index in range(len(FORMULAS))}
    claims = read_csv(writer.get("/v1/claims", params={"format": "csv"}))
    ours = [row for row in claims if row["report_id"].startswith("formula-")]
    noted = {row["notes"] for row in ours if row["predicate"] == "worker_count"}
    assert noted == {f"'{formula}" for formula in FORMULAS}
    values = {row["value"] for row in ours if row["predicate"] == "wages"}
    assert values == {f"'{formula}" for formula in FORMULAS}
    facilities = read_csv(writer.get("/v1/facilities", params={"format": "csv"}))
    assert {row["id"]: row["location.lon"] for row in facilities} == {
        "formula-plant": "-73.5",
        "fuzz-plant": "104.28",
    }
    # The JSON answers carry the text as written.
    assert {
        item["source"] for item in writer.get("/v1/reports", params={"limit": 500}).json()["items"]
    } >= set(FORMULAS)


def read_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text, newline="")))


def test_a_list_parameter_may_be_repeated_and_openapi_shows_it_as_an_array() -> None:
    """The rule for the filters of tomorrow: a parameter typed as a list takes several values."""
    app = FastAPI(dependencies=[Depends(check_query)])
    install_error_handlers(app)

    @app.get("/things")
    async def things(
        tag: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies the default
        kind: str | None = None,
    ) -> dict[str, Any]:
        return {"tag": tag, "kind": kind}

    with TestClient(app) as client:
        assert client.get("/things?tag=a&tag=b&kind=x").json() == {"tag": ["a", "b"], "kind": "x"}
        body = assert_problem(client.get("/things?tag=a&kind=x&kind=y"), 422)
        assert body["errors"] == [{"loc": ["query", "kind"], "msg": "given more than once; give it once"}]
        (tag,) = [
            p
            for p in client.get("/openapi.json").json()["paths"]["/things"]["get"]["parameters"]
            if p["name"] == "tag"
        ]
        assert tag["schema"]["type"] == "array"
