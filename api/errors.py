"""Domain errors and their mapping to RFC 9457 problem documents, in one place."""

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, InternalError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from api.kit.urls import facility_moved_to

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Seconds a client is asked to wait before retrying a 429 or 503 (`Retry-After`).
RETRY_AFTER_SECONDS = 5
# Errors a 422 lists when no setting is at hand (`LABORWATCH_MAX_VALIDATION_ERRORS` is its setting).
DEFAULT_MOST_ERRORS = 50
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1},
}
log = logging.getLogger("laborwatch")


class LaborwatchError(Exception):
    """Base of the errors laborwatch reports to clients; `status` is the HTTP status it maps to."""

    status = 500

    def __init__(self, detail: str, errors: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)


class NotFound(LaborwatchError):
    """The requested resource does not exist."""

    status = 404


class Conflict(LaborwatchError):
    """The request contradicts what is stored (same report id, another content)."""

    status = 409


class ReportExists(Conflict):
    """A bundle's report id is stored already with other content (a replacement is a separate write)."""

    def __init__(self, detail: str, report_id: str) -> None:
        super().__init__(detail)
        self.report_id = report_id

    def with_hint(self) -> str:
        """The detail with the way to replace the report, as the API and the command line tell it."""
        return f"{self.detail.removesuffix('.')}; replace it with PUT /v1/reports/{self.report_id}."


class UnsupportedMediaType(LaborwatchError):
    """A request body in a format the route does not read."""

    status = 415


class Unauthorized(LaborwatchError):
    """A write without a valid key."""

    status = 401


class Forbidden(LaborwatchError):
    """A valid key whose role does not allow the write (an editor deleting or merging)."""

    status = 403


class TooManyRequests(LaborwatchError):
    """Over a rate limit; `retry_after` is the seconds until the window frees."""

    status = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Merged(LaborwatchError):
    """The facility asked for was merged into another: answered 308 to the same path under the survivor."""

    status = 308

    def __init__(self, detail: str, old_id: str, survivor_id: str) -> None:
        super().__init__(detail)
        self.old_id = old_id
        self.survivor_id = survivor_id


class InvalidBundle(LaborwatchError):
    """A bundle failed a check; `errors` names each offending place."""

    status = 422


