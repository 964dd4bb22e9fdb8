"""Report routes: the list, one report with its body, and its claims."""

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlmodel import col

from api.deps import EngineDep, PagingDep, SessionDep, dialect_of
from api.errors import NotFound
from api.queries.claims import CLAIM_SORTS, ClaimSubfiltersDep, claim_query, serialize_claims
from api.queries.export import FORMAT_DESCRIPTION, ListFormat
from api.queries.reports import (
    REPORT_SORTS,
    ReportFiltersDep,
    report_query,
    serialize_report_detail,
    serialize_reports,
)
from api.routers.common import ITEM_ERRORS, LIST_ERRORS, answer_list
from api.schemas import ClaimPublic, Page, ReportDetail, ReportPublic
from models import Claim, Report

router = APIRouter(prefix="/v1/reports", tags=["reports"])

ReportId = Path(description="The report's id.", examples=["dailynk-garment-orders-russia"], max_length=128)
ReportFormat = Annotated[
    ListFormat, Query(alias="format", description=FORMAT_DESCRIPTION + ".", examples=["csv"])
]


@router.get("", responses=LIST_ERRORS, response_model=Page[ReportPublic])
def list_reports(
    request: Request,
    response: Response,
    session: SessionDep,
    engine: EngineDep,
    paging: PagingDep,
    filters: ReportFiltersDep,
    fmt: ReportFormat = ListFormat.json,
) -> Any:
    """List reports (without bodies) matching every filter given, `id` order unless `sort` says otherwise.

    Sort fields: id, title, publisher, published_on, claim_count (prefix `-` for descending; reports
    without a date come last either way).
    """
    return answer_list(
        request,
        response,
        session,
        engine,
        paging,
        fmt,
        query=report_query(filters, dialect_of(session)),
        sorts=REPORT_SORTS,
        id_column=col(Report.id),
        serialize=serialize_reports,
        model=ReportPublic,
        name="reports",
    )


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


@router.get("/{report_id}/claims", responses=ITEM_ERRORS | LIST_ERRORS, response_model=Page[ClaimPublic])
def list_report_claims(
    request: Request,
    response: Response,
    session: SessionDep,
    engine: EngineDep,
    paging: PagingDep,
    filters: ClaimSubfiltersDep,
    report_id: Annotated[str, ReportId],
    fmt: ReportFormat = ListFormat.json,
) -> Any:
    """The claims of one report (the claim filters, sorts and formats apply too)."""
    get_report_or_404(session, report_id)
    return answer_list(
        request,
        response,
        session,
        engine,
        paging,
        fmt,
        query=claim_query(replace(filters, report_id=report_id), dialect_of(session)),
        sorts=CLAIM_SORTS,
        id_column=col(Claim.id),
        serialize=serialize_claims,
        model=ClaimPublic,
        name=f"{report_id}-claims",
    )
