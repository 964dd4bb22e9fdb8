"""The app's edge as a client sees it: head limits, security headers, request ids, logs, no Host echo."""

import json
import logging
import re
import secrets

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.auth.keys import KEY_PREFIX, KEY_TOKEN_BYTES
from api.edge.headers import API_POLICY
from api.edge.requestlog import JsonFormatter
from tests.conftest import Database

NEW_ID = re.compile(r"[0-9a-f]{32}")
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def assert_edge_headers(response: httpx.Response, policy: str | None = API_POLICY) -> None:
    headers = response.headers
    for name, value in SECURITY.items():
        assert headers.get(name) == value, (name, headers)
    if policy is not None:
        assert headers["content-security-policy"] == policy
    assert NEW_ID.fullmatch(headers["x-request-id"]), headers
    assert "server" not in headers


def test_every_answer_carries_the_security_headers_and_a_request_id(api: TestClient) -> None:
    page = api.get("/v1/facilities", params={"limit": 2})
    assert page.status_code == 200
    assert_edge_headers(page)
    not_modified = api.get(
        "/v1/facilities", params={"limit": 2}, headers={"If-None-Match": page.headers["etag"]}
    )
    assert not_modified.status_code == 304
    assert_edge_headers(not_modified)
    with api.stream("GET", "/v1/claims", params={"format": "csv"}) as export:
        assert export.status_code == 200
        assert export.headers["content-type"].startswith("text/csv")
        assert_edge_headers(export)
    for response, status in [
        (api.get("/nowhere"), 404),
        (api.get("/v1/facilities/no-such-facility"), 404),
        (api.get("/v1/facilities", params={"limit": 0}), 422),
        (api.put("/v1/stats"), 405),
        (api.post("/v1/reports", json={}), 401),
    ]:
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert_edge_headers(response)


