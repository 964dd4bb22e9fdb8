"""Report routes: the list, one report with its body, and its claims."""

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from sqlmodel import col

from api.auth import KeyNameDep
from api.db import write_session
from api.deps import EngineDep, PagingDep, SessionDep, dialect_of
from api.errors import NotFound, problem_responses
from api.ingest.curation import delete_report, replace_report
from api.ingest.loader import load_bundle, parse_bundle
from api.listing import ITEM_ERRORS, LIST_ERRORS, answer_claim_list, answer_list
from api.queries.claims import ClaimSubfiltersDep
from api.queries.export import ListFormat, ListFormatQuery
from api.queries.reports import (
    REPORT_SORTS,
    ReportFiltersDep,
    report_query,
    serialize_report_detail,
    serialize_reports,
)
from api.schemas import ClaimPublic, Page, ReportDetail, ReportPublic, WriteResult
from api.writing import BUNDLE_BODY, WRITE_ERRORS, integrity_as_conflict, require_json, written
from models import Report

router = APIRouter(prefix="/v1/reports", tags=["reports"])

ReportId = Path(description="The report's id.", examples=["dailynk-garment-orders-russia"], max_length=128)


@router.get("", responses=LIST_ERRORS, response_model=Page[ReportPublic])
def list_reports(
    request: Request,
    response: Response,
    session: SessionDep,
    engine: EngineDep,
    paging: PagingDep,
    filters: ReportFiltersDep,
    fmt: ListFormatQuery = ListFormat.json,
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
    fmt: ListFormatQuery = ListFormat.json,
) -> Any:
    """The claims of one report (the claim filters, sorts and formats apply too)."""
    get_report_or_404(session, report_id)
    scoped = replace(filters, report_id=report_id)
    return answer_claim_list(request, response, session, engine, paging, fmt, scoped, f"{report_id}-claims")


def response_for(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    """Declare another success status of a write route, with the same WriteResult body."""
    return {status: {"model": WriteResult, "description": description}}


BundlePayload = Annotated[Any, Body(description="A bundle with `report.body` inline.")]


@router.post(
    "",
    status_code=201,
    responses=response_for(200, "The same bundle was stored already: nothing changed.") | WRITE_ERRORS,
    openapi_extra=BUNDLE_BODY,
    dependencies=[Depends(require_json)],
)
def create_report(
    response: Response,
    engine: EngineDep,
    actor: KeyNameDep,
    payload: BundlePayload,
    dry_run: Annotated[
        bool,
        Query(description="Run every check and answer as if written, but write nothing.", examples=[True]),
    ] = False,
) -> WriteResult:
    """Add a report from a bundle: 201 when new, 200 when the same bundle is stored already.

    The same report id with another body, metadata, facilities or claims is a 409 (replace it with PUT).
    A quote not found verbatim, an unknown facility or predicate, an unknown field or a value out of range
    is a 422 naming the claim; nothing of a refused bundle is written. `body_file` is not accepted here.
    """
    bundle = parse_bundle(payload)
    with integrity_as_conflict(), write_session(engine, commit=not dry_run) as session:
        result = load_bundle(session, bundle, None, actor=actor)
        answer = written(session, result, status=result.status, dry_run=dry_run)
    response.status_code = 201 if result.status == "added" else 200
    return answer


@router.put(
    "/{report_id}",
    responses=response_for(201, "No report had this id: it was created.") | WRITE_ERRORS,
    openapi_extra=BUNDLE_BODY,
    dependencies=[Depends(require_json)],
)
def put_report(
    response: Response,
    engine: EngineDep,
    actor: KeyNameDep,
    payload: BundlePayload,
    report_id: Annotated[str, ReportId],
) -> WriteResult:
    """Replace a report (metadata, body and claims, quotes checked again): 200, or 201 when it is new.

    Facilities the old version named keep existing, with their figures recomputed.
    """
    bundle = parse_bundle(payload)
    with integrity_as_conflict(), write_session(engine) as session:
        result, created = replace_report(session, report_id, bundle, actor)
        status: Literal["added", "unchanged", "replaced"] = "added"
        if not created:
            status = "unchanged" if result.status == "unchanged" else "replaced"
        answer = written(session, result, status=status, dry_run=False)
    response.status_code = 201 if created else 200
    return answer


@router.delete("/{report_id}", status_code=204, responses=problem_responses(401, 404, 422))
def remove_report(engine: EngineDep, actor: KeyNameDep, report_id: Annotated[str, ReportId]) -> Response:
    """Delete a report and its claims; its facilities stay, with their figures recomputed."""
    with integrity_as_conflict(), write_session(engine) as session:
        delete_report(session, report_id, actor)
    return Response(status_code=204)
