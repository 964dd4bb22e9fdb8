"""Reports as a listed resource: filters, query, sort keys and the one shaping of a report row."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import Connection, Select, Table, select
from sqlmodel import col

from api.auth.access import REPORT_KEPT, RESTRICTED, visible_columns, visible_rows, withhold
from api.errors import InvalidQuery
from api.kit.inlist import is_any_of
from api.kit.listing import Listing
from api.kit.paging import SortKey
from api.kit.params import MAX_FILTER_VALUES, any_of_text, distinct
from api.kit.schemas import iso
from api.kit.search import SearchIndex, fold, matches, with_bigrams
from api.reports.lineage import derivatives_of
from api.reports.schemas import ReportPublic
from api.vocabulary import Reliability
from models import Report, ReportContributor, ReportFacility

_REPORT: Table = Report.__table__  # type: ignore[attr-defined]
_LISTED = (
    "id", "access", "title", "publisher", "url", "published_on", "language", "source", "sha256",
    "claim_count", "derived_from", "derived_relation", "origin_id", "reliability",
)  # fmt: skip
_COLUMNS = [_REPORT.c[name] for name in _LISTED]
_RESTRICTED = _REPORT.c.access == RESTRICTED
# The fields the columns make whose names differ: lineage stays public (`api.auth.access.REPORT_KEPT`).
_FIELDS = {"derived_relation": "derived_from", "origin_id": "origin"}


def _columns(*extra: str) -> list[Any]:
    """The report columns (and `extra` ones) as the current audience may read them (`api.auth.access`)."""
    return visible_columns(
        [*_COLUMNS, *(_REPORT.c[name] for name in extra)], REPORT_KEPT, _RESTRICTED, _FIELDS
    )


# Report search: the title and the body (FTS5 table `report_fts`, keyed by id).
REPORT_SEARCH = SearchIndex("report_fts", "key", col(Report.id), col(Report.search_text))


def report_search_text(title: str, body: str) -> str:
    """What report search reads: the title and the body."""
    return with_bigrams(f"{title}\n{body}")


@dataclass(frozen=True)
class ReportFilters:
    """The report filters, validated."""

    publisher: str | None = None
    published_from: date | None = None
    published_to: date | None = None
    q: str | None = None
    origin: str | None = None
    reliability: tuple[Reliability, ...] = ()


async def report_filters(
    publisher: Annotated[
        str | None, Query(max_length=200, description="Publisher, any case.", examples=["Daily NK"])
    ] = None,
    published_from: Annotated[
        date | None, Query(description="Published on or after this date.", examples=["2023-01-01"])
    ] = None,
    published_to: Annotated[
        date | None, Query(description="Published on or before this date.", examples=["2023-12-31"])
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=500,
            description='Full text over title and body; every word must match, "quoted words" as a phrase.',
            examples=['"garment companies" Irkutsk'],
        ),
    ] = None,
    origin: Annotated[
        str | None,
        Query(
            max_length=128,
            description="Only reports whose chain of reprints, translations and citations starts at this "
            "report (the report itself included).",
            examples=["dailynk-garment-orders-russia"],
        ),
    ] = None,
    reliability: Annotated[
        list[Reliability] | None,
        Query(
            max_length=MAX_FILTER_VALUES,
            description="Admiralty reliability, A..F. " + any_of_text("reliability", "A", "B"),
            examples=[["A"]],
        ),
    ] = None,
) -> ReportFilters:
    """Collect and cross-check the report filters."""
    if published_from and published_to and published_from > published_to:
        raise InvalidQuery(
            "published_from is after published_to.",
            [{"loc": ["query", "published_from"], "msg": "must not be after published_to"}],
        )
    return ReportFilters(publisher, published_from, published_to, q, origin, distinct(reliability))


ReportFiltersDep = Annotated[ReportFilters, Depends(report_filters)]


def report_query(filters: ReportFilters, db: Connection) -> Select[Any]:
    """Select the reports (without their bodies) matching `filters` (unordered)."""
    query = select(*_columns())
    c = _REPORT.c
    if filters.publisher:
        query = query.where(c.publisher_fold == fold(filters.publisher))
    if filters.published_from:
        query = query.where(c.published_on >= filters.published_from)
    if filters.published_to:
        query = query.where(c.published_on <= filters.published_to)
    if filters.q is not None and filters.q.strip():
        # Title and body are withheld text: a public query never matches a restricted report.
        query = query.where(matches(REPORT_SEARCH, filters.q, db.dialect.name), visible_rows(_RESTRICTED))
    if filters.origin:
        query = query.where(c.origin_id == filters.origin)
    if filters.reliability:
        query = query.where(is_any_of(c.reliability, [grade.value for grade in filters.reliability]))
    return query


def _related(
    db: Connection, report_ids: Sequence[str]
) -> tuple[dict[str, list[dict[str, str]]], dict[str, list[str]]]:
    contributors: dict[str, list[dict[str, str]]] = defaultdict(list)
    facility_ids: dict[str, list[str]] = defaultdict(list)
    if report_ids:
        for report_id, name, role in db.execute(
            select(col(ReportContributor.report_id), col(ReportContributor.name), col(ReportContributor.role))
            .where(col(ReportContributor.report_id).in_(report_ids))
            .order_by(col(ReportContributor.report_id), col(ReportContributor.position))
        ):
            contributors[report_id].append({"name": name, "role": role})
        for report_id, facility_id in db.execute(
            select(col(ReportFacility.report_id), col(ReportFacility.facility_id))
            .where(col(ReportFacility.report_id).in_(report_ids))
            .order_by(col(ReportFacility.report_id), col(ReportFacility.facility_id))
        ):
            facility_ids[report_id].append(facility_id)
    return contributors, facility_ids


def report_record(
    row: Any, contributors: list[dict[str, str]], facility_ids: list[str], *, detail: bool = False
) -> dict[str, Any]:
    """The Report as JSON gives it, from a row of `report_query`: the one shaping of a report.

    With `body` when `detail` (the row has it); withheld as the audience requires (`api.auth.access`).
    """
    record: dict[str, Any] = {
        "id": row.id,
        "access": row.access,
        "title": row.title,
        "publisher": row.publisher,
        "url": row.url,
        "published_on": iso(row.published_on),
        "language": row.language,
        "contributors": contributors,
        "source": row.source,
        "sha256": row.sha256,
        "claim_count": row.claim_count,
        "facility_ids": facility_ids,
        "derived_from": {"report": row.derived_from, "relation": row.derived_relation}
        if row.derived_from
        else None,
        "origin": row.origin_id or row.id,
        "reliability": row.reliability,
    }
    if detail:
        record["body"] = row.body
    return withhold(record, REPORT_KEPT, row.access == RESTRICTED)


def shape_reports(db: Connection, rows: Sequence[Any], *, detail: bool = False) -> list[dict[str, Any]]:
    """Shape rows of `report_query` (with `body` when `detail`), fetching contributors and facilities."""
    contributors, facility_ids = _related(db, [row.id for row in rows])
    return [
        report_record(row, contributors.get(row.id, []), facility_ids.get(row.id, []), detail=detail)
        for row in rows
    ]


def report_query_with_body(filters: ReportFilters, db: Connection) -> Select[Any]:
    """`report_query` with each report's body (as the audience may read it), for `detail` shaping."""
    return report_query(filters, db).add_columns(*_columns("body")[len(_COLUMNS) :])


