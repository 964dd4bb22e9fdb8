"""Shared pieces of the write routes: the bundle body, serializing what was written, integrity errors."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.errors import Conflict, UnsupportedMediaType, problem_responses
from api.ingest.bundle import Bundle
from api.ingest.loader import BundleLimits, LoadResult
from api.resources.claims import claims_of_report
from api.resources.facilities import FacilityFilters, facility_query, shape_facilities
from api.resources.reports import report_by_id

WRITE_ERRORS = problem_responses(400, 401, 409, 413, 415, 422)


async def require_json(request: Request) -> None:
    """Refuse a write whose body is not declared as JSON (`curl -d` sends a form by default)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"Send the body as JSON with `Content-Type: application/json` (got {media_type or 'none'!r})."
        )


async def bundle_limits(request: Request) -> BundleLimits:
    """The caps on a bundle's work, from the app's settings."""
    return BundleLimits.of(request.app.state.settings)


BundleLimitsDep = Annotated[BundleLimits, Depends(bundle_limits)]


BUNDLE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A bundle (contract section 5) with the body inline as `report.body`.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Bundle"}}},
    }
}


def bundle_schema() -> dict[str, Any]:
    """The JSON schema of a bundle, for the OpenAPI components."""
    return Bundle.model_json_schema(ref_template="#/components/schemas/{model}")


@contextmanager
def integrity_as_conflict() -> Iterator[None]:
    """Turn a constraint violation (two writers racing on one id) into a 409, never a 500."""
    try:
        yield
    except IntegrityError:
        raise Conflict("Another write changed the same data at the same time; try again.") from None


def written(
    session: Session, result: LoadResult, *, status: Literal["added", "unchanged", "replaced"], dry_run: bool
) -> dict[str, Any]:
    """The WriteResult of a report write, shaped from the open transaction like every read answer."""
    db = session.connection()
    facilities = facility_query(FacilityFilters(report_id=result.report_id), db).order_by("id")
    return {
        "status": status,
        "dry_run": dry_run,
        "report": report_by_id(db, result.report_id),
        "facilities": shape_facilities(db, db.execute(facilities).all()),
        "claims": claims_of_report(db, result.report_id),
    }