def test_the_documentation_pages_load_only_this_servers_own_assets(api: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = api.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert_edge_headers(page, policy=None)
        policy = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        # The policy names no other origin, and the page no asset that is not on this server.
        assert not re.search(r"https?:|//", policy), policy
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets, page.text
        for url in assets:
            assert url.startswith("/static/vendor/"), url
            asset = api.get(url)
            assert asset.status_code == 200, url
            assert asset.content, url
        assert "fonts.googleapis" not in page.text
    redirect = api.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
    assert "oauth2" in redirect.text
    assert api.get("/openapi.json").headers["content-security-policy"] == API_POLICY


def test_a_failing_request_still_carries_the_headers(database: Database, engine: Engine) -> None:
    app = create_app(database.settings(), engine)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert_edge_headers(response)


@pytest.mark.parametrize("sent", ["abc", "req-42.a:b_C", "x" * 128])
def test_a_sane_request_id_is_echoed(api: TestClient, sent: str) -> None:
    assert api.get("/health", headers={"X-Request-ID": sent}).headers["x-request-id"] == sent


@pytest.mark.parametrize("sent", ["", "x" * 129, "a b", "id\u00e9", "<script>", "a,b", "a/b"])
def test_any_other_request_id_is_replaced_by_a_new_one(api: TestClient, sent: str) -> None:
    answered = api.get("/health", headers={"X-Request-ID": sent.encode("utf-8")})
    assert NEW_ID.fullmatch(answered.headers["x-request-id"])
    assert answered.headers["x-request-id"] != api.get("/health").headers["x-request-id"]


def test_a_url_over_the_limit_is_answered_414(database: Database, engine: Engine) -> None:
    with TestClient(create_app(database.settings(max_url_bytes=1000), engine)) as client:
        fits = "/v1/facilities?q=" + "a" * (1000 - len("/v1/facilities?q="))
        assert client.get(fits).status_code != 414  # (other rules may refuse so long a `q`)
        for url in (fits + "a", "/v1/facilities?q=" + "a" * 60_000):  # httpx sends at most 64 kB
            response = client.get(url)
            assert response.status_code == 414
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json() == {
                "type": "about:blank",
                "title": "Request-URI Too Long",
                "status": 414,
                "detail": "The URL is longer than the limit of 1000 bytes; send shorter parameters.",
            }
            assert_edge_headers(response)


def test_headers_over_the_limit_are_answered_431(client: TestClient) -> None:
    assert client.get("/health", headers={"X-Padding": "a" * 8_000}).status_code == 200
    for size in (16_384, 64 * 1024, 1024 * 1024):
        response = client.get("/health", headers={"X-Padding": "a" * size})
        assert response.status_code == 431, size
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "The request headers are larger than the limit of 16384 bytes."
        assert_edge_headers(response)
    many = {f"X-H{i}": "a" * 100 for i in range(200)}  # 200 small headers add up too
    assert client.get("/health", headers=many).status_code == 431


def test_each_request_is_one_json_log_line_without_secrets(
    database: Database, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO), TestClient(create_app(database.settings(), engine)) as client:
        response = client.get(
            "/v1/facilities?limit=2&key=query-secret-1&Token=query-secret-2&API_KEY=query-secret-3"
            "&authorization=query-secret-4&country=RU",
            headers={"Authorization": "Bearer header-secret-5", "X-Request-ID": "trace-1"},
        )
        refused = client.post("/v1/reports?key=query-secret-6", json={})
    assert response.status_code == 401  # a wrong key on a read; what matters is that nothing secret is logged
    assert refused.status_code == 401
    formatter = JsonFormatter()
    server_side = [record for record in caplog.records if not record.name.startswith("httpx")]
    text = "\n".join(formatter.format(record) for record in server_side)
    for secret in range(1, 7):
        assert f"secret-{secret}" not in text
    access = [json.loads(formatter.format(r)) for r in caplog.records if r.name == "laborwatch.access"]
    assert len(access) == 2
    line = access[0]
    assert line["request_id"] == "trace-1"
    assert line["method"] == "GET"
    assert line["path"] == "/v1/facilities"
    assert line["query"] == (
        "limit=2&key=%5Bredacted%5D&Token=%5Bredacted%5D&API_KEY=%5Bredacted%5D"
        "&authorization=%5Bredacted%5D&country=RU"
    )
    assert line["status"] == 401
    assert isinstance(line["latency_ms"], float)
    assert line["latency_ms"] >= 0
    assert line["client"] == "testclient"
    assert (line["level"], line["logger"]) == ("info", "laborwatch.access")
    assert (access[1]["method"], access[1]["status"]) == ("POST", 401)
    assert access[1]["request_id"] == refused.headers["x-request-id"]


@pytest.mark.parametrize(
    "query",
    [
        "access_token={key}",
        "apikey={key}",
        "api-key={key}",
        "password={key}",
        "client_secret={key}",
        "key%00={key}",
        "key+={key}",
        "+key={key}",
        "%20KEY%20={key}",
        "x=1;key={key}",
        "q={key}",
        "q=%6Cw_{tail}",
        "cursor=a{key}b",
    ],
)
def test_no_key_reaches_the_access_log_whatever_its_parameter(
    database: Database, engine: Engine, caplog: pytest.LogCaptureFixture, query: str
) -> None:
    key = KEY_PREFIX + secrets.token_urlsafe(KEY_TOKEN_BYTES)
    tail = key.removeprefix(KEY_PREFIX)
    with caplog.at_level(logging.INFO), TestClient(create_app(database.settings(), engine)) as client:
        client.get(f"/v1/facilities?{query.format(key=key, tail=tail)}")
        client.get(f"/v1/reports/{key}")  # a key in the path
    formatter = JsonFormatter()
    access = [formatter.format(record) for record in caplog.records if record.name == "laborwatch.access"]
    assert len(access) == 2
    assert tail not in "\n".join(access)
    assert json.loads(access[1])["path"] == "/v1/reports/[redacted]"


def test_next_links_do_not_repeat_the_host_header(api: TestClient) -> None:
    first = api.get("/v1/claims", params={"limit": 1}, headers={"Host": "evil.example"})
    assert first.status_code == 200
    assert "evil" not in first.text
    assert "evil" not in str(first.headers)
    # The address the connection was made to (TestClient's is testserver), never the Host header.
    assert first.json()["next"].startswith("http://testserver/v1/claims?limit=1&cursor=")
    assert first.headers["link"] == f'<{first.json()["next"]}>; rel="next"'
    second = api.get(first.json()["next"])
    assert second.status_code == 200
    assert second.json()["items"] != first.json()["items"]


def test_every_operation_declares_the_head_limit_answers(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            for status in ("414", "431"):
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)


def test_a_browser_may_read_and_send_the_request_id(api: TestClient) -> None:
    origin = {"Origin": "https://dashboard.example"}
    exposed = api.get("/health", headers=origin).headers["access-control-expose-headers"]
    assert "X-Request-ID" in [name.strip() for name in exposed.split(",")]
    preflight = api.options(
        "/v1/facilities",
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-request-id",
        },
    )
    assert preflight.status_code == 200
    assert_edge_headers(preflight)
