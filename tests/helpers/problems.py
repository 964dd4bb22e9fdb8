"""Assertions on problem documents (RFC 9457), the shape of every error answer."""

from http import HTTPStatus
from typing import Any

import httpx
from httpx import Response

PROBLEM = "application/problem+json"
MEMBERS = {"type", "title", "status", "detail"}
LEAKS = ("traceback", 'file "', "select ", "sqlalchemy", "psycopg", "sqlite3", "insert into", "exception")


def problem_faults(response: httpx.Response, status: int | None = None) -> list[str]:
    """What is wrong with `response` as a problem document (with `status`, when given); [] if nothing."""
    where = f"{response.request.method} {response.request.url} -> {response.status_code}"
    faults: list[str] = []
    if status is not None and response.status_code != status:
        faults.append(f"{where}: expected status {status}")
    if response.status_code < 400:
        return [*faults, f"{where}: not an error"]
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    if content_type != PROBLEM:
        faults.append(f"{where}: Content-Type {content_type!r}")
    lowered = response.text.lower()
    faults.extend(f"{where}: body shows {leak!r}" for leak in LEAKS if leak in lowered)
    try:
        body = response.json()
    except ValueError:
        return [*faults, f"{where}: body is not JSON: {response.text[:200]!r}"]
    if not isinstance(body, dict):
        return [*faults, f"{where}: body is not an object"]
    expected = MEMBERS | ({"errors"} if response.status_code == 422 else set())
    if set(body) != expected:
        faults.append(f"{where}: members {sorted(body)}, expected {sorted(expected)}")
    if body.get("status") != response.status_code:
        faults.append(f"{where}: body status {body.get('status')!r}")
    if not isinstance(body.get("type"), str) or not isinstance(body.get("detail"), str) or not body["detail"]:
        faults.append(f"{where}: type/detail not strings")
    if body.get("type") == "about:blank" and body.get("title") != HTTPStatus(response.status_code).phrase:
        faults.append(f"{where}: title {body.get('title')!r} is not the status phrase")
    if response.status_code == 422:
        faults.extend(f"{where}: {fault}" for fault in _error_list_faults(body.get("errors")))
    return faults


def _error_list_faults(errors: Any) -> list[str]:
    if not isinstance(errors, list) or not errors:
        return [f"errors is not a non-empty list: {errors!r}"]
    faults = []
    for error in errors:
        if not isinstance(error, dict) or set(error) != {"loc", "msg"}:
            faults.append(f"error {error!r} is not exactly {{loc, msg}}")
        elif not isinstance(error["msg"], str) or not isinstance(error["loc"], list):
            faults.append(f"error {error!r}: loc not a list or msg not a string")
        elif not all(isinstance(part, str | int) for part in error["loc"]):
            faults.append(f"error {error!r}: loc parts not str/int")
    return faults


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    faults = problem_faults(response, status)
    assert not faults, "\n".join(faults)
    body: dict[str, Any] = response.json()
    return body


def assert_time_limit_problem(response: Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["status"] == 503
    assert "time limit" in body["detail"]
    assert "SELECT" not in body["detail"]
