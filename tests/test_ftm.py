"""The FollowTheMoney export (`GET /v1/export/ftm`, `laborwatch export --ftm`), read with `followthemoney`."""

import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from followthemoney import model
from sqlalchemy import Engine

from api.app import create_app
from api.db.engine import make_engine, write_session
from api.export.ftm import DEFAULT_MAX_LENGTH, MAX_LENGTH
from api.facilities.merges import merge_facility
from api.ingest.loader import load_bundle, parse_bundle
from api.settings import Settings
from bench.corpus import build_corpus
from bench.ftm import FtmCheck, check_entities
from tests.conftest import SEEDS_DIR, Database, loaded_database
from tests.helpers.bundles import BODY, bundle, second_facility
from tests.helpers.cli import Run
from tests.helpers.exports import filename_of, read_ndjson
from tests.helpers.limits import FACILITIES, stalled_export
from tests.helpers.problems import PROBLEM
from tests.served import serving

Entity = dict[str, Any]
PATH = "/v1/export/ftm"
# `LABORWATCH_FTM_CORPUS_CLAIMS=1000000` checks the export of the bench's full corpus in the test too.
GENERATED_CLAIMS = int(os.environ.get("LABORWATCH_FTM_CORPUS_CLAIMS", "3000"))


def export(client: TestClient, **params: Any) -> httpx.Response:
    response: httpx.Response = client.get(PATH, params=params)
    assert response.status_code == 200, response.text
    return response


def entities(client: TestClient, **params: Any) -> list[Entity]:
    return read_ndjson(export(client, **params))


def valid(response: httpx.Response) -> FtmCheck:
    check = check_entities(response.iter_lines())
    assert check.errors == []
    return check


def all_items(client: TestClient, path: str, **params: Any) -> list[Entity]:
    """Every item of a list, following `next`."""
    items: list[Entity] = []
    response = client.get(path, params={**params, "limit": 500})
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        if body["next"] is None:
            return items
        response = client.get(body["next"])


def of_schema(found: list[Entity], *schemata: str) -> dict[str, Entity]:
    return {entity["id"]: entity for entity in found if entity["schema"] in schemata}


def facility_key(facility_id: str) -> str:
    return f"lw-facility-{facility_id}"


# --- the seeded corpus -----------------------------------------------------------------------------


def test_export_of_the_corpus_validates_and_holds_everything(api: TestClient) -> None:
    response = export(api)
    assert response.headers["content-type"] == "application/x-ndjson"
    assert filename_of(response) == "laborwatch.ftm.json"
    check = valid(response)
    found = read_ndjson(response)
    facilities = all_items(api, "/v1/facilities")
    reports = all_items(api, "/v1/reports")
    claims = all_items(api, "/v1/claims")
    assert set(of_schema(found, "Organization", "Company")) >= {facility_key(f["id"]) for f in facilities}
    assert set(of_schema(found, "Article")) == {f"lw-report-{r['id']}" for r in reports}
    assert set(of_schema(found, "Documentation", "Note")) == {f"lw-claim-{c['id']}" for c in claims}
    assert check.by_schema["Documentation"] == sum(c["facility_id"] is not None for c in claims)
    operators = {(f["operator"], f["operator_country"]) for f in facilities if f["operator"]}
    assert check.by_schema["UnknownLink"] == sum(bool(f["operator"]) for f in facilities)
    assert check.by_schema["Organization"] + check.by_schema["Company"] == len(facilities) + len(operators)


