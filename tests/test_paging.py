"""Paging as a client sees it: `next` links walk every match exactly once, in the order `sort` asks for."""

import base64
import itertools
import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.settings import Settings
from tests.conftest import Database

Item = dict[str, Any]
Key = Callable[[Item], Any]

BIG = 500
LIMITS = [1, 2, 7]
PROBLEM = "application/problem+json"

# The corpus: the seed bundle plus tests/data/bundles.
REPORT_COUNT = 4
FACILITY_COUNT = 6
CLAIM_COUNT = 30
CLAIMS_OF = {
    "dailynk-garment-orders-russia": 22,
    "test-monitor-2023": 4,
    "test-monitor-2024": 3,
    "test-undated-note": 1,
}
VLADIVOSTOK = "vladivostok-construction-site"
VLADIVOSTOK_CLAIMS = 4


def _number(value: Any) -> float | None:
    """A claim's value as it sorts: numbers by value, text values (stored apart) as missing."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _nested(field: str, inner: str) -> Key:
    def key(item: Item) -> Any:
        outer = item[field]
        return None if outer is None else outer[inner]

    return key


def _plain(field: str) -> Key:
    def key(item: Item) -> Any:
        return item[field]

    return key


# How each sort field shows in an item, to check the order a page really has. String sorts are limited
# to values whose order does not depend on the database's collation (ids, lower-case words, codes).
REPORT_KEYS: dict[str, Key] = {
    "id": _plain("id"),
    "published_on": _plain("published_on"),
    "claim_count": _plain("claim_count"),
}
FACILITY_KEYS: dict[str, Key] = {
    "id": _plain("id"),
    "workers": _nested("workers", "value"),
    "country": _plain("country"),
    "sector": _plain("sector"),
    "claim_count": _plain("claim_count"),
    "first_reported": _plain("first_reported"),
    "last_reported": _plain("last_reported"),
}
CLAIM_KEYS: dict[str, Key] = {
    "id": _plain("id"),
    "value": lambda item: _number(item["value"]),
    "report_id": _plain("report_id"),
    "facility_id": _plain("facility_id"),
    "predicate": _plain("predicate"),
    "status": _plain("status"),
    "evidence": _plain("evidence"),
    "period_start": _nested("period", "start"),
    "period_end": _nested("period", "end"),
}

REPORT_SORTS = ["id", "-id", "published_on", "-published_on", "claim_count", "-claim_count"]
FACILITY_SORTS = ["id", "-id", "workers", "-workers", "country", "-sector", "-claim_count", "first_reported"]
CLAIM_SORTS = ["id", "-id", "value", "-value", "-period_end", "period_start", "report_id", "-facility_id"]
SUBLIST_SORTS = ["id", "-id", "value", "-value", "period_end", "-period_end", "-predicate", "status"]

# (path, expected total, sort keys, sorts to walk)
LISTS: list[tuple[str, int, dict[str, Key], list[str]]] = [
    ("/v1/reports", REPORT_COUNT, REPORT_KEYS, REPORT_SORTS),
    ("/v1/facilities", FACILITY_COUNT, FACILITY_KEYS, FACILITY_SORTS),
    ("/v1/claims", CLAIM_COUNT, CLAIM_KEYS, CLAIM_SORTS),
    ("/v1/reports/dailynk-garment-orders-russia/claims", 22, CLAIM_KEYS, SUBLIST_SORTS),
    ("/v1/reports/test-monitor-2024/claims", 3, CLAIM_KEYS, SUBLIST_SORTS),
    (f"/v1/facilities/{VLADIVOSTOK}/claims", VLADIVOSTOK_CLAIMS, CLAIM_KEYS, SUBLIST_SORTS),
]

WALKS = [
    pytest.param(path, total, keys, sort, limit, id=f"{path}?sort={sort}&limit={limit}")
    for path, total, keys, sorts in LISTS
    for sort in sorts
    for limit in LIMITS
]


@pytest.fixture(scope="module")
def raw_api(corpus: Engine) -> Iterator[TestClient]:
    """A client on the corpus that shows a server error as the response a user would get."""
    settings = Settings(database_url=corpus.url.render_as_string(hide_password=False))
    with TestClient(create_app(settings, corpus), raise_server_exceptions=False) as test_client:
        yield test_client


def walk(api: TestClient, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Follow `next` from the first page to the last, checking each page's envelope; return the bodies."""
    response = api.get(path, params=params)
    pages: list[dict[str, Any]] = []
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        if body["next"] is None:
            assert "link" not in response.headers
            return pages
        assert response.headers["link"] == f'<{body["next"]}>; rel="next"'
        assert len(pages) <= BIG, "`next` never reached the end"
        response = api.get(body["next"])


