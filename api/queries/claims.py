"""Claim queries: filters, sort allow-list and serialization into the public shape."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import Select, Table, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from api.queries.paging import SortKey
from api.queries.search import matches
from api.schemas import ClaimPublic, Period, Span, as_number
from api.vocabulary import PREDICATES, Evidence, Status
from models import Claim, FacilityRedirect

CLAIM_SORTS: dict[str, SortKey] = {
    "id": SortKey(col(Claim.id), "str"),
    "report_id": SortKey(col(Claim.report_id), "str"),
    "facility_id": SortKey(col(Claim.facility_id), "str"),
    "predicate": SortKey(col(Claim.predicate), "str"),
    "value": SortKey(col(Claim.value_number), "float"),
    "status": SortKey(col(Claim.status), "str"),
    "evidence": SortKey(col(Claim.evidence), "str"),
    "period_start": SortKey(col(Claim.period_start), "date"),
    "period_end": SortKey(col(Claim.period_end), "date"),
    "dated_on": SortKey(col(Claim.dated_on), "date"),
}

PREDICATE_PATTERN = "^(" + "|".join(sorted(PREDICATES)) + ")$"


@dataclass(frozen=True)
class ClaimFilters:
    """The claim filters of contract section 3, validated."""

    facility_id: str | None = None
    report_id: str | None = None
    predicate: str | None = None
    status: Status | None = None
    q: str | None = None


QQuery = Query(
    max_length=500,
    description='Full text over quote and subject; every word must match, "quoted words" as a phrase.',
    examples=["sleep four hours"],
)
PredicateQuery = Query(
    pattern=PREDICATE_PATTERN, description="A predicate of the vocabulary.", examples=["worker_count"]
)
StatusQuery = Query(description="Claim status.", examples=["reported"])


async def claim_filters(
    facility_id: Annotated[
        str | None,
        Query(
            max_length=128,
            description="Only claims about this facility.",
            examples=["irkutsk-dprk-garment-factory"],
        ),
    ] = None,
    report_id: Annotated[
        str | None,
        Query(
            max_length=128,
            description="Only claims of this report.",
            examples=["dailynk-garment-orders-russia"],
        ),
    ] = None,
    predicate: Annotated[str | None, PredicateQuery] = None,
    status: Annotated[Status | None, StatusQuery] = None,
    q: Annotated[str | None, QQuery] = None,
) -> ClaimFilters:
    """Collect the claim filters."""
    return ClaimFilters(facility_id, report_id, predicate, status, q)


async def claim_subfilters(
    predicate: Annotated[str | None, PredicateQuery] = None,
    status: Annotated[Status | None, StatusQuery] = None,
    q: Annotated[str | None, QQuery] = None,
) -> ClaimFilters:
    """Collect the filters of a sub-list (`/reports/{id}/claims`, `/facilities/{id}/claims`)."""
    return ClaimFilters(predicate=predicate, status=status, q=q)


ClaimFiltersDep = Annotated[ClaimFilters, Depends(claim_filters)]
ClaimSubfiltersDep = Annotated[ClaimFilters, Depends(claim_subfilters)]


def claim_query(filters: ClaimFilters, dialect: str) -> Select[Any]:
    """Select claims matching `filters` (unordered)."""
    query = select(Claim)
    if filters.facility_id:
        # A merged facility's id still finds its claims, now filed under the survivor.
        merged_into = select(col(FacilityRedirect.facility_id)).where(
            col(FacilityRedirect.old_id) == filters.facility_id
        )
        query = query.where(
            col(Claim.facility_id) == func.coalesce(merged_into.scalar_subquery(), filters.facility_id)
        )
    if filters.report_id:
        query = query.where(col(Claim.report_id) == filters.report_id)
    if filters.predicate:
        query = query.where(col(Claim.predicate) == filters.predicate)
    if filters.status:
        query = query.where(col(Claim.status) == filters.status.value)
    if filters.q is not None and filters.q.strip():
        query = query.where(matches("claim", filters.q, dialect))
    return query


def to_public(claim: Claim) -> ClaimPublic:
    """Shape one claim row as the contract's Claim."""
    has_period = claim.period_start is not None or claim.period_end is not None
    return ClaimPublic(
        id=claim.id,
        report_id=claim.report_id,
        facility_id=claim.facility_id,
        subject=claim.subject,
        predicate=claim.predicate,
        value=as_number(claim.value_number) if claim.value_number is not None else claim.value_text,
        unit=claim.unit,
        approximate=claim.approximate,
        period=Period(start=claim.period_start, end=claim.period_end) if has_period else None,
        quote=claim.quote,
        span=Span(start=claim.span_start, end=claim.span_end),
        attributed_to=claim.attributed_to,
        evidence=Evidence(claim.evidence),
        status=Status(claim.status),
        notes=claim.notes,
    )


def serialize_claims(_session: Session, rows: Sequence[Any]) -> list[ClaimPublic]:
    """Shape rows whose first column is a claim."""
    return [to_public(row[0]) for row in rows]


# What a claim export reads: plain columns, no ORM objects (they cost as much again as the SQL).
_CLAIM_TABLE: Table = Claim.__table__  # type: ignore[attr-defined]
EXPORT_COLUMNS = [c for c in _CLAIM_TABLE.columns if c.name not in ("pk", "search_text", "position")]


def claim_record(claim: Any) -> dict[str, Any]:
    """The JSON form of a claim built directly, for exports: equal to `to_public(claim)` dumped as JSON.

    `claim` is a claim or a row of `EXPORT_COLUMNS`. Exports of a million claims spend most of their
    time shaping rows, and this skips validating what the database holds (tests compare both forms).
    """
    has_period = claim.period_start is not None or claim.period_end is not None
    value: Any = claim.value_text
    if claim.value_number is not None:
        value = as_number(claim.value_number)
    return {
        "id": claim.id,
        "report_id": claim.report_id,
        "facility_id": claim.facility_id,
        "subject": claim.subject,
        "predicate": claim.predicate,
        "value": value,
        "unit": claim.unit,
        "approximate": claim.approximate,
        "period": {
            "start": claim.period_start.isoformat() if claim.period_start else None,
            "end": claim.period_end.isoformat() if claim.period_end else None,
        }
        if has_period
        else None,
        "quote": claim.quote,
        "span": {"start": claim.span_start, "end": claim.span_end},
        "attributed_to": claim.attributed_to,
        "evidence": claim.evidence,
        "status": claim.status,
        "notes": claim.notes,
    }


def export_claims(_session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Shape rows of `EXPORT_COLUMNS` as JSON-ready dicts (the export path)."""
    return [claim_record(row) for row in rows]