def test_facilities_keep_their_name_aliases_place_and_operator(api: TestClient) -> None:
    found = {entity["id"]: entity for entity in entities(api)}
    for facility in all_items(api, "/v1/facilities"):
        entity = found[facility_key(facility["id"])]
        assert entity["schema"] == ("Company" if facility["kind"] == "company" else "Organization")
        props = entity["properties"]
        assert props["name"] == [facility["name"]]
        assert props.get("alias", []) == facility["aliases"]
        assert props.get("country") == ([facility["country"].lower()] if facility["country"] else None)
        location = facility["location"]
        if location is not None:
            (address_id,) = props["addressEntity"]
            address = found[address_id]["properties"]
            assert (address["latitude"], address["longitude"]) == (
                [str(location["lat"])],
                [str(location["lon"])],
            )
        links = [
            e
            for e in found.values()
            if e["schema"] == "UnknownLink" and e["properties"]["object"] == [entity["id"]]
        ]
        if facility["operator"]:
            (link,) = links
            operator = found[link["properties"]["subject"][0]]
            assert operator["properties"]["name"] == [facility["operator"]]
            country = facility["operator_country"]
            assert operator["properties"].get("country") == ([country.lower()] if country else None)
            assert link["properties"]["role"] == ["operator"]
        else:
            assert links == []


def test_reports_keep_title_publisher_date_and_body(api: TestClient) -> None:
    found = of_schema(entities(api), "Article")
    for report in all_items(api, "/v1/reports"):
        props = found[f"lw-report-{report['id']}"]["properties"]
        assert props["title"] == [report["title"]]
        assert props["publisher"] == [report["publisher"]]
        assert props.get("publishedAt") == ([report["published_on"]] if report["published_on"] else None)
        # The body as stored, less outer white space (which FtM's cleaning strips from every value).
        assert props["bodyText"] == [api.get(f"/v1/reports/{report['id']}").json()["body"].strip()]
        authors = [c["name"] for c in report["contributors"] if c["role"] == "author"]
        assert props.get("author", []) == authors


def test_every_worker_figure_keeps_its_quote_report_status_and_dates(api: TestClient) -> None:
    found = of_schema(entities(api), "Documentation", "Note")
    figures = all_items(api, "/v1/claims", predicate="worker_count")
    assert figures
    for claim in figures:
        entity = found[f"lw-claim-{claim['id']}"]
        props = entity["properties"]
        assert props["description"] == [claim["quote"]]
        value = f"{claim['value']} {claim['unit']}"
        assert props["summary"][0] == f"worker_count: {'about ' if claim['approximate'] else ''}{value}"
        if claim["facility_id"] is None:
            assert entity["schema"] == "Note"
            assert props["proof"] == [f"lw-report-{claim['report_id']}"]
            continue
        assert entity["schema"] == "Documentation"
        assert props["document"] == [f"lw-report-{claim['report_id']}"]
        assert props["entity"] == [facility_key(claim["facility_id"])]
        assert props["status"] == [claim["status"]]
        assert props["role"] == ["worker_count"]
        assert props["recordId"] == [claim["id"]]
        period = claim["period"] or {}
        assert props.get("startDate") == ([period["start"]] if period.get("start") else None)
        assert props.get("endDate") == ([period["end"]] if period.get("end") else None)


def test_two_exports_are_the_same_lines(api: TestClient) -> None:
    assert export(api).content == export(api).content


def test_ids_are_the_same_in_another_database_loaded_with_the_same_bundles(
    backend: str, tmp_path: Path
) -> None:
    lines = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        with (
            loaded_database(backend, folder, SEEDS_DIR) as (database, engine),
            TestClient(create_app(database.settings(), engine)) as client,
        ):
            lines.append(export(client).content)
    assert lines[0] == lines[1]
    assert b'"id":"lw-facility-irkutsk-dprk-garment-factory"' in lines[0]


# --- filters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [{"country": "RU"}, {"country": "cn", "sector": "garment"}, {"q": "Vladivostok"}, {"min_workers": 100}],
    ids=repr,
)
def test_filters_select_facilities_their_claims_and_their_reports(
    api: TestClient, params: dict[str, Any]
) -> None:
    response = export(api, **params)
    valid(response)  # every reference resolves within the narrowed export too
    found = read_ndjson(response)
    facilities = {facility_key(f["id"]) for f in all_items(api, "/v1/facilities", **params)}
    assert facilities
    named = set(of_schema(found, "Organization", "Company")) - {
        e["properties"]["subject"][0] for e in found if e["schema"] == "UnknownLink"
    }
    assert named == facilities
    claims = of_schema(found, "Documentation", "Note")
    expected_claims = {
        f"lw-claim-{c['id']}"
        for c in all_items(api, "/v1/claims")
        if facility_key(c["facility_id"] or "") in facilities
    }
    assert set(claims) == expected_claims
    assert {e["properties"]["document"][0] for e in claims.values()} == set(of_schema(found, "Article"))


