"""Shared pieces of the write routes: the bundle body, serializing what was written, integrity errors."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from fastapi import Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from api.errors import Conflict, UnsupportedMediaType, problem_responses
from api.ingest.bundle import Bundle
from api.ingest.loader import LoadResult
from api.queries.claims import ClaimFilters, claim_query, serialize_claims
from api.queries.facilities import FacilityFilters, facility_query, serialize_facilities
from api.queries.reports import serialize_report_detail
from api.schemas import WriteResult
from models import Claim, Facility, Report

WRITE_ERRORS = problem_responses(400, 401, 409, 413, 415, 422)


async def require_json(request: Request) -> None:
    """Refuse a write whose body is not declared as JSON (`curl -d` sends a form by default)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"Send the body as JSON with `Content-Type: application/json` (got {media_type or 'none'!r})."
        )


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
) -> WriteResult:
    """Serialize the report a write produced, with its facilities and claims, from the open transaction."""
    report = session.get(Report, result.report_id)
    assert report is not None  # noqa: S101 - written (or found unchanged) in this transaction
    dialect = session.get_bind().dialect.name
    facilities_query, _sorts = facility_query(FacilityFilters(report_id=result.report_id), dialect)
    facility_rows = session.execute(facilities_query.order_by(col(Facility.id))).all()
    claim_rows = session.execute(
        claim_query(ClaimFilters(report_id=result.report_id), dialect).order_by(col(Claim.position))
    ).all()
    return WriteResult(
        status=status,
        dry_run=dry_run,
        report=serialize_report_detail(session, report),
        facilities=serialize_facilities(session, facility_rows),
        claims=serialize_claims(session, claim_rows),
    )
