"""Report routes: the list, one report with its body, its claims, and the writes."""

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from sqlalchemy import Connection

from api.auth.deps import AdminKeyDep, EditorKeyDep
from api.claims.listing import CLAIMS, ClaimSubfiltersDep
from api.claims.schemas import ClaimPage
from api.db.engine import write_session
from api.db.reader import EngineDep, ReadDep
from api.errors import Conflict, NotFound, ReportExists, problem_responses
from api.ingest.loader import load_prepared, parse_bundle, prepare_bundle
from api.kit.bodies import integrity_as_conflict, require_json
from api.kit.listing import ListRequest, answer_list
from api.kit.responses import json_response
from api.kit.urls import location
from api.reports import writes as curation
from api.reports.listing import REPORTS, ReportFiltersDep, report_by_id, report_exists
from api.reports.schemas import ReportDetail, ReportPage, ReportPatch, WriteResult
from api.reports.writes import BUNDLE_BODY, WRITE_ERRORS, BundleLimitsDep, written

router = APIRouter(prefix="/v1/reports", tags=["reports"])

ReportId = Path(description="The report's id.", examples=["dailynk-garment-orders-russia"], max_length=128)


@router.get("", responses=REPORTS.responses(), response_model=ReportPage)
async def list_reports(
    request: Request,
    read: ReadDep,
    filters: ReportFiltersDep,
    params: Annotated[ListRequest, Depends(REPORTS.params)],
) -> Response:
    """List reports (without bodies) matching every filter given, `id` order unless `sort` says otherwise."""
    return await answer_list(read, request, REPORTS, filters, params)


@router.get("/{report_id}", responses=problem_responses(404, 422), response_model=ReportDetail)
async def get_report(read: ReadDep, report_id: Annotated[str, ReportId]) -> Response:
    """One report with its full body, exactly as ingested (claim spans index into it)."""
    report = await read.inline(report_by_id, report_id)
    if report is None:
        raise NotFound(f"No report with id {report_id!r}.")
    return json_response(report)


@router.get(
    "/{report_id}/claims",
    responses=problem_responses(404) | CLAIMS.responses(),
    response_model=ClaimPage,
)
async def list_report_claims(
    request: Request,
    read: ReadDep,
    filters: ClaimSubfiltersDep,
    params: Annotated[ListRequest, Depends(CLAIMS.params)],
    report_id: Annotated[str, ReportId],
) -> Response:
    """The claims of one report (the claim filters, sorts and formats apply too)."""

    def stored(db: Connection) -> None:
        if not report_exists(db, report_id):
            raise NotFound(f"No report with id {report_id!r}.")

    scoped = replace(filters, report_id=report_id)
    return await answer_list(read, request, CLAIMS, scoped, params, f"{report_id}-claims", check=stored)


# The `Location` of a 201: where the new report is.
NEW_REPORT: dict[str, Any] = {
    "Location": {
        "description": "The new report's URL (not on a dry run).",
        "schema": {"type": "string", "examples": ["/v1/reports/dailynk-garment-orders-russia"]},
    }
}


def response_for(
    status: int, description: str, headers: dict[str, Any] | None = None
) -> dict[int | str, dict[str, Any]]:
    """Declare another success status of a write route, with the same WriteResult body."""
    response: dict[str, Any] = {"model": WriteResult, "description": description}
    if headers:
        response["headers"] = headers
    return {status: response}


BundlePayload = Annotated[Any, Body(description="A bundle with `report.body` inline.")]


@router.post(
    "",
    status_code=201,
    responses={201: {"description": "The report was added (on a dry run: would be).", "headers": NEW_REPORT}}
    | response_for(200, "The same bundle was stored already: nothing changed.")
    | WRITE_ERRORS,
    openapi_extra=BUNDLE_BODY,
    dependencies=[Depends(require_json)],
    response_model=WriteResult,
)
def create_report(
    request: Request,
    engine: EngineDep,
    actor: EditorKeyDep,
    limits: BundleLimitsDep,
    payload: BundlePayload,
    dry_run: Annotated[
        bool,
        Query(description="Run every check and answer as if written, but write nothing.", examples=[True]),
    ] = False,
) -> Response:
    """Add a report from a bundle: 201 when new, 200 when the same bundle is stored already.

    The same report id with another body, metadata, facilities or claims is a 409 (replace it with PUT).
    A quote not found verbatim, an unknown facility or predicate, an unknown field or a value out of range
    is a 422 naming the claim; nothing of a refused bundle is written. `body_file` is not accepted here.
    """
    prepared = prepare_bundle(parse_bundle(payload), None, limits)  # before the write lock is taken
    try:
        with integrity_as_conflict(), write_session(engine, commit=not dry_run) as session:
            result = load_prepared(session, prepared, actor=actor)
            stored = written(session, result, status=result.status, dry_run=dry_run)
    except ReportExists as exc:
        raise Conflict(exc.with_hint()) from None
    if result.status != "added":
        return json_response(stored)
    headers = None if dry_run else {"Location": location(request, result.report_id)}
    return json_response(stored, status_code=201, headers=headers)


@router.put(
    "/{report_id}",
    responses=response_for(201, "No report had this id: it was created.", NEW_REPORT) | WRITE_ERRORS,
    openapi_extra=BUNDLE_BODY,
    dependencies=[Depends(require_json)],
    response_model=WriteResult,
)
def replace_report(
    request: Request,
    engine: EngineDep,
    actor: EditorKeyDep,
    limits: BundleLimitsDep,
    payload: BundlePayload,
    report_id: Annotated[str, ReportId],
) -> Response:
    """Replace a report (metadata, body and claims, quotes checked again): 200, or 201 when it is new.

    Facilities the old version named keep existing, with their figures recomputed.
    """
    bundle = parse_bundle(payload)
    prepared = prepare_bundle(bundle, None, limits)  # before the write lock is taken
    with integrity_as_conflict(), write_session(engine) as session:
        result, created = curation.replace_report(session, report_id, bundle, prepared, actor)
        status: Literal["added", "unchanged", "replaced"] = "added"
        if not created:
            status = "unchanged" if result.status == "unchanged" else "replaced"
        stored = written(session, result, status=status, dry_run=False)
    if not created:
        return json_response(stored)
    return json_response(stored, status_code=201, headers={"Location": location(request)})


@router.patch(
    "/{report_id}",
    responses=problem_responses(400, 401, 404, 413, 415, 422),
    dependencies=[Depends(require_json)],
    response_model=ReportDetail,
)
def patch_report(
    engine: EngineDep, actor: EditorKeyDep, patch: ReportPatch, report_id: Annotated[str, ReportId]
) -> Response:
    """Grade a report: `{"reliability": "B"}` (Admiralty A..F, `null` to clear); nothing else is patched."""
    with write_session(engine) as session:
        curation.grade_report(
            session, report_id, patch.reliability.value if patch.reliability else None, actor
        )
        report = report_by_id(session.connection(), report_id)
    return json_response(report)


@router.delete("/{report_id}", status_code=204, responses=problem_responses(401, 404, 422))
def delete_report(engine: EngineDep, actor: AdminKeyDep, report_id: Annotated[str, ReportId]) -> Response:
    """Delete a report and its claims (admin keys only); its facilities stay, with their figures recomputed.

    The report's entries in the change feed stay, without its content (see the change feed).
    """
    with integrity_as_conflict(), write_session(engine) as session:
        curation.delete_report(session, report_id, actor)
    return Response(status_code=204)