REPORTS: Listing[ReportFilters] = Listing(
    name="reports",
    item=ReportPublic,
    query=report_query,
    shape=shape_reports,
    sorts={
        "id": SortKey("id", "str"),
        "title": SortKey("title", "str"),
        "publisher": SortKey("publisher", "str"),
        "published_on": SortKey("published_on", "date"),
        "claim_count": SortKey("claim_count", "int"),
        "origin": SortKey("origin_id", "str"),
    },
    slow=lambda filters: bool(filters.q and filters.q.strip()),
    remember_totals=True,
)


def report_by_id(db: Connection, report_id: str) -> dict[str, Any] | None:
    """One report with its body (the detail view), or None when no report has this id."""
    row = db.execute(select(*_columns("body")).where(_REPORT.c.id == report_id)).first()
    if row is None:
        return None
    return {**shape_reports(db, [row], detail=True)[0], "derivatives": derivatives_of(db, report_id)}


def report_exists(db: Connection, report_id: str) -> bool:
    """Tell whether a report has this id."""
    return db.execute(select(_REPORT.c.id).where(_REPORT.c.id == report_id)).first() is not None


def reports_by_ids(db: Connection, report_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The reports (without bodies) of `report_ids` that exist, by id."""
    if not report_ids:
        return {}
    rows = db.execute(report_query(ReportFilters(), db).where(_REPORT.c.id.in_(set(report_ids)))).all()
    return {report["id"]: report for report in shape_reports(db, rows)}
