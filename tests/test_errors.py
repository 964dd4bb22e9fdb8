"""Every error is an RFC 9457 problem document: checked on every route the OpenAPI document lists."""

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.auth.keys import create_key
from api.db.engine import write_session
from api.settings import Settings
from tests.conftest import Database
from tests.helpers.problems import PROBLEM, assert_problem, problem_faults

MISSING_ID = "no-such-id-0000"
LONG_ID = "x" * 240
PATH_PARAM = re.compile(r"\{([^}]+)\}")
LIMIT = 1024

# Ids the corpus holds, by path parameter name (a route with another parameter makes the test say so).
KNOWN_IDS = {
    "report_id": "test-monitor-2023",
    "facility_id": "vladivostok-construction-site",
}


@pytest.fixture(scope="module")
def raw_api(corpus: Engine) -> Iterator[TestClient]:
    """A client on the corpus that shows a server error as the response a user would get."""
    settings = Settings(database_url=corpus.url.render_as_string(hide_password=False))
    app = create_app(settings, corpus)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def small_limit_app(database: Database, engine: Engine) -> Iterator[TestClient]:
    """An app whose request body limit is 1 KiB, and a client with a write key (writes check it first)."""
    with write_session(engine) as session:
        key = create_key(session, "limits")
    app = create_app(database.settings(max_body_bytes=LIMIT), engine)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        test_client.headers["Authorization"] = f"Bearer {key}"
        yield test_client


def get_operations(client: TestClient) -> dict[str, dict[str, Any]]:
    """Each GET path of the OpenAPI document and its operation."""
    response = client.get("/openapi.json")
    assert response.status_code == 200
    paths: dict[str, dict[str, Any]] = response.json()["paths"]
    # Reads that need a key (webhooks, admins only) answer 401 first; tests/test_webhooks.py checks them.
    operations = {
        path: item["get"]
        for path, item in paths.items()
        if "get" in item and any(not requirement for requirement in item["get"].get("security", [{}]))
    }
    assert len(operations) >= 9, sorted(operations)
    return operations


def fill(path: str, value: str) -> str:
    return PATH_PARAM.sub(value, path)


def known_ids(client: TestClient) -> dict[str, str]:
    """Ids the corpus holds, by path parameter name."""
    claims = client.get("/v1/claims", params={"limit": 1}).json()["items"]
    return KNOWN_IDS | {"claim_id": claims[0]["id"]}


def real_path(path: str, known: dict[str, str]) -> str:
    """`path` with each parameter replaced by a stored id."""
    params = PATH_PARAM.findall(path)
    assert set(params) <= set(known), f"{path}: add a stored id for {params} to KNOWN_IDS"
    return PATH_PARAM.sub(lambda match: known[match.group(1)], path)


def query_params(operation: dict[str, Any]) -> list[str]:
    return [param["name"] for param in operation.get("parameters", []) if param["in"] == "query"]


def invalid_query(operation: dict[str, Any]) -> tuple[dict[str, str], str] | None:
    """A query no request can validly make to this operation, and the parameter it offends."""
    names = query_params(operation)
    for name, value in (("limit", "0"), ("country", "1"), ("as_of", "not-a-date"), ("since", "not-a-time")):
        if name in names:
            return {name: value}, name
    return None


def test_every_get_route_answers_errors_as_problem_documents(raw_api: TestClient) -> None:
    known = known_ids(raw_api)
    faults: list[str] = []
    checked_404 = checked_422 = 0
    for path, operation in get_operations(raw_api).items():
        params = PATH_PARAM.findall(path)
        real = real_path(path, known)
        assert raw_api.get(real).status_code == 200, real

        if params:
            faults += problem_faults(raw_api.get(fill(path, MISSING_ID)), 404)
            checked_404 += 1
        invalid = invalid_query(operation)
        if invalid is not None:
            query, name = invalid
            response = raw_api.get(real, params=query)
            faults += problem_faults(response, 422)
            if response.status_code == 422 and ["query", name] not in [
                e["loc"][:2]
                for e in response.json()["errors"]  # a value of several: its index after
            ]:
                faults.append(f"{path}?{query}: errors do not name query.{name}")
            checked_422 += 1
        elif params:
            response = raw_api.get(fill(path, LONG_ID))
            faults += problem_faults(response, 422)
            if response.status_code == 422 and ["path", params[-1]] not in [
                e["loc"] for e in response.json()["errors"]
            ]:
                faults.append(f"{path} with a {len(LONG_ID)}-character id: errors do not name the path")
            checked_422 += 1
        else:
            assert not operation.get("parameters"), f"{path}: no invalid query known for its parameters"
    assert not faults, "\n".join(faults)
    assert checked_404 >= 5
    assert checked_422 >= 8