def big_page(api: TestClient, path: str, sort: str | None = None, **filters: str) -> list[Item]:
    params: dict[str, Any] = {"limit": BIG, **filters}
    if sort is not None:
        params["sort"] = sort
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None
    assert body["total"] == len(body["items"])
    assert "link" not in response.headers
    items: list[Item] = body["items"]
    return items


def assert_sorted(items: list[Item], sort: str, keys: dict[str, Key]) -> None:
    """Values non-decreasing (or non-increasing for `-field`), missing values last, ties by id ascending."""
    descending = sort.startswith("-")
    key = keys[sort.lstrip("-")]
    for before, after in itertools.pairwise(items):
        a, b = key(before), key(after)
        pair = f"{before['id']} ({a!r}) then {after['id']} ({b!r}) under sort={sort}"
        if sort.lstrip("-") == "id":
            assert (a > b) if descending else (a < b), pair
        elif a is None:
            assert b is None, pair
            assert before["id"] < after["id"], pair
        elif b is not None and a == b:
            assert before["id"] < after["id"], pair
        elif b is not None:
            assert (a > b) if descending else (a < b), pair


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM
    body: dict[str, Any] = response.json()
    assert set(body) == (
        {"type", "title", "status", "detail", "errors"}
        if status == 422
        else {
            "type",
            "title",
            "status",
            "detail",
        }
    )
    assert body["status"] == status
    return body


def error_locs(body: dict[str, Any]) -> list[list[Any]]:
    return [error["loc"] for error in body["errors"]]


