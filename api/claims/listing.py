"""Claims as a listed resource: filters, query, sort keys and the one shaping of a claim row."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import Field, StringConstraints, WithJsonSchema
from sqlalchemy import Connection, Select, Table, func, select, text
from sqlmodel import col

from api.auth.access import (
    CLAIM_KEPT,
    RESTRICTED,
    Audience,
    current_audience,
    sees_restricted,
    visible_columns,
    visible_rows,
    withhold,
)
from api.claims.order import key_bound, keys_in_id_order
from api.claims.schemas import ClaimPublic
from api.claims.support import support_record
from api.facilities.merges import follow_merges
from api.kit.inlist import is_any_of
from api.kit.listing import Listing
from api.kit.paging import KeyOrderedKeyset, Keyset, Sort, SortKey
from api.kit.params import MAX_FILTER_VALUES, any_of_text, distinct
from api.kit.planner import rare
from api.kit.schemas import as_number, iso
from api.kit.search import (
    SearchIndex,
    count_matches,
    matches,
    matches_in_key_order,
    matches_in_rowid_order,
    with_bigrams,
    worth_reading_in_order,
)
from api.vocabulary import PREDICATES, Reliability, Status
from models import Claim, Report

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
    "support_sources": "support",
    "support_agreeing": "support",
    "support_agreeing_count": "support",
    "support_conflicting": "support",
    "support_conflicting_count": "support",
    "support_conflicting_sources": "support",
}


def claim_columns(*columns: Any) -> list[Any]:
    """Claim columns (default: what a claim answer reads) as the current audience may read them."""
    if columns:
        return visible_columns(columns, CLAIM_KEPT, _RESTRICTED, _FIELDS)
    # The default columns, built once per audience: their dozen CASE expressions were built twice per
    # search request (about half a millisecond of CPU, profiled).
    audience = current_audience()
    built = _ANSWER_COLUMNS.get(audience)
    if built is None:
        built = _ANSWER_COLUMNS[audience] = visible_columns(_COLUMNS, CLAIM_KEPT, _RESTRICTED, _FIELDS)
    return list(built)


_ANSWER_COLUMNS: dict[Audience, list[Any]] = {}


# Claim search: the quote and the subject (FTS5 table `claim_fts`, keyed by the claim's `id_order`, an
# integer that sorts as the id does: `api.claims.order`).
CLAIM_SEARCH = SearchIndex("claim_fts", "rowid", col(Claim.id_order), col(Claim.search_text))


def claim_search_text(quote: str, subject: str | None) -> str:
    """What claim search reads: the quote and the subject."""
    return with_bigrams("\n".join(part for part in (quote, subject) if part))


PREDICATE_PATTERN = "^(" + "|".join(sorted(PREDICATES)) + ")$"
Predicate = Annotated[str, StringConstraints(pattern=PREDICATE_PATTERN)]
# In OpenAPI a status filter is a string of a pattern, as every other filter is: an `enum` there makes
# generated clients take only their own enum class, so `status=["reported"]` would fail in the client
# where `predicate=["worker_count"]` works. The server still checks it as a Status.
StatusFilter = Annotated[
    Status,
    WithJsonSchema({"type": "string", "pattern": "^(" + "|".join(sorted(Status)) + ")$"}),
]


@dataclass(frozen=True)
class ClaimFilters:
    """The claim filters, validated; a tuple holds the values of an "any of" (several values)."""

    facility_id: str | None = None
    report_id: str | None = None
    predicate: tuple[str, ...] = ()
    status: tuple[Status, ...] = ()
    q: str | None = None
    min_sources: int | None = None
    reliability: tuple[Reliability, ...] = ()
    credibility: tuple[int, ...] = ()


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
MinSourcesQuery = Query(
    ge=0,
    le=1_000_000,
    description="Only worker figures at least this many independent sources support (`support.sources`).",
    examples=[2],
)
ReliabilityQuery = Query(
    max_length=MAX_FILTER_VALUES,
    description="The Admiralty reliability of the claim's report, A..F. "
    + any_of_text("reliability", "A", "B"),
    examples=[["A"]],
)
CredibilityQuery = Query(
    max_length=MAX_FILTER_VALUES,
    description="The Admiralty credibility of the claim, 1..6. " + any_of_text("credibility", "1", "2"),
    examples=[[1]],
)
Grade = Annotated[int, Field(ge=1, le=6)]
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
    status: Annotated[list[StatusFilter] | None, StatusQuery] = None,
    q: Annotated[str | None, QQuery] = None,
    min_sources: Annotated[int | None, MinSourcesQuery] = None,
    reliability: Annotated[list[Reliability] | None, ReliabilityQuery] = None,
    credibility: Annotated[list[Grade] | None, CredibilityQuery] = None,
) -> ClaimFilters:
    """Collect the claim filters."""
    return ClaimFilters(
        facility_id,
        report_id,
        distinct(predicate),
        distinct(status),
        q,
        min_sources,
        distinct(reliability),
        distinct(credibility),
    )


async def claim_subfilters(
    predicate: Annotated[list[Predicate] | None, PredicateQuery] = None,
    status: Annotated[list[StatusFilter] | None, StatusQuery] = None,
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
    if filters.min_sources is not None:
        wanted = c.support_sources >= filters.min_sources
        query = query.where(rare(wanted, db.dialect.name) if filters.min_sources >= 2 else wanted)
    if filters.credibility:
        query = query.where(is_any_of(c.credibility, filters.credibility))
    if filters.reliability:
        graded = select(col(Report.id)).where(
            is_any_of(
                Report.__table__.c.reliability,  # type: ignore[attr-defined]
                [grade.value for grade in filters.reliability],
            )
        )
        query = query.where(c.report_id.in_(graded))
    return query


def _text_only(filters: ClaimFilters) -> bool:
    """Whether `q` is the only filter (with no other, the full-text index alone holds the matches).

    Compared with the empty filters, so a filter added to `ClaimFilters` is never ignored here.
    """
    return bool(filters.q and filters.q.strip()) and replace(filters, q=None) == ClaimFilters()


def claim_count(filters: ClaimFilters, db: Connection) -> Select[Any] | None:
    """The count of matches from the full-text index alone when `q` is the only filter (else None).

    Only a search over every claim: any other filter (a field of `ClaimFilters`) counts the usual way.
    """
    if not _text_only(filters):
        return None
    if not sees_restricted() and _any_restricted(db):
        return None  # the index holds restricted claims' text too: a public count goes through the claims
    return count_matches(CLAIM_SEARCH, filters.q or "", db.dialect.name)


# Spelled as the partial index of the restricted reports is (migration 0012): PostgreSQL's generic plan
# of a prepared statement would not use that index for a bound parameter, and read every report instead.
_RESTRICTED_REPORT = text(f"report.access = '{RESTRICTED}'")


def any_restricted_query() -> Select[Any]:
    """One restricted report's id, if any: read from the partial index of the restricted reports."""
    reports: Table = Report.__table__  # type: ignore[attr-defined]
    return select(reports.c.id).where(_RESTRICTED_REPORT).limit(1)


