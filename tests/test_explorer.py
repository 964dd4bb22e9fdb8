"""The explorer's pages as a person's browser gets them: HTML, the seeded data, the API's rules, no writes."""

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.auth.keys import create_key
from api.db.engine import write_session
from api.edge.headers import API_POLICY, EXPLORER_POLICY, content_security_policy
from api.explorer import pages
from tests.conftest import SEEDS_DIR, loaded_database
from tests.helpers.bundles import bundle, second_facility
from tests.helpers.pages import Page, html_page, rows

IRKUTSK = "irkutsk-dprk-garment-factory"
SEED_REPORT = "dailynk-garment-orders-russia"
PAGES = ["/", "/facilities", f"/facilities/{IRKUTSK}", "/reports", f"/reports/{SEED_REPORT}"]


@pytest.fixture(scope="module")
def seeded(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client over a database holding the seeds alone, as `make run` serves them at first."""
    with (
        loaded_database(backend, tmp_path_factory.mktemp("seeded"), SEEDS_DIR) as (db, engine),
        TestClient(create_app(db.settings(), engine)) as client,
    ):
        yield client


@pytest.mark.parametrize("path", PAGES)
def test_each_page_is_html_with_the_shared_layout(api: TestClient, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == EXPLORER_POLICY
    assert '<html lang="en">' in response.text
    page = Page(response.text)
    assert page.ids["main"]["tag"] == "main"
    assert "#main" in page.urls  # the skip link
    for href in ("/", "/facilities", "/reports", "/docs"):
        assert href in page.urls


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_nothing_from_another_origin(api: TestClient, path: str) -> None:
    page = html_page(api, path)
    foreign = [url for url in page.urls if urlsplit(url).scheme not in ("", "data") or url.startswith("//")]
    assert foreign == []
    for script in re.findall(r"<script[^>]*>", api.get(path).text):
        assert 'src="/static/' in script  # no inline script: the policy would block it


def test_the_overview_shows_the_totals_and_the_charts(api: TestClient) -> None:
    stats = api.get("/v1/stats").json()
    page = html_page(api, "/")
    for name in ("reports", "facilities", "claims"):
        assert page.text(f"total-{name}") == f"{stats[name]:,}"
    assert page.text("total-workers") == f"{stats['workers_total']:,}"
    html = api.get("/").text
    assert html.count('<svg class="chart"') == 2
    for country in stats["by_country"]:
        assert f">{country['country']}</text>" in html


def test_the_overview_says_unknown_where_no_facility_of_a_group_has_a_figure(api: TestClient) -> None:
    sectors = {row["sector"]: row for row in api.get("/v1/stats").json()["by_sector"]}
    assert sectors["hospitality"]["facilities_with_figure"] == 0
    html = api.get("/").text
    chart = html[html.index('aria-label="Workers by sector"') :]
    chart = chart[: chart.index("</svg>")]
    label = chart.index(">hospitality</text>")
    # The row after the label is the value, with no bar drawn: "unknown", never a 0.
    assert re.match(r'>hospitality</text><text class="value unknown"[^>]*>unknown</text>', chart[label:])
    table = html[html.index('id="sectors-heading"') :]
    assert re.search(r'hospitality(</bdi>)?</a></td><td class="num">unknown</td>', table)


def test_the_map_has_a_marker_for_every_located_facility(seeded: TestClient) -> None:
    api = seeded
    page = html_page(api, "/")
    box = page.ids["map"]
    everything = api.get("/v1/facilities", params={"format": "geojson"}).json()
    located = {feature["id"] for feature in everything["features"]}
    assert int(box["data-located-count"]) == len(located) > 0
    data = api.get(box["data-source"])
    assert data.status_code == 200
    assert data.headers["content-type"] == "application/geo+json"
    features = data.json()["features"]
    assert {feature["id"] for feature in features} == located
    irkutsk = next(feature for feature in features if feature["id"] == IRKUTSK)
    assert irkutsk["properties"]["workers"] == 70
    assert irkutsk["properties"]["approximate"] is True
    assert api.get(box["data-outlines"]).json()["type"] == "Topology"


def test_the_facilities_table_narrows_with_the_api_filters(api: TestClient) -> None:
    everything = rows(html_page(api, "/facilities"), "facilities")
    russian = api.get("/v1/facilities", params={"country": "RU"}).json()
    page = html_page(api, "/facilities?country=ru")
    assert page.ids["filters"]["tag"] == "form"
    assert page.ids["f-country"]["value"] == "ru"
    shown = rows(page, "facilities")
    assert len(shown) == russian["total"] < len(everything)
    assert [row[0] for row in shown] == [item["name"] for item in russian["items"]]
    assert all(row[1] == "RU" for row in shown)
    irkutsk = html_page(api, "/facilities?q=garment+irkutsk&min_workers=50")
    assert [row[0] for row in rows(irkutsk, "facilities")] == [
        api.get(f"/v1/facilities/{IRKUTSK}").json()["name"]
    ]


def test_filters_the_form_has_no_field_for_are_kept_when_it_is_sent_again(api: TestClient) -> None:
    first = api.get("/v1/facilities", params={"limit": 1}).json()
    cursor = first["next"].partition("cursor=")[2]
    response = api.get(
        "/facilities", params={"as_of": "2024-01-01", "country": "RU", "limit": 1, "cursor": cursor}
    )
    assert response.status_code == 200
    form = response.text.split('id="filters"', 1)[1].split("</form>", 1)[0]
    assert '<input type="hidden" name="as_of" value="2024-01-01">' in form
    assert '<input type="hidden" name="limit" value="1">' in form
    assert 'name="cursor"' not in form  # a new filter starts from the first page
    assert 'type="hidden" name="country"' not in form  # the form's own field carries it
    assert "figures as of 2024-01-01" in response.text


def test_every_form_control_has_a_label(api: TestClient) -> None:
    for path in ("/facilities", "/reports"):
        html = api.get(path).text
        page = Page(html)
        controls = re.findall(r'<input id="([^"]+)"', html)
        assert controls
        for control in controls:
            assert f'<label for="{control}">' in html, control
            assert control in page.ids


def test_the_table_sorts_and_pages_with_the_api_cursors(api: TestClient) -> None:
    expected = [item["name"] for item in api.get("/v1/facilities?sort=-workers&limit=500").json()["items"]]
    seen: list[str] = []
    path: str | None = "/facilities?sort=-workers&limit=2"
    while path is not None:
        page = html_page(api, path)
        assert len(rows(page, "facilities")) <= 2
        seen += [row[0] for row in rows(page, "facilities")]
        following = [url for url in page.urls if "cursor=" in url]
        path = following[0] if following else None
        assert path is None or path.startswith("/facilities?")
    assert seen == expected
    headers = html_page(api, "/facilities?sort=-workers")
    assert "/facilities?sort=workers" in headers.urls  # choosing the sorted column again turns it round
    assert 'aria-sort="descending"' in api.get("/facilities?sort=-workers").text


def test_each_row_links_to_its_facility_page(api: TestClient) -> None:
    page = html_page(api, "/facilities")
    for item in api.get("/v1/facilities").json()["items"]:
        assert f"/facilities/{item['id']}" in page.urls


def test_the_irkutsk_page_shows_its_approximate_figure_and_its_quote(seeded: TestClient) -> None:
    api = seeded
    page = html_page(api, f"/facilities/{IRKUTSK}")
    assert page.text("current-figure").startswith("about 70")
    assert page.ids["current-figure"]["data-value"] == "70"
    assert page.ids["current-figure"]["data-approximate"] == "true"
    html = api.get(f"/facilities/{IRKUTSK}").text
    claims = api.get(f"/v1/facilities/{IRKUTSK}/claims").json()["items"]
    assert claims
    for claim in claims:
        assert f"“{claim['quote']}”" in page.text(f"claim-{claim['id']}")
        assert f"/reports/{claim['report_id']}#claim-{claim['id']}" in page.urls
        assert claim["status"] in page.text(f"claim-{claim['id']}")
    history = api.get(f"/v1/facilities/{IRKUTSK}/workers").json()["items"]
    assert len(rows(page, "history")) == len(history)
    assert '<svg class="chart history"' in html


def test_the_reader_highlights_every_claim_span_exactly(seeded: TestClient) -> None:
    api = seeded
    body = api.get(f"/v1/reports/{SEED_REPORT}").json()["body"]
    claims = api.get(f"/v1/reports/{SEED_REPORT}/claims?limit=500").json()["items"]
    page = html_page(api, f"/reports/{SEED_REPORT}")
    assert {mark["data-claim-id"] for mark in page.marks} == {claim["id"] for claim in claims}
    for claim in claims:
        start, end = claim["span"]["start"], claim["span"]["end"]
        assert "".join(page.mark_text[claim["id"]]) == body[start:end] == claim["quote"]
        first = page.ids[f"claim-{claim['id']}"]
        assert first["tag"] == "mark"
        assert first["tabindex"] == "0"
        assert (first["data-start"], first["data-end"]) == (str(start), str(end))
        assert (first["data-predicate"], first["data-status"]) == (claim["predicate"], claim["status"])
        assert page.ids[f"about-{claim['id']}"]["tag"] == "details"
        if claim["facility_id"]:
            assert f"/facilities/{claim['facility_id']}" in page.urls
    text = "".join(page.text_of["report-text"])
    assert text == body  # the marks add no text: the reader shows the stored body as it is


@pytest.fixture
def writer(client: TestClient, engine: Engine) -> Iterator[TestClient]:
    with write_session(engine) as session:
        client.headers["Authorization"] = f"Bearer {create_key(session, 'explorer-tests')}"
    yield client
    del client.headers["Authorization"]


def test_overlapping_spans_nest_or_split_and_each_claim_keeps_its_text(writer: TestClient) -> None:
    data = bundle()
    claims: list[dict[str, Any]] = data["claims"]
    claims += [
        {"facility": "khabarovsk-workshop", "predicate": "existence", "value": "yes", "quote": "40 North"},
        {
            "facility": "khabarovsk-workshop",
            "predicate": "rotation",
            "value": "crosses",
            "quote": "seamstresses.\nSome  of them",
        },
    ]
    assert writer.post("/v1/reports", json=data).status_code == 201
    body = writer.get("/v1/reports/khabarovsk-workshop").json()["body"]
    stored = writer.get("/v1/reports/khabarovsk-workshop/claims").json()["items"]
    page = html_page(writer, "/reports/khabarovsk-workshop")
    for claim in stored:
        span = claim["span"]
        assert "".join(page.mark_text[claim["id"]]) == body[span["start"] : span["end"]] == claim["quote"]
    assert len(page.marks) > len(stored)  # the crossing span was split, its pieces share the claim id
    assert "".join(page.text_of["report-text"]) == body


def test_a_body_with_carriage_returns_keeps_them_in_the_reader(writer: TestClient) -> None:
    data = bundle()
    data["report"]["body"] = data["report"]["body"].replace("\n", "\r\n")
    data["claims"].append(
        {
            "facility": "khabarovsk-workshop",
            "predicate": "rotation",
            "value": "x",
            "quote": "seamstresses. Some",
        }
    )
    assert writer.post("/v1/reports", json=data).status_code == 201
    body = writer.get("/v1/reports/khabarovsk-workshop").json()["body"]
    assert "\r\n" in body
    response = writer.get("/reports/khabarovsk-workshop")
    # HTML parsing turns a bare CR into a line feed (a browser's text would no longer match the span);
    # a character reference keeps it.
    reader = response.text.split('id="report-text"', 1)[1].split("</article>", 1)[0]
    assert "&#13;" in reader
    assert "\r" not in reader
    page = html_page(writer, "/reports/khabarovsk-workshop")
    assert "".join(page.text_of["report-text"]) == body
    for claim in writer.get("/v1/reports/khabarovsk-workshop/claims").json()["items"]:
        span = claim["span"]
        assert "".join(page.mark_text[claim["id"]]) == body[span["start"] : span["end"]] == claim["quote"]


def test_a_merged_facility_page_redirects_like_the_api(writer: TestClient) -> None:
    writer.post("/v1/reports", json=bundle())
    writer.post("/v1/reports", json=second_facility())
    merged = writer.post("/v1/facilities/khabarovsk-sewing-shop/merge", json={"into": "khabarovsk-workshop"})
    assert merged.status_code == 200
    moved = writer.get("/facilities/khabarovsk-sewing-shop", follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == "/facilities/khabarovsk-workshop"
    survivor = writer.get("/v1/facilities/khabarovsk-workshop").json()["workers"]["value"]
    landed = html_page(writer, "/facilities/khabarovsk-sewing-shop")
    assert landed.text("current-figure").startswith(f"{survivor:,}")


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/facilities?country=RUS", 422, "country"),
        ("/facilities?min_workers=lots", 422, "min_workers"),
        ("/facilities?min_workers=-1", 422, "min_workers"),
        ("/facilities?sort=salary", 422, "sort"),
        ("/facilities?cursor=nonsense", 422, "cursor"),
        ("/facilities?contry=RU", 422, "contry"),
        ("/facilities?city=Irkutsk&city=Omsk", 422, "city"),
        ("/reports?published_from=2024-13-01", 422, "published_from"),
        ("/facilities/no-such-facility", 404, "no-such-facility"),
        ("/reports/no-such-report", 404, "no-such-report"),
        (f"/facilities/{'x' * 129}", 422, "facility_id"),
    ],
)
def test_bad_requests_are_readable_html_pages(api: TestClient, path: str, status: int, says: str) -> None:
    response = api.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert says in response.text
    assert "<h1>" in response.text
    assert response.headers["content-security-policy"] == EXPLORER_POLICY


def test_api_errors_stay_problem_documents(api: TestClient) -> None:
    for path in ("/v1/facilities/no-such-facility", "/v1/facilities?country=RUS", "/nowhere"):
        response = api.get(path)
        assert response.status_code in (404, 422)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["content-security-policy"] == API_POLICY


def test_a_table_asked_in_another_format_goes_to_the_api_export(api: TestClient) -> None:
    moved = api.get("/facilities?country=RU&format=csv", follow_redirects=False)
    assert moved.status_code == 307
    assert moved.headers["location"] == "/v1/facilities?country=RU&format=csv"


def test_the_root_policy_covers_only_the_root() -> None:
    assert content_security_policy("/") == EXPLORER_POLICY
    for path in ("/facilities", "/facilities/x", "/reports", "/reports/x", "/static/explorer/map.js"):
        assert content_security_policy(path) == EXPLORER_POLICY
    for path in ("/v1/facilities", "/v1/stats", "/healthz", "/openapi.json", "/facilitiesx", "/map.geojson"):
        assert content_security_policy(path) == API_POLICY


def test_pages_are_not_in_the_openapi_document(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    explorer = {
        "/",
        "/facilities",
        "/facilities/{facility_id}",
        "/reports",
        "/reports/{report_id}",
        "/map.geojson",
    }
    assert paths
    assert explorer.isdisjoint(paths)


def _fingerprint(engine: Engine) -> dict[str, Any]:
    with engine.connect() as db:
        tables = sa.inspect(db).get_table_names()
        metadata = sa.MetaData()
        return {
            table: db.execute(sa.select(sa.func.count()).select_from(sa.Table(table, metadata))).scalar()
            for table in tables
        }


def test_browsing_every_page_writes_nothing(api: TestClient, corpus: Engine) -> None:
    before = _fingerprint(corpus)
    version = api.get("/v1/facilities").headers["etag"].split("-")[0]
    for path in [*PAGES, "/map.geojson", "/facilities?sort=-workers&limit=1", "/facilities/nowhere"]:
        api.get(path)
    assert _fingerprint(corpus) == before
    assert api.get("/v1/facilities").headers["etag"].split("-")[0] == version


def test_a_facility_page_lists_so_many_claims_and_links_to_all(
    writer: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert writer.post("/v1/reports", json=bundle()).status_code == 201
    total = writer.get("/v1/facilities/khabarovsk-workshop/claims").json()["total"]
    assert total > 2
    monkeypatch.setattr(pages, "FACILITY_CLAIMS_SHOWN", 2)
    page = html_page(writer, "/facilities/khabarovsk-workshop")
    shown = [attrs for attrs in page.ids.values() if attrs.get("class", "").startswith("claim-card")]
    assert len(shown) == 2
    assert "/v1/facilities/khabarovsk-workshop/claims" in page.urls
