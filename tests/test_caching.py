"""HTTP caching (ETag, If-None-Match, Cache-Control) and CORS, as a browser or a polling script sees them."""

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.db.engine import write_session
from api.ingest.loader import LoadResult, load_bundle, parse_bundle

VLADIVOSTOK = "vladivostok-construction-site"
DAILYNK = "dailynk-garment-orders-russia"
ORIGIN = "https://dashboard.example"
PROBLEM = "application/problem+json"
ETAG = re.compile(r'^(W/)?"[\x21\x23-\x7e]+"$')  # RFC 9110 entity-tag


def first_claim_id(api: TestClient) -> str:
    claim_id: str = api.get("/v1/claims", params={"limit": 1}).json()["items"][0]["id"]
    return claim_id


GETS: list[tuple[str, dict[str, Any]]] = [
    ("/health", {}),
    ("/v1/reports", {}),
    ("/v1/reports", {"publisher": "Test Monitor", "sort": "-published_on"}),
    (f"/v1/reports/{DAILYNK}", {}),
    (f"/v1/reports/{DAILYNK}/claims", {}),
    ("/v1/facilities", {}),
    ("/v1/facilities", {"country": "RU"}),
    ("/v1/facilities", {"country": "RU", "limit": 1}),
    ("/v1/facilities", {"q": "Liaoning", "as_of": "2023-12-31"}),
    (f"/v1/facilities/{VLADIVOSTOK}", {}),
    (f"/v1/facilities/{VLADIVOSTOK}/claims", {}),
    (f"/v1/facilities/{VLADIVOSTOK}/workers", {}),
    ("/v1/claims", {}),
    ("/v1/claims", {"predicate": "worker_count"}),
    ("/v1/claims/{claim}", {}),
    ("/v1/stats", {}),
    ("/v1/stats", {"country": "RU"}),
    ("/v1/facilities", {"format": "csv"}),
    ("/v1/facilities", {"format": "ndjson"}),
    ("/v1/facilities", {"format": "geojson"}),
    ("/v1/claims", {"format": "csv"}),
    ("/openapi.json", {}),
]
GET_IDS = [f"{path}?{'&'.join(f'{k}={v}' for k, v in params.items())}" for path, params in GETS]


def get(api: TestClient, path: str, params: dict[str, Any], **headers: str) -> httpx.Response:
    url = path.replace("{claim}", first_claim_id(api)) if "{claim}" in path else path
    response: httpx.Response = api.get(url, params=params, headers=headers)
    return response


@pytest.mark.parametrize(("path", "params"), GETS, ids=GET_IDS)
def test_every_successful_get_carries_an_etag_and_no_cache(
    api: TestClient, path: str, params: dict[str, Any]
) -> None:
    response = get(api, path, params)
    assert response.status_code == 200, response.text
    assert ETAG.match(response.headers["etag"]), response.headers["etag"]
    assert response.headers["cache-control"] == "no-cache"
    assert get(api, path, params).headers["etag"] == response.headers["etag"], "the same GET, the same tag"


@pytest.mark.parametrize(("path", "params"), GETS, ids=GET_IDS)
def test_if_none_match_with_the_etag_answers_304(api: TestClient, path: str, params: dict[str, Any]) -> None:
    etag = get(api, path, params).headers["etag"]
    opaque = etag.removeprefix("W/")
    for if_none_match in [etag, f"W/{opaque}", f'"something-else", {etag}', f'"a",W/{opaque} , "b"', "*"]:
        response = get(api, path, params, **{"If-None-Match": if_none_match})
        assert response.status_code == 304, if_none_match
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(("path", "params"), GETS[:6], ids=GET_IDS[:6])
def test_a_tag_that_does_not_match_answers_200(api: TestClient, path: str, params: dict[str, Any]) -> None:
    etag = get(api, path, params).headers["etag"]
    for if_none_match in ['"nope"', 'W/"nope"', '"v0-00000000"', etag[:-2] + '"', "", ","]:
        response = get(api, path, params, **{"If-None-Match": if_none_match})
        assert response.status_code == 200, if_none_match
        assert response.content
        assert response.headers["etag"] == etag


def test_different_urls_have_different_etags(api: TestClient) -> None:
    tags = [get(api, path, params).headers["etag"] for path, params in GETS]
    assert len(set(tags)) == len(tags)
    # A tag from one URL does not revalidate another.
    facilities = api.get("/v1/facilities").headers["etag"]
    assert api.get("/v1/claims", headers={"If-None-Match": facilities}).status_code == 200
    assert (
        api.get("/v1/facilities", params={"sort": "-id"}, headers={"If-None-Match": facilities}).status_code
        == 200
    )