def test_as_of_alone_does_not_narrow_the_export(api: TestClient) -> None:
    assert export(api, as_of="2023-12-31").content == export(api).content


def test_filters_matching_nothing_export_nothing(api: TestClient) -> None:
    response = export(api, city="Atlantis")
    assert response.content == b""
    assert response.headers["content-type"] == "application/x-ndjson"


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"country": "RUS"}, ["query", "country", 0]),
        ({"bbox": "1,2,3"}, ["query", "bbox"]),
        ({"as_of": "someday"}, ["query", "as_of"]),
        ({"min_workers": 10, "max_workers": 5}, ["query", "min_workers"]),
        ({"contry": "RU"}, ["query", "contry"]),
        ({"limit": 5}, ["query", "limit"]),
    ],
    ids=repr,
)
def test_a_bad_filter_is_a_422_problem_before_streaming(
    api: TestClient, params: dict[str, Any], loc: list[str]
) -> None:
    response = api.get(PATH, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "content-disposition" not in response.headers
    assert loc in [error["loc"] for error in response.json()["errors"]]


def test_the_export_takes_an_export_slot_and_gives_it_back(database: Database, engine: Engine) -> None:
    settings = database.settings(max_exports_per_client=1)
    with TestClient(create_app(settings, engine)) as client:
        slots = client.app.state.exports  # type: ignore[attr-defined]
        release = slots.take("testclient")  # another export of this client, still running
        response = client.get(PATH)
        assert response.status_code == 429
        assert response.headers["content-type"] == PROBLEM
        assert "retry-after" in response.headers
        release()
        export(client)
        assert slots.running() == 0


def test_a_client_that_stops_reading_is_cut_short_and_frees_its_slot(
    database: Database,
    big: Engine,
) -> None:
    settings = database.settings(max_exports=1, export_send_timeout_s=0.5)
    with serving(create_app(settings, big)) as port, stalled_export(port, PATH) as stalled:
        deadline = time.monotonic() + 8
        while (response := httpx.get(f"http://127.0.0.1:{port}{PATH}", timeout=30)).status_code == 503:
            assert time.monotonic() < deadline, "the stalled client kept the export slot"
            time.sleep(0.2)
        assert response.status_code == 200
        assert response.content.endswith(b"\n")
        assert response.content.count(b'"schema":"Organization"') == FACILITIES
        stalled.settimeout(10)
        received = b""
        while chunk := stalled.recv(1 << 16):
            received += chunk
        assert received.startswith(b"HTTP/1.1 200")
        assert not received.endswith(b"0\r\n\r\n")  # no final chunk: visibly incomplete


# --- merges ----------------------------------------------------------------------------------------


def test_a_merged_facility_is_an_alias_and_a_referent_of_the_survivor(
    database: Database, engine: Engine
) -> None:
    with write_session(engine) as session:
        load_bundle(session, parse_bundle(bundle()))
        load_bundle(session, parse_bundle(second_facility()))
    with write_session(engine) as session:
        merge_facility(session, "khabarovsk-sewing-shop", "khabarovsk-workshop", "test")
    with TestClient(create_app(database.settings(), engine)) as client:
        response = export(client)
        check = valid(response)
        survivor = client.get("/v1/facilities/khabarovsk-workshop").json()
    found = of_schema(read_ndjson(response), "Organization", "Company")
    assert facility_key("khabarovsk-sewing-shop") not in found
    entity = found[facility_key("khabarovsk-workshop")]
    assert entity["referents"] == [facility_key("khabarovsk-sewing-shop")]
    assert check.referents == {facility_key("khabarovsk-workshop"): [facility_key("khabarovsk-sewing-shop")]}
    assert entity["properties"]["alias"] == survivor["aliases"]
    documented = {
        e["properties"]["entity"][0] for e in read_ndjson(response) if e["schema"] == "Documentation"
    }
    assert documented == {facility_key("khabarovsk-workshop")}


# --- the command line ------------------------------------------------------------------------------


def test_the_command_writes_the_lines_the_endpoint_sends(
    run: Run,
    client: TestClient,
    engine: Engine,
    tmp_path: Path,
) -> None:
    with write_session(engine) as session:
        load_bundle(session, parse_bundle(bundle()))
        load_bundle(session, parse_bundle(second_facility()))
    result = run("export", "--ftm")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == export(client).content
    assert "exported" in result.stderr
    out = tmp_path / "entities.ftm.json"
    result = run("export", "--ftm", "--output", str(out), "--country", "ru", "--q", "sewing")
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == export(client, country="ru", q="sewing").content
    assert out.read_bytes()
    assert not (tmp_path / "entities.ftm.json.partial").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--country", "RUS"],
        ["--bbox", "1,2,3"],
        ["--as-of", "someday"],
        ["--min-workers", "9", "--max-workers", "1"],
    ],
    ids=repr,
)
def test_the_command_refuses_bad_filters_and_writes_nothing(
    run: Run,
    tmp_path: Path,
    args: list[str],
) -> None:
    out = tmp_path / "entities.ftm.json"
    result = run("export", "--ftm", "--output", str(out), *args)
    assert result.exit_code != 0
    assert not out.exists()


