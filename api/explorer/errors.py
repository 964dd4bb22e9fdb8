"""Errors on the explorer's pages answer as HTML pages for people; elsewhere they stay problem documents.

The API's handlers (`api.errors`) still decide the status, the detail and the headers: under the
explorer's paths their problem document is only rendered as a page, so both say the same.
"""

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

from api.explorer import is_page
from api.explorer.pages import page

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]
# Headers of a problem answer that a page keeps (the rest describe the JSON body).
KEPT_HEADERS = ("allow", "retry-after", "www-authenticate", "location")
FILTERS_NOT_UNDERSTOOD = "A filter was not understood. Change it, or clear the filters, and filter again."


# What each query parameter of the explorer's pages takes, in words: a 422 page says this rather than
# a validator's message (a regular expression means nothing to a reader).
EXPECTED: dict[str, str] = {
    "country": "a country is two letters, e.g. RU",
    "operator_country": "a country is two letters, e.g. KP",
    "min_workers": "a number of workers, e.g. 50",
    "max_workers": "a number of workers, e.g. 500",
    "as_of": "a date, year-month-day, e.g. 2024-05-03",
    "published_from": "a date, year-month-day, e.g. 2024-05-03",
    "published_to": "a date, year-month-day, e.g. 2024-05-03",
    "bbox": "four numbers, west,south,east,north in degrees, e.g. 30,40,140,70",
    "limit": "a number of rows from 1 to 500",
    "offset": "a number of rows to skip, 0 or more",
    "sort": "a column to sort by: choose a column's heading instead",
    "cursor": "the position a Next page link carries: follow the link instead",
    "q": "words to search for, at most 500 characters",
    "city": "a city's name, at most 200 characters",
    "region": "a region's name, at most 200 characters",
    "sector": "a sector, at most 50 characters, e.g. garment",
    "kind": "a kind of facility, at most 50 characters, e.g. factory",
    "publisher": "a publisher's name, at most 200 characters",
    "report_id": "a report's id, as in its address",
    "format": "json, csv, ndjson or geojson",
}


def in_words(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Each error of a query parameter as a reader can act on it: the parameter and what it takes."""
    said = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", [])]
        name = loc[1] if len(loc) > 1 and loc[0] == "query" else ".".join(loc)
        message = str(error.get("msg", ""))
        if "unknown" in message:
            words = "this page takes no such filter"
        else:
            words = EXPECTED.get(name) or ("not in the expected form" if "pattern" in message else message)
        said.append({"name": name, "words": words})
    return said


def _as_page(handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        answer = handler(request, exc)
        response = await answer if isinstance(answer, Awaitable) else answer
        if not is_page(request.url.path) or response.status_code < 400:
            return response
        problem: dict[str, Any] = orjson.loads(bytes(response.body))
        status = response.status_code
        rendered = page(
            request,
            "error.html",
            status_code=status,
            status=status,
            title=problem.get("title") or HTTPStatus(status).phrase,
            # A bad filter is said in words, per parameter; other errors keep the problem's detail.
            detail=FILTERS_NOT_UNDERSTOOD
            if status == 422 and problem.get("errors")
            else problem.get("detail", ""),
            errors=in_words(problem.get("errors") or []),
        )
        for name in KEPT_HEADERS:
            if name in response.headers:
                rendered.headers[name] = response.headers[name]
        return rendered

    return handle


def install_page_errors(app: FastAPI) -> None:
    """Wrap every error handler installed so far so that the explorer's pages answer errors in HTML."""
    for key, handler in list(app.exception_handlers.items()):
        app.add_exception_handler(key, _as_page(handler))
