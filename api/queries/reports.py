"""Report queries: filters, sort allow-list and serialization into the public shape."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, defer
from sqlmodel import col

from api.errors import InvalidQuery
from api.queries.paging import SortKey
from api.queries.search import matches, same_text
from api.schemas import Contributor, ReportDetail, ReportPublic
from api.vocabulary import Role
from models import Report, ReportContributor, ReportFacility

REPORT_SORTS: dict[str, SortKey] = {
    "id": SortKey(col(Report.id), "str"),
    "title": SortKey(col(Report.title), "str"),
    "publisher": SortKey(col(Report.publisher), "str"),
    "published_on": SortKey(col(Report.published_on), "date"),
    "claim_count": SortKey(col(Report.claim_count), "int"),
}


@dataclass(frozen=True)
class ReportFilters:
    """The report filters of contract section 3, validated."""

    publisher: str | None = None
    published_from: date | None = None
    published_to: date | None = None
    q: str | None = None


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
) -> ReportFilters:
    """Collect and cross-check the report filters."""
    if published_from and published_to and published_from > published_to:
        raise InvalidQuery(
            "published_from is after published_to.",
            [{"loc": ["query", "published_from"], "msg": "must not be after published_to"}],
        )
    return ReportFilters(publisher, published_from, published_to, q)


ReportFiltersDep = Annotated[ReportFilters, Depends(report_filters)]


def report_query(filters: ReportFilters, dialect: str) -> Select[Any]:
    """Select reports (without their bodies) matching `filters` (unordered)."""
    query = select(Report).options(defer(Report.body))  # type: ignore[arg-type]
    if filters.publisher:
        query = query.where(same_text(Report.publisher, filters.publisher, dialect))
    if filters.published_from:
        query = query.where(col(Report.published_on) >= filters.published_from)
    if filters.published_to:
        query = query.where(col(Report.published_on) <= filters.published_to)
    if filters.q is not None and filters.q.strip():
        query = query.where(matches("report", filters.q, dialect))
    return query


def _related(
    session: Session, report_ids: Sequence[str]
) -> tuple[dict[str, list[Contributor]], dict[str, list[str]]]:
    contributors: dict[str, list[Contributor]] = defaultdict(list)
    facility_ids: dict[str, list[str]] = defaultdict(list)
    if report_ids:
        for report_id, name, role in session.execute(
            select(col(ReportContributor.report_id), col(ReportContributor.name), col(ReportContributor.role))
            .where(col(ReportContributor.report_id).in_(report_ids))
            .order_by(col(ReportContributor.report_id), col(ReportContributor.position))
        ):
            contributors[report_id].append(Contributor(name=name, role=Role(role)))
        for report_id, facility_id in session.execute(
            select(col(ReportFacility.report_id), col(ReportFacility.facility_id))
            .where(col(ReportFacility.report_id).in_(report_ids))
            .order_by(col(ReportFacility.report_id), col(ReportFacility.facility_id))
        ):
            facility_ids[report_id].append(facility_id)
    return contributors, facility_ids


def _fields(report: Report, contributors: list[Contributor], facility_ids: list[str]) -> dict[str, Any]:
    return {
        "id": report.id,
        "title": report.title,
        "publisher": report.publisher,
        "url": report.url,
        "published_on": report.published_on,
        "language": report.language,
        "contributors": contributors,
        "source": report.source,
        "sha256": report.sha256,
        "claim_count": report.claim_count,
        "facility_ids": facility_ids,
    }


def serialize_reports(session: Session, rows: Sequence[Any]) -> list[ReportPublic]:
    """Shape rows whose first column is a report (without body), fetching related rows in two queries."""
    reports: list[Report] = [row[0] for row in rows]
    contributors, facility_ids = _related(session, [report.id for report in reports])
    return [
        ReportPublic(**_fields(report, contributors.get(report.id, []), facility_ids.get(report.id, [])))
        for report in reports
    ]


def serialize_report_detail(session: Session, report: Report) -> ReportDetail:
    """Shape one report with its body."""
    contributors, facility_ids = _related(session, [report.id])
    return ReportDetail(
        **_fields(report, contributors.get(report.id, []), facility_ids.get(report.id, [])), body=report.body
    )