def test_the_command_asks_for_a_format(run: Run) -> None:
    result = run("export")
    assert result.exit_code == 1
    assert "--ftm" in result.stderr


# --- a generated corpus ----------------------------------------------------------------------------


def test_export_of_a_generated_corpus_validates(backend: str, tmp_path: Path) -> None:
    database = Database(backend, tmp_path)
    settings = Settings(database_url=database.url)
    engine = make_engine(settings)
    try:
        summary = build_corpus(engine, GENERATED_CLAIMS, claims_per_report=1000, claims_per_facility=20)
        with TestClient(create_app(settings, engine)) as client:
            check = valid(export(client))
            facilities = client.get("/v1/facilities", params={"limit": 1}).json()["total"]
            reports = client.get("/v1/reports", params={"limit": 1}).json()["total"]
    finally:
        engine.dispose()
        database.drop()
    assert check.by_schema["Documentation"] + check.by_schema["Note"] == summary.claims
    assert check.by_schema["Article"] == reports == summary.reports
    assert facilities == summary.facilities
    assert check.by_schema["Article"] == summary.reports


# --- FtM's limits ----------------------------------------------------------------------------------


def test_the_length_limits_are_ftm_s(api: TestClient) -> None:
    """Every free-text property is cut at FtM's limit (codes, dates, numbers and ids are short anyway)."""
    written = {(e["schema"], name) for e in entities(api) for name in e["properties"]}
    free_text = {"string", "text", "name", "address", "url"}
    for schema, name in written:
        prop = model.get(schema).get(name)  # type: ignore[union-attr]
        assert prop is not None
        if prop.type.name in free_text:
            assert MAX_LENGTH.get(name, DEFAULT_MAX_LENGTH) == prop.max_length, (schema, name)


def test_values_longer_than_ftm_takes_are_cut_to_fit(client: TestClient, engine: Engine) -> None:
    long_name = "Sewing workshop " + "with a very long name " * 20
    data = bundle()
    data["report"]["body"] = BODY + " filler" * 12_000
    data["facilities"][0]["name"] = long_name
    with write_session(engine) as session:
        load_bundle(session, parse_bundle(data))
    response = export(client)
    valid(response)
    found = {e["id"]: e for e in read_ndjson(response)}
    name = found[facility_key("khabarovsk-workshop")]["properties"]["name"][0]
    assert len(name) == MAX_LENGTH["name"]
    assert long_name.startswith(name[:-1])
    assert name.endswith("\u2026")
    report = found["lw-report-khabarovsk-workshop"]["properties"]
    assert len(report["bodyText"][0]) <= MAX_LENGTH["bodyText"]
    assert data["report"]["body"].startswith(report["bodyText"][0][:-1])
    assert any("/v1/reports/khabarovsk-workshop" in note for note in report["notes"])