# `/` is the explorer's overview (tests/test_explorer.py), no longer a 404.
@pytest.mark.parametrize(
    "path", ["/v1/nope", "/nope", "/v1", "/v1/", "/v1/reports/test-monitor-2023/nope", "/V1/claims"]
)
def test_unknown_path_is_a_404_problem(raw_api: TestClient, path: str) -> None:
    body = assert_problem(raw_api.get(path), 404)
    assert body["type"] == "about:blank"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/facilities/",
        "/v1/reports/",
        "/v1/claims/",
        "/health/",
        "/v1/facilities/vladivostok-construction-site/",
        "/v1/facilities/vladivostok-construction-site/claims/",
    ],
)
def test_trailing_slash_is_404_not_a_redirect(raw_api: TestClient, path: str) -> None:
    response = raw_api.get(path)
    assert "location" not in response.headers
    assert_problem(response, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/facilities/%2e%2e%2f",
        "/v1/facilities/..%2f",
        "/v1/facilities/%2e%2e",
        "/v1/facilities/%2F",
        "/v1/facilities/a%2fb",
        "/v1//facilities",
        "//v1/facilities",
        "/v1/facilities//claims",
        "/v1/facilities/%ff",
        "/v1/facilities/%20",
        "/v1/facilities/%2e%2e%2fclaims",
        "/v1/reports/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    ],
)
def test_odd_paths_answer_a_problem_not_a_redirect(raw_api: TestClient, path: str) -> None:
    # An absolute URL: httpx would read `//v1/facilities` alone as host `v1`, path `/facilities`.
    response = raw_api.get(f"{raw_api.base_url}{path}")
    assert not 300 <= response.status_code < 400, response.headers
    assert "location" not in response.headers
    assert response.status_code in {404, 422}, response.text
    assert_problem(response, response.status_code)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/facilities"),
        ("PUT", "/v1/facilities"),
        ("DELETE", "/v1/facilities"),
        ("DELETE", "/v1/claims"),
        ("PATCH", "/v1/facilities/vladivostok-construction-site"),
        ("POST", "/v1/facilities/vladivostok-construction-site"),
        ("DELETE", "/v1/facilities/vladivostok-construction-site"),
        ("DELETE", "/v1/claims/clm-0000"),
        ("POST", "/v1/facilities/vladivostok-construction-site/claims"),
        ("POST", "/health"),
        ("DELETE", "/health"),
    ],
)
def test_wrong_method_is_a_405_problem_with_allow(raw_api: TestClient, method: str, path: str) -> None:
    response = raw_api.request(method, path)
    assert_problem(response, 405)
    allowed = {part.strip() for part in response.headers["allow"].split(",")}
    assert "GET" in allowed
    assert method not in allowed


def test_a_body_over_the_limit_with_content_length_is_413(small_limit_app: TestClient) -> None:
    response = small_limit_app.post(
        "/v1/reports", content=b"{" + b" " * LIMIT + b"}", headers={"content-type": "application/json"}
    )
    assert response.request.headers["content-length"] == str(LIMIT + 2)
    body = assert_problem(response, 413)
    assert str(LIMIT) in body["detail"]


def test_a_body_at_the_limit_is_not_refused(small_limit_app: TestClient) -> None:
    response = small_limit_app.post("/v1/facilities", content=b"x" * LIMIT)
    assert_problem(response, 405)


def test_a_chunked_body_over_the_limit_is_413(small_limit_app: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * 300

    response = small_limit_app.post("/v1/reports", content=chunks())
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413)


def test_a_body_streamed_in_many_messages_is_counted_as_it_arrives(small_limit_app: TestClient) -> None:
    # httpx's ASGI transport hands the app one `http.request` message per chunk, as a server would.
    app = small_limit_app.app
    responses: list[httpx.Response] = []

    def stream(count: int, size: int) -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(count):
                yield b"x" * size

        return chunks()

    async def send() -> None:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": small_limit_app.headers["Authorization"]}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client:
            responses.append(await client.post("/v1/reports", content=stream(10, 300)))
            responses.append(await client.post("/v1/facilities", content=stream(4, LIMIT // 4)))

    anyio.run(send)
    over, within = responses
    assert "content-length" not in over.request.headers
    assert_problem(over, 413)
    assert_problem(within, 405)


def test_nul_bytes_and_huge_strings_never_answer_500(raw_api: TestClient) -> None:
    known = known_ids(raw_api)
    faults: list[str] = []
    for path, operation in get_operations(raw_api).items():
        real = real_path(path, known)
        for name in query_params(operation):
            for value in ["a\x00b", "\x00", "x" * 10_000, "\u00e9" * 3_000]:
                response = raw_api.get(real, params={name: value})
                if response.status_code >= 500:
                    faults.append(f"{path}?{name}={value[:8]!r}... -> {response.status_code}")
                elif response.status_code >= 400:
                    faults += problem_faults(response)
        if PATH_PARAM.search(path):
            for value in ["a%00b", "%00", "x" * 10_000]:
                response = raw_api.get(fill(path, value))
                if response.status_code >= 500:
                    faults.append(f"{fill(path, value[:8])} -> {response.status_code}")
                else:
                    faults += problem_faults(response)  # no such id: always an error
    for raw in ["/v1/facilities?city=%ff", "/v1/claims?facility_id=%00", "/v1/reports?publisher=%00%ff"]:
        response = raw_api.get(raw)
        if response.status_code >= 500:
            faults.append(f"{raw} -> {response.status_code}")
        elif response.status_code >= 400:
            faults += problem_faults(response)
    assert not faults, "\n".join(faults)


def test_openapi_declares_problem_responses(raw_api: TestClient) -> None:
    document = raw_api.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert {"type", "title", "status", "detail", "errors"} <= set(schemas["Problem"]["properties"])
    assert {"title", "status", "detail"} <= set(schemas["Problem"]["required"])
    assert "HTTPValidationError" not in schemas
    faults: list[str] = []
    for path, operation in get_operations(raw_api).items():
        responses = operation["responses"]
        needed = set()
        if operation.get("parameters"):
            needed.add("422")
        if PATH_PARAM.search(path):
            needed.add("404")
        faults.extend(f"GET {path}: {status} not declared" for status in needed - set(responses))
        for status, response in responses.items():
            if int(status) < 400:
                continue
            content = response.get("content", {})
            if set(content) != {PROBLEM}:
                faults.append(f"GET {path}: {status} has content {sorted(content)}")
            elif content[PROBLEM]["schema"] != {"$ref": "#/components/schemas/Problem"}:
                faults.append(f"GET {path}: {status} does not use the Problem schema")
    assert not faults, "\n".join(faults)
