"""Report routes: the list, one report with its body, and its claims."""

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlmodel import col

from api.deps import PagingDep, SessionDep, dialect_of
from api.errors import NotFound
from api.queries.claims import CLAIM_SORTS, ClaimSubfiltersDep, claim_query, serialize_claims
from api.queries.paging import fetch_page, parse_sort
from api.queries.reports import (
    REPORT_SORTS,
    ReportFiltersDep,
    report_query,
    serialize_report_detail,
    serialize_reports,
)
from api.routers.common import ITEM_ERRORS, LIST_ERRORS, envelope
from api.schemas import ClaimPublic, Page, ReportDetail, ReportPublic
from models import Claim, Report

router = APIRouter(prefix="/v1/reports", tags=["reports"])

ReportId = Path(description="The report's id.", examples=["dailynk-garment-orders-russia"], max_length=128)


@router.get("", responses=LIST_ERRORS)
def list_reports(
    request: Request, response: Response, session: SessionDep, paging: PagingDep, filters: ReportFiltersDep
) -> Page[ReportPublic]:
    """List reports (without bodies) matching every filter given, `id` order unless `sort` says otherwise.

    Sort fields: id, title, publisher, published_on, claim_count (prefix `-` for descending; reports
    without a date come last either way).
    """
    page = fetch_page(
        session,
        report_query(filters, dialect_of(session)),
        url=request.url,
        sort=parse_sort(paging.sort, REPORT_SORTS),
        id_column=col(Report.id),
        limit=paging.limit,
        offset=paging.offset,
        cursor_token=paging.cursor,
    )
    return envelope(response, page, serialize_reports(session, [row[0] for row in page.rows]))


def get_report_or_404(session: SessionDep, report_id: str) -> Report:
    """Return the report or raise `NotFound`."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"No report with id {report_id!r}.")
    return report


@router.get("/{report_id}", responses=ITEM_ERRORS)
def get_report(session: SessionDep, report_id: Annotated[str, ReportId]) -> ReportDetail:
    """One report with its full body, exactly as ingested (claim spans index into it)."""
    return serialize_report_detail(session, get_report_or_404(session, report_id))


@router.get("/{report_id}/claims", responses=ITEM_ERRORS | LIST_ERRORS)
def list_report_claims(
    request: Request,
    response: Response,
    session: SessionDep,
    paging: PagingDep,
    filters: ClaimSubfiltersDep,
    report_id: Annotated[str, ReportId],
) -> Page[ClaimPublic]:
    """The claims of one report (the claim filters and sorts apply too)."""
    get_report_or_404(session, report_id)
    scoped = replace(filters, report_id=report_id)
    page = fetch_page(
        session,
        claim_query(scoped, dialect_of(session)),
        url=request.url,
        sort=parse_sort(paging.sort, CLAIM_SORTS),
        id_column=col(Claim.id),
        limit=paging.limit,
        offset=paging.offset,
        cursor_token=paging.cursor,
    )
    return envelope(response, page, serialize_claims([row[0] for row in page.rows]))