class InvalidQuery(LaborwatchError):
    """A query parameter has a value that cannot be valid."""

    status = 422


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error is answered."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No facility with id 'nowhere'."])
    errors: list[dict[str, Any]] | None = Field(
        default=None,
        description="On 422: each problem as {loc, msg}.",
        examples=[[{"loc": ["query", "limit"], "msg": "..."}]],
    )
    more_errors: int | None = Field(
        default=None,
        description="On 422 with more problems than `errors` lists (`LABORWATCH_MAX_VALIDATION_ERRORS`): "
        "how many more there were.",
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries declaring problem documents for `statuses`."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if status in (429, 503):
            response["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
        responses[status] = response
    return responses


def problem(
    status: int,
    detail: str,
    errors: Sequence[dict[str, Any]] | None = None,
    *,
    retry_after: int = RETRY_AFTER_SECONDS,
    most_errors: int = DEFAULT_MOST_ERRORS,
    omitted: int = 0,
) -> JSONResponse:
    """Build an RFC 9457 problem response; `errors` (loc, msg) is added on validation failures.

    At most `most_errors` errors are listed, and `more_errors` counts the others (with `omitted`, those
    left out before): an answer stays small whatever a body held. A 429 or 503 says in `Retry-After`
    how many seconds to wait (`retry_after`).
    """
    content: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        content["errors"] = list(errors[:most_errors])
        more = max(0, len(errors) - most_errors) + omitted
        if more:
            content["more_errors"] = more
    response = JSONResponse(content, status_code=status, media_type=PROBLEM_MEDIA_TYPE)
    if status in (429, 503):
        response.headers["Retry-After"] = str(retry_after)
    return response


def _loc(loc: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def validation_errors(raw: Sequence[Any]) -> list[dict[str, Any]]:
    """Reduce pydantic's error list to `{loc, msg}` pairs, dropping inputs that may be huge or secret."""
    return [{"loc": _loc(error.get("loc", ())), "msg": str(error.get("msg", ""))} for error in raw]


def most_errors(request: Request) -> int:
    """How many errors a 422 to `request` lists: the app's setting."""
    settings = getattr(request.app.state, "settings", None)
    most: int = getattr(settings, "max_validation_errors", DEFAULT_MOST_ERRORS)
    return most


def error_problem(exc: LaborwatchError, most: int = DEFAULT_MOST_ERRORS) -> JSONResponse:
    """The problem document of a domain error, with the headers its status calls for."""
    retry_after = exc.retry_after if isinstance(exc, TooManyRequests) else RETRY_AFTER_SECONDS
    errors = exc.errors if exc.status == 422 else None
    response = problem(exc.status, exc.detail, errors, retry_after=retry_after, most_errors=most)
    if isinstance(exc, Unauthorized):
        response.headers["WWW-Authenticate"] = 'Bearer realm="laborwatch"'
    return response


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LaborwatchError)  # noqa: S101 - registered for this class only
    response = error_problem(exc, most_errors(request))
    if isinstance(exc, Merged):
        response.headers["Location"] = facility_moved_to(request, exc.old_id, exc.survivor_id)
    return response


def _allowed_methods(request: Request) -> str:
    """Every method served at the request's path (one route per method, so the router names only one)."""
    methods = {
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.routes
        )
    }
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    if exc.status_code == 404 and detail == "Not Found":
        detail = "No resource at this path."
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
        detail = f"This path answers {headers['Allow']}."
    response = problem(exc.status_code, detail, [] if exc.status_code == 422 else None)
    for name, value in headers.items():
        response.headers[name] = value
    return response


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    raw = exc.errors()
    most = most_errors(request)
    errors = validation_errors(raw[:most])  # the others are only counted
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    detail = f"Invalid request: {where}: {first['msg']}"
    return problem(422, detail, errors, most_errors=most, omitted=len(raw) - len(errors))


def statement_timed_out(exc: BaseException) -> bool:
    """Tell whether a database error is a statement stopped by the time limit (or cancelled)."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "57014":  # PostgreSQL query_canceled (statement_timeout)
        return True
    return getattr(orig, "sqlite_errorname", None) == "SQLITE_INTERRUPT"


def read_only_database(exc: BaseException) -> bool:
    """Tell whether a write reached a read-only database (a PostgreSQL hot standby, a read-only role)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "25006"


def tables_missing(exc: BaseException) -> bool:
    """Tell whether PostgreSQL found no table or schema (a database being restored, or not yet migrated).

    SQLite reports the same as an `OperationalError` ("no such table"), so both backends answer alike.
    """
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("42P01", "3F000")


def is_unavailable(exc: BaseException) -> bool:
    """Tell whether an error means the database cannot answer now (down, locked, busy, too slow)."""
    return isinstance(exc, OperationalError | PoolTimeout) or read_only_database(exc) or tables_missing(exc)


def unavailable_problem(exc: BaseException) -> JSONResponse:
    """The 503 answering a database error for which `is_unavailable` holds."""
    if statement_timed_out(exc):
        log.warning("statement stopped by the time limit")
        return problem(
            503, "The query ran past the statement time limit; narrow the filters or try again later."
        )
    if read_only_database(exc):
        log.error("a write reached a read-only database")
        return problem(503, "This server reads from a read-only copy of the database; it takes no writes.")
    if isinstance(exc, PoolTimeout):
        log.error("no database connection came free in time")
        return problem(503, "The server is busy: no database connection came free in time; try again.")
    log.error("database unavailable: %s", exc.__class__.__name__)
    return problem(503, "The database is not answering; try again shortly.")


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    return unavailable_problem(exc)


async def _value_does_not_fit(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("value refused by the database: %s", exc.__class__.__name__)
    return problem(422, "A value does not fit what the database stores (too long or out of range).", [])


async def _client_gone(_request: Request, _exc: Exception) -> JSONResponse:
    # Nobody reads this answer: the client left, and its statement was cancelled (`api.deps.Reader`).
    log.info("client disconnected; its query was cancelled")
    return problem(503, "The client closed the connection before the answer was ready.")


def unexpected_problem(exc: Exception) -> JSONResponse:
    """The answer to an error nothing else handled: 503 for a database outage, else a logged 500."""
    if is_unavailable(exc):
        return unavailable_problem(exc)
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "The server failed to answer this request; the error has been logged.")


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    return unexpected_problem(exc)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error the app can raise answer as a problem document."""
    app.add_exception_handler(LaborwatchError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(InternalError, _unexpected_error)  # 503 when read-only, else 500
    app.add_exception_handler(ProgrammingError, _unexpected_error)  # 503 when tables are missing, else 500
    app.add_exception_handler(DataError, _value_does_not_fit)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected_error)
