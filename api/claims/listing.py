"""Claims as a listed resource: filters, query, sort keys and the one shaping of a claim row."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import StringConstraints
from sqlalchemy import Connection, Select, Table, select
from sqlmodel import col

from api.auth.access import CLAIM_KEPT, visible_columns, visible_rows, withhold
from api.claims.schemas import ClaimPublic
from api.facilities.merges import follow_merges
from api.kit.inlist import is_any_of
from api.kit.listing import Listing
from api.kit.paging import SortKey
from api.kit.params import MAX_FILTER_VALUES, any_of_text, distinct
from api.kit.schemas import as_number, iso
from api.kit.search import SearchIndex, matches
from api.vocabulary import PREDICATES, Status
from models import Claim

_CLAIM: Table = Claim.__table__  # type: ignore[attr-defined]
# What a claim answer reads: plain columns, no ORM objects (they cost as much again as the SQL).
_COLUMNS = [c for c in _CLAIM.columns if c.name not in ("pk", "search_text", "position")]
_RESTRICTED = _CLAIM.c.restricted


# The field of a claim each column makes, where it is not the column's name (`claim_record`).
_FIELDS = {
    "value_number": "value",
    "value_text": "value",
    "period_start": "period",
    "period_end": "period",
    "dated_on": "period",
    "span_start": "span",
    "span_end": "span",
    "restricted": "access",
}


def claim_columns(*columns: Any) -> list[Any]:
    """Claim columns (default: what a claim answer reads) as the current audience may read them."""
    return visible_columns(columns or _COLUMNS, CLAIM_KEPT, _RESTRICTED, _FIELDS)


# Claim search: the quote and the subject (FTS5 table `claim_fts`, keyed by the claim's rowid `pk`).
CLAIM_SEARCH = SearchIndex("claim_fts", "rowid", col(Claim.pk), col(Claim.search_text))


def claim_search_text(quote: str, subject: str | None) -> str:
    """What claim search reads: the quote and the subject."""
    return "\n".join(part for part in (quote, subject) if part)


PREDICATE_PATTERN = "^(" + "|".join(sorted(PREDICATES)) + ")$"
Predicate = Annotated[str, StringConstraints(pattern=PREDICATE_PATTERN)]


@dataclass(frozen=True)
class ClaimFilters:
    """The claim filters, validated; a tuple holds the values of an "any of" (several values)."""

    facility_id: str | None = None
    report_id: str | None = None
    predicate: tuple[str, ...] = ()
    status: tuple[Status, ...] = ()
    q: str | None = None


QQuery = Query(
    max_length=500,
    description='Full text over quote and subject; every word must match, "quoted words" as a phrase.',
    examples=["sleep four hours"],
)
PredicateQuery = Query(
    max_length=MAX_FILTER_VALUES,
    description="A predicate of the vocabulary. " + any_of_text("predicate", "worker_count", "wages"),
    examples=[["worker_count"]],
)
StatusQuery = Query(
    max_length=MAX_FILTER_VALUES,
    description="Claim status. " + any_of_text("status", "reported", "corroborated"),
    examples=[["reported"]],
)


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
    predicate: Annotated[list[Predicate] | None, PredicateQuery] = None,
    status: Annotated[list[Status] | None, StatusQuery] = None,
    q: Annotated[str | None, QQuery] = None,
) -> ClaimFilters:
    """Collect the claim filters."""
    return ClaimFilters(facility_id, report_id, distinct(predicate), distinct(status), q)


async def claim_subfilters(
    predicate: Annotated[list[Predicate] | None, PredicateQuery] = None,
    status: Annotated[list[Status] | None, StatusQuery] = None,
    q: Annotated[str | None, QQuery] = None,
) -> ClaimFilters:
    """Collect the filters of a sub-list (`/reports/{id}/claims`, `/facilities/{id}/claims`)."""
    return ClaimFilters(predicate=distinct(predicate), status=distinct(status), q=q)


ClaimFiltersDep = Annotated[ClaimFilters, Depends(claim_filters)]
ClaimSubfiltersDep = Annotated[ClaimFilters, Depends(claim_subfilters)]


def claim_query(filters: ClaimFilters, db: Connection) -> Select[Any]:
    """Select the claims matching `filters` (unordered)."""
    query = select(*claim_columns())
    c = _CLAIM.c
    if filters.facility_id:
        # A merged facility's id still finds its claims, now filed under the survivor.
        facility_id = follow_merges(db, [filters.facility_id]).get(filters.facility_id, filters.facility_id)
        query = query.where(c.facility_id == facility_id)
    if filters.report_id:
        query = query.where(c.report_id == filters.report_id)
    if filters.predicate:
        query = query.where(is_any_of(c.predicate, filters.predicate))
    if filters.status:
        query = query.where(is_any_of(c.status, [status.value for status in filters.status]))
    if filters.q is not None and filters.q.strip():
        # Quote and subject are withheld text: a public query never matches a restricted claim.
        query = query.where(matches(CLAIM_SEARCH, filters.q, db.dialect.name), visible_rows(_RESTRICTED))
    return query


def claim_record(row: Any) -> dict[str, Any]:
    """The Claim as JSON gives it, from a row of `claim_query`: the one shaping of a claim.

    Withheld as the audience requires (`api.auth.access`).
    """
    has_period = row.period_start is not None or row.period_end is not None
    span = {"start": row.span_start, "end": row.span_end} if row.span_start is not None else None
    record: dict[str, Any] = {
        "id": row.id,
        "report_id": row.report_id,
        "facility_id": row.facility_id,
        "subject": row.subject,
        "predicate": row.predicate,
        "value": as_number(row.value_number) if row.value_number is not None else row.value_text,
        "unit": row.unit,
        "approximate": row.approximate,
        "period": {"start": iso(row.period_start), "end": iso(row.period_end)} if has_period else None,
        "quote": row.quote,
        "span": span,
        "attributed_to": row.attributed_to,
        "evidence": row.evidence,
        "status": row.status,
        "notes": row.notes,
    }
    return withhold(record, CLAIM_KEPT, row.restricted)


def shape_claims(_db: Connection, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Shape rows of `claim_query`."""
    return [claim_record(row) for row in rows]