def make_cursor(*parts: Any) -> str:
    """A hand-made cursor in the shape the server's decode to: [sort, value, last id, position]."""
    raw = json.dumps(list(parts)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_of(next_url: str) -> str:
    query = next_url.split("?", 1)[1]
    found = [
        value for name, _, value in (part.partition("=") for part in query.split("&")) if name == "cursor"
    ]
    assert len(found) == 1, next_url
    return found[0]


def test_the_corpus_has_the_expected_sizes(api: TestClient) -> None:
    assert len(big_page(api, "/v1/reports")) == REPORT_COUNT
    assert len(big_page(api, "/v1/facilities")) == FACILITY_COUNT
    claims = big_page(api, "/v1/claims")
    assert len(claims) == CLAIM_COUNT
    for report_id, count in CLAIMS_OF.items():
        assert sum(claim["report_id"] == report_id for claim in claims) == count
        assert len(big_page(api, f"/v1/reports/{report_id}/claims")) == count
    assert len(big_page(api, f"/v1/facilities/{VLADIVOSTOK}/claims")) == VLADIVOSTOK_CLAIMS


def check_walk(
    api: TestClient, path: str, total: int, keys: dict[str, Key], sort: str, limit: int, **filters: str
) -> None:
    """Walk `path` with `next` and compare the pages with one big page of the same query."""
    pages = walk(api, path, {"sort": sort, "limit": limit, **filters})
    everything = big_page(api, path, sort, **filters)
    assert len(everything) == total

    seen: list[Item] = []
    for page in pages:
        assert page["total"] == total
        assert page["limit"] == limit
        assert page["offset"] == len(seen)
        assert len(page["items"]) == min(limit, total - len(seen))
        seen.extend(page["items"])
    assert len(pages) == max(1, math.ceil(total / limit))
    ids = [item["id"] for item in seen]
    assert len(set(ids)) == len(ids) == total
    assert seen == everything
    assert_sorted(seen, sort, keys)


@pytest.mark.parametrize(("path", "total", "keys", "sort", "limit"), WALKS)
def test_next_walks_every_item_once_in_sort_order(
    api: TestClient, path: str, total: int, keys: dict[str, Key], sort: str, limit: int
) -> None:
    check_walk(api, path, total, keys, sort, limit)


@pytest.mark.parametrize("limit", LIMITS)
@pytest.mark.parametrize("sort", ["workers", "-workers", "-id"])
@pytest.mark.parametrize("as_of", ["2023-05-31", "2023-06-01", "2024-12-31"])
def test_next_walks_the_figures_as_of_a_date(api: TestClient, as_of: str, sort: str, limit: int) -> None:
    # `workers` is then computed per request, so the cursor's keyset runs on a derived value.
    check_walk(api, "/v1/facilities", FACILITY_COUNT, FACILITY_KEYS, sort, limit, as_of=as_of)
    today = big_page(api, "/v1/facilities", sort)
    then = big_page(api, "/v1/facilities", sort, as_of=as_of)
    assert [item["workers"] for item in then] != [item["workers"] for item in today]


@pytest.mark.parametrize(("path", "total", "keys", "sorts"), LISTS, ids=[entry[0] for entry in LISTS])
def test_default_order_is_by_id(
    api: TestClient, path: str, total: int, keys: dict[str, Key], sorts: list[str]
) -> None:
    items = big_page(api, path)
    assert len(items) == total
    ids = [item["id"] for item in items]
    assert ids == sorted(ids)
    assert items == big_page(api, path, "id")
    assert [page["items"] for page in walk(api, path, {"limit": 2})] == [
        items[start : start + 2] for start in range(0, total, 2)
    ]


def test_descending_id_is_the_reverse_of_the_default(api: TestClient) -> None:
    assert big_page(api, "/v1/claims", "-id") == big_page(api, "/v1/claims")[::-1]


def test_next_keeps_the_filters(api: TestClient) -> None:
    params = {"predicate": "worker_count", "sort": "-value", "limit": 2}
    pages = walk(api, "/v1/claims", params)
    items = [item for page in pages for item in page["items"]]
    assert all(item["predicate"] == "worker_count" for item in items)
    assert len(items) == pages[0]["total"] >= 4
    response = api.get("/v1/claims", params={"predicate": "worker_count", "sort": "-value", "limit": BIG})
    assert items == response.json()["items"]
    assert_sorted(items, "-value", CLAIM_KEYS)


def test_next_after_an_offset_continues_from_there(api: TestClient) -> None:
    everything = big_page(api, "/v1/claims", "value")
    pages = walk(api, "/v1/claims", {"sort": "value", "limit": 7, "offset": 3})
    assert [page["offset"] for page in pages] == [3, 10, 17, 24]
    assert [item for page in pages for item in page["items"]] == everything[3:]


def test_offset_within_bound_skips_that_many(api: TestClient) -> None:
    everything = big_page(api, "/v1/claims")
    response = api.get("/v1/claims", params={"offset": 5, "limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["items"] == everything[5:8]
    assert (body["offset"], body["limit"], body["total"]) == (5, 3, CLAIM_COUNT)
    assert body["next"] is not None


def test_offset_past_the_end_is_an_empty_last_page(api: TestClient) -> None:
    response = api.get("/v1/claims", params={"offset": 10_000})
    assert response.status_code == 200
    body = response.json()
    assert (body["items"], body["total"], body["offset"], body["next"]) == ([], CLAIM_COUNT, 10_000, None)
    assert "link" not in response.headers


@pytest.mark.parametrize(
    "path", ["/v1/reports", "/v1/facilities", "/v1/claims", f"/v1/facilities/{VLADIVOSTOK}/claims"]
)
@pytest.mark.parametrize("limit", ["0", "501", "-1", "abc", "1.5", " "])
def test_limit_out_of_range_is_422(api: TestClient, path: str, limit: str) -> None:
    body = assert_problem(api.get(path, params={"limit": limit}), 422)
    assert ["query", "limit"] in error_locs(body)


@pytest.mark.parametrize("limit", [1, 500])
def test_limit_bounds_are_accepted(api: TestClient, limit: int) -> None:
    response = api.get("/v1/claims", params={"limit": limit})
    assert response.status_code == 200
    assert len(response.json()["items"]) == min(limit, CLAIM_COUNT)


@pytest.mark.parametrize("offset", ["-1", "abc", "10001", "99999999999999999999999"])
def test_bad_offset_is_422(api: TestClient, offset: str) -> None:
    body = assert_problem(api.get("/v1/facilities", params={"offset": offset}), 422)
    assert error_locs(body) == [["query", "offset"]]


def test_max_offset_is_a_setting(database: Database, engine: Engine) -> None:
    with TestClient(create_app(database.settings(max_offset=3), engine)) as client:
        response = client.get("/v1/claims", params={"offset": 3})
        assert response.status_code == 200
        assert response.json()["offset"] == 3
        body = assert_problem(client.get("/v1/claims", params={"offset": 4}), 422)
        assert error_locs(body) == [["query", "offset"]]
        assert "3" in body["detail"]


def test_cursor_and_offset_together_is_422(api: TestClient) -> None:
    first = api.get("/v1/claims", params={"limit": 2}).json()
    cursor = cursor_of(first["next"])
    body = assert_problem(api.get("/v1/claims", params={"limit": 2, "cursor": cursor, "offset": 2}), 422)
    assert error_locs(body)[0][0] == "query"
    assert error_locs(body)[0][1] in {"cursor", "offset"}


def test_a_cursor_with_offset_zero_is_accepted(api: TestClient) -> None:
    first = api.get("/v1/claims", params={"limit": 2}).json()
    response = api.get("/v1/claims", params={"limit": 2, "cursor": cursor_of(first["next"]), "offset": 0})
    assert response.status_code == 200
    assert response.json()["offset"] == 2


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "not a cursor!",
        "%%%",
        "AAAA",
        "x" * 40,
        "bnVsbA",
        make_cursor("id"),
        make_cursor(1, 2, 3, 4),
    ],
)
def test_garbage_cursor_is_422(api: TestClient, cursor: str) -> None:
    body = assert_problem(api.get("/v1/facilities", params={"cursor": cursor}), 422)
    assert error_locs(body) == [["query", "cursor"]]


@pytest.mark.parametrize("cut", [1, 2, 3, 5, 10])
def test_truncated_cursor_is_422(api: TestClient, cut: int) -> None:
    first = api.get("/v1/claims", params={"limit": 2, "sort": "-period_end"}).json()
    cursor = cursor_of(first["next"])
    body = assert_problem(api.get("/v1/claims", params={"sort": "-period_end", "cursor": cursor[:-cut]}), 422)
    assert error_locs(body) == [["query", "cursor"]]


@pytest.mark.parametrize(
    ("made_for", "used_with"), [("workers", "-workers"), ("-workers", None), (None, "name")]
)
def test_cursor_made_for_another_sort_is_422(
    api: TestClient, made_for: str | None, used_with: str | None
) -> None:
    params: dict[str, Any] = {"limit": 1}
    if made_for is not None:
        params["sort"] = made_for
    first = api.get("/v1/facilities", params=params).json()
    again: dict[str, Any] = {"cursor": cursor_of(first["next"])}
    if used_with is not None:
        again["sort"] = used_with
    body = assert_problem(api.get("/v1/facilities", params=again), 422)
    assert error_locs(body) == [["query", "cursor"]]


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("workers", make_cursor("workers", "many", "a", 1)),
        ("first_reported", make_cursor("first_reported", "yesterday", "a", 1)),
        ("claim_count", make_cursor("claim_count", 1.5, "a", 1)),
        ("id", make_cursor("id", None, 7, 1)),
        ("id", make_cursor("id", None, "a", -1)),
        # Regressions: each of these answered 500 at some commit (the first four before 75c1187; the two
        # 32-bit ones on PostgreSQL at 75c1187, whose count columns are INTEGER, and SQLite served a page).
        ("workers", make_cursor("workers", 10**400, "a", 1)),
        ("claim_count", make_cursor("claim_count", 10**30, "a", 1)),
        ("workers", make_cursor("workers", 1.0, "a\x00", 1)),
        ("name", make_cursor("name", "a\x00", "a", 1)),
        ("claim_count", make_cursor("claim_count", 2**40, "a", 1)),
        ("claim_count", make_cursor("claim_count", -(2**62), "a", 1)),
    ],
    ids=[
        "text-for-number",
        "text-for-date",
        "float-for-int",
        "number-for-id",
        "negative-position",
        "huge-float",
        "huge-int",
        "nul-in-id",
        "nul-in-value",
        "int-beyond-32-bits",
        "negative-int-beyond-32-bits",
    ],
)
def test_forged_cursor_is_422_not_500(raw_api: TestClient, sort: str, cursor: str) -> None:
    body = assert_problem(raw_api.get("/v1/facilities", params={"sort": sort, "cursor": cursor}), 422)
    assert error_locs(body) == [["query", "cursor"]]


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/v1/reports", ["id", "title", "publisher", "published_on", "claim_count"]),
        ("/v1/facilities", ["id", "name", "country", "workers", "claim_count", "first_reported"]),
        ("/v1/claims", ["id", "value", "predicate", "period_end", "report_id", "facility_id"]),
        (f"/v1/facilities/{VLADIVOSTOK}/claims", ["id", "value", "period_end"]),
    ],
)
@pytest.mark.parametrize("sort", ["nope", "-nope", "-", "--id", "body", "id,name", "workers;drop"])
def test_unknown_sort_is_422_naming_the_allowed_fields(
    api: TestClient, path: str, allowed: list[str], sort: str
) -> None:
    body = assert_problem(api.get(path, params={"sort": sort}), 422)
    assert error_locs(body) == [["query", "sort"]]
    for field in allowed:
        assert field in body["detail"], field
        assert field in body["errors"][0]["msg"], field


@pytest.mark.parametrize(
    "parts",
    [
        ["name", "\ud800", "a", 0],
        ["name", "a", "\udfff", 0],
        ["name", "a", "a", 0, 5],
        ["name", "a", "a", 0, 5, "x", "extra"],
    ],
    ids=["surrogate-value", "surrogate-id", "five-fields", "seven-fields"],
)
def test_more_forged_cursors_are_422(api: TestClient, parts: list[Any]) -> None:
    token = base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")
    response = api.get("/v1/facilities", params={"sort": "name", "cursor": token})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_a_cursor_with_a_forged_or_foreign_total_is_counted_again(api: TestClient) -> None:
    real = api.get("/v1/claims", params={"limit": 1}).json()
    first_id = real["items"][0]["id"]
    forged = make_cursor("id", first_id, first_id, 1, -7, "anything")
    assert api.get("/v1/claims", params={"limit": 1, "cursor": forged}).json()["total"] == real["total"]
    facilities = api.get("/v1/facilities", params={"limit": 1}).json()
    borrowed = cursor_of(facilities["next"])  # a facilities cursor used on the claims list
    page = api.get("/v1/claims", params={"limit": 1, "cursor": borrowed}).json()
    assert page["total"] == real["total"]