def _any_restricted(db: Connection) -> bool:
    """Whether any report is restricted."""
    return db.execute(any_restricted_query()).first() is not None


def claim_reread(filters: ClaimFilters, db: Connection, sort: Sort, total: int, limit: int) -> Keyset | None:
    """On SQLite, a search page sorted by id read faster than `claim_query` reads it (else None).

    `claim_query` makes SQLite collect and sort every match before it sends a page. When `q` is the
    only filter and every claim's full-text rowid sorts as its id (`api.claims.order`), the page is read
    from the FTS5 table in rowid order and stops after it. Otherwise, when a large share of the claims
    match, walking the id index and looking each claim up among the matches is faster than sorting.
    """
    if db.dialect.name != "sqlite" or not (filters.q and filters.q.strip()) or sort.key.column != "id":
        return None
    if _text_only(filters) and keys_in_id_order(db):
        rows = select(*claim_columns()).where(visible_rows(_RESTRICTED))
        query, rowid = matches_in_rowid_order(CLAIM_SEARCH, filters.q, rows)
        return KeyOrderedKeyset(query, sort, "id", rowid, key_bound)
    count = db.scalar(select(func.max(_CLAIM.c.pk))) or 0  # the rowid's maximum: one seek
    if not worth_reading_in_order(total, count, limit):
        return None
    query = claim_query(replace(filters, q=None), db)
    return Keyset(
        query.where(matches_in_key_order(CLAIM_SEARCH, filters.q), visible_rows(_RESTRICTED)), sort, "id"
    )


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
        "high": as_number(row.high) if row.high is not None else None,
        "unit": row.unit,
        "approximate": row.approximate,
        "period": {"start": iso(row.period_start), "end": iso(row.period_end)} if has_period else None,
        "quote": row.quote,
        "span": span,
        "attributed_to": row.attributed_to,
        "evidence": row.evidence,
        "status": row.status,
        "notes": row.notes,
        "credibility": row.credibility,
        "support": support_record(row),
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
        "sources": SortKey("support_sources", "int"),
    },
    slow=lambda filters: bool(filters.q and filters.q.strip()),
    count=claim_count,
    reread=claim_reread,
    remember_totals=True,
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