CLAIMS: Listing[ClaimFilters] = Listing(
    name="claims",
    item=ClaimPublic,
    query=claim_query,
    shape=shape_claims,
    sorts={
        "id": SortKey("id", "str"),
        "report_id": SortKey("report_id", "str"),
        "facility_id": SortKey("facility_id", "str"),
        "predicate": SortKey("predicate", "str"),
        "value": SortKey("value_number", "float"),
        "status": SortKey("status", "str"),
        "evidence": SortKey("evidence", "str"),
        "period_start": SortKey("period_start", "date"),
        "period_end": SortKey("period_end", "date"),
        "dated_on": SortKey("dated_on", "date"),
    },
    slow=lambda filters: bool(filters.q and filters.q.strip()),
)


def claim_by_id(db: Connection, claim_id: str) -> dict[str, Any] | None:
    """One claim in its public shape, or None when no claim has this id."""
    row = db.execute(select(*claim_columns()).where(_CLAIM.c.id == claim_id)).first()
    return claim_record(row) if row is not None else None


def claims_of_report(db: Connection, report_id: str) -> list[dict[str, Any]]:
    """Every claim of a report in the order its bundle gives them."""
    rows = db.execute(
        select(*claim_columns()).where(_CLAIM.c.report_id == report_id).order_by(_CLAIM.c.position)
    )
    return [claim_record(row) for row in rows]


def claims_of_facility(db: Connection, facility_id: str, limit: int | None = None) -> list[dict[str, Any]]:
    """The claims about a facility (the first `limit`): dated ones by date, then undated, in ingest order."""
    c = _CLAIM.c
    query = claim_query(ClaimFilters(facility_id=facility_id), db)
    rows = db.execute(query.order_by(c.dated_on.is_(None), c.dated_on, c.pk).limit(limit))
    return [claim_record(row) for row in rows]
