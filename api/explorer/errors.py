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
            detail=problem.get("detail", ""),
            errors=problem.get("errors") or [],
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