ERRORS: list[tuple[str, dict[str, Any], int]] = [
    ("/v1/facilities/no-such-place", {}, 404),
    ("/v1/facilities/no-such-place/workers", {}, 404),
    ("/v1/reports/no-such-report/claims", {}, 404),
    ("/v1/claims/clm-nothing", {}, 404),
    ("/no/such/path", {}, 404),
    ("/v1/facilities/", {}, 404),
    ("/v1/facilities", {"country": "RUS"}, 422),
    ("/v1/facilities", {"bbox": "1,2,3"}, 422),
    ("/v1/claims", {"contry": "RU"}, 422),
    ("/v1/claims", {"format": "geojson"}, 422),
    ("/v1/reports", {"limit": 0}, 422),
    ("/v1/stats", {"as_of": "soon"}, 422),
]
ERROR_IDS = [f"{path}?{params}" for path, params, _ in ERRORS]


@pytest.mark.parametrize(("path", "params", "status"), ERRORS, ids=ERROR_IDS)
def test_error_responses_carry_no_etag(
    api: TestClient, path: str, params: dict[str, Any], status: int
) -> None:
    response = api.get(path, params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    assert "etag" not in response.headers


def test_if_none_match_star_does_not_turn_an_error_into_304(api: TestClient) -> None:
    # RFC 9110 13.1.2: "*" matches only when the resource has a current representation; a missing
    # resource or a refused query must still answer its error, not "Not Modified".
    wrong: dict[str, int] = {}
    for path, params, status in ERRORS:
        response = api.get(path, params=params, headers={"If-None-Match": "*"})
        if response.status_code != status:
            wrong[f"{path}?{params}"] = response.status_code
    assert wrong == {}


# --- writes change the tags ------------------------------------------------------------------------

BODY = "Some 60 North Korean workers were seen at a fish cannery in Sakhalin in 2024."


def bundle(report_id: str = "sakhalin-cannery-note", title: str = "Sakhalin cannery") -> dict[str, Any]:
    return {
        "report": {
            "id": report_id,
            "title": title,
            "publisher": "Island Notes",
            "published_on": "2024-07-01",
            "language": "en",
            "body": BODY,
        },
        "facilities": [
            {
                "id": "sakhalin-cannery",
                "name": "Fish cannery in Sakhalin",
                "kind": "factory",
                "sector": "seafood",
                "country": "RU",
                "location": {"lat": 46.95, "lon": 142.73, "precision": "region"},
            }
        ],
        "claims": [
            {
                "facility": "sakhalin-cannery",
                "predicate": "worker_count",
                "value": 60,
                "unit": "workers",
                "approximate": True,
                "quote": "Some 60 North Korean workers",
            }
        ],
    }


def load(engine: Engine, data: dict[str, Any]) -> LoadResult:
    with write_session(engine) as session:
        return load_bundle(session, parse_bundle(data))


URLS = ["/v1/facilities", "/v1/reports", "/v1/claims", "/v1/stats", "/health", "/v1/facilities?format=csv"]


def test_a_write_changes_the_etags_and_a_no_op_write_does_not(client: TestClient, engine: Engine) -> None:
    before = {url: client.get(url).headers["etag"] for url in URLS}
    assert all(
        client.get(url, headers={"If-None-Match": tag}).status_code == 304 for url, tag in before.items()
    )

    assert load(engine, bundle()).status == "added"
    after = {url: client.get(url).headers["etag"] for url in URLS}
    for url in URLS:
        assert after[url] != before[url], url
        stale = client.get(url, headers={"If-None-Match": before[url]})
        assert stale.status_code == 200, url
        assert stale.headers["etag"] == after[url]
        assert client.get(url, headers={"If-None-Match": after[url]}).status_code == 304
    assert (
        client.get("/v1/facilities", headers={"If-None-Match": before["/v1/facilities"]}).json()["total"] == 1
    )

    # The same bundle again writes nothing, so every tag stays valid.
    assert load(engine, bundle()).status == "unchanged"
    for url in URLS:
        assert client.get(url).headers["etag"] == after[url]
        assert client.get(url, headers={"If-None-Match": after[url]}).status_code == 304

    # Another report is another write: tags move on again.
    load(engine, bundle("sakhalin-cannery-note-2", "Sakhalin cannery again"))
    assert client.get("/v1/reports").headers["etag"] != after["/v1/reports"]
    assert client.get("/v1/reports", headers={"If-None-Match": after["/v1/reports"]}).json()["total"] == 2


def test_an_item_that_appears_after_a_write_gets_a_tag(client: TestClient, engine: Engine) -> None:
    missing = client.get("/v1/facilities/sakhalin-cannery")
    assert missing.status_code == 404
    assert "etag" not in missing.headers
    load(engine, bundle())
    found = client.get("/v1/facilities/sakhalin-cannery")
    assert found.status_code == 200
    assert (
        client.get(
            "/v1/facilities/sakhalin-cannery", headers={"If-None-Match": found.headers["etag"]}
        ).status_code
        == 304
    )


# --- CORS ------------------------------------------------------------------------------------------


def header_set(response: httpx.Response, name: str) -> set[str]:
    return {part.strip().lower() for part in response.headers.get(name, "").split(",") if part.strip()}


@pytest.mark.parametrize(("path", "params"), [GETS[1], GETS[5], GETS[9], GETS[15], GETS[17]], ids=repr)
def test_a_cross_origin_get_is_allowed_and_sees_the_caching_headers(
    api: TestClient, path: str, params: dict[str, Any]
) -> None:
    response = api.get(path, params=params, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert {"etag", "link", "content-disposition"} <= header_set(response, "access-control-expose-headers")
    revalidated = api.get(
        path, params=params, headers={"Origin": ORIGIN, "If-None-Match": response.headers["etag"]}
    )
    assert revalidated.status_code == 304
    assert revalidated.headers["access-control-allow-origin"] == "*"


def test_a_cross_origin_error_is_readable(api: TestClient) -> None:
    cases: list[tuple[str, dict[str, str], int]] = [
        ("/v1/facilities/no-such-place", {}, 404),
        ("/v1/facilities", {"country": "RUS"}, 422),
    ]
    for path, params, status in cases:
        response = api.get(path, params=params, headers={"Origin": ORIGIN})
        assert response.status_code == status
        assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "path", ["/v1/facilities", "/v1/claims", f"/v1/facilities/{VLADIVOSTOK}", "/v1/stats"]
)
def test_a_preflight_for_get_succeeds(api: TestClient, path: str) -> None:
    response = api.options(
        path,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    assert "get" in header_set(response, "access-control-allow-methods")
    assert "if-none-match" in header_set(response, "access-control-allow-headers")


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT", "PATCH"])
def test_a_preflight_for_a_write_method_is_refused(api: TestClient, method: str) -> None:
    response = api.options("/v1/reports", headers={"Origin": ORIGIN, "Access-Control-Request-Method": method})
    assert_refused_preflight(response)
    allowed = header_set(response, "access-control-allow-methods")
    assert method.lower() not in allowed
    assert "post" not in allowed


def assert_refused_preflight(response: httpx.Response) -> None:
    """A refused preflight is a 400 problem document that still carries the CORS headers."""
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["status"], problem["title"]) == (400, "Bad Request")
    assert "not allowed" in problem["detail"]
    assert response.headers["access-control-allow-origin"] == "*"
    assert header_set(response, "access-control-allow-methods") == {"get", "head", "options"}


@pytest.mark.parametrize("headers", ["Authorization", "If-None-Match, Authorization", "X-Api-Key"])
def test_a_preflight_asking_for_a_header_not_allowed_is_a_problem_document(
    api: TestClient, headers: str
) -> None:
    response = api.options(
        "/v1/facilities",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": headers,
        },
    )
    assert_refused_preflight(response)
    assert "headers" in response.json()["detail"]
    assert "authorization" not in header_set(response, "access-control-allow-headers")


@pytest.mark.parametrize(
    "path", ["/v1/claims", "/v1/claims?format=csv", "/v1/facilities?format=geojson", "/health"]
)
def test_head_answers_like_get_without_a_body(api: TestClient, path: str) -> None:
    get = api.get(path)
    head = api.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-type"] == get.headers["content-type"]


def test_head_of_an_error_is_the_error_status(api: TestClient) -> None:
    head = api.head("/v1/facilities/no-such-place")
    assert head.status_code == 404
    assert head.content == b""
    assert "etag" not in head.headers
