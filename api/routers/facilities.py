"""Facility routes: the list, one facility, its claims and its worker figures over time."""

from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlmodel import col

from api.auth import KeyNameDep
from api.db import write_session
from api.deps import EngineDep, PagingDep, SessionDep, dialect_of
from api.errors import Moved, NotFound, problem_responses
from api.ingest.curation import merge_facility
from api.listing import ITEM_ERRORS, LIST_ERRORS, answer_claim_list, answer_list, public_url
from api.queries.claims import ClaimSubfiltersDep
from api.queries.export import FORMAT_DESCRIPTION, GEOJSON_CONTENT, Format, ListFormat, ListFormatQuery
from api.queries.facilities import (
    FacilityFiltersDep,
    facility_public,
    facility_query,
    serialize_facilities,
    worker_history,
)
from api.requests import MergeRequest
from api.schemas import ClaimPublic, FacilityPublic, Page, WorkerHistory
from api.writing import integrity_as_conflict, require_json
from models import Facility, FacilityRedirect

router = APIRouter(prefix="/v1/facilities", tags=["facilities"])
MOVED: dict[int | str, dict[str, Any]] = {
    308: {
        "description": "Permanent Redirect: the facility was merged; `Location` names the survivor.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}

FacilityId = Path(description="The facility's id.", examples=["irkutsk-dprk-garment-factory"], max_length=128)
FacilityFormat = Annotated[
    Format,
    Query(
        alias="format",
        description=FORMAT_DESCRIPTION + ", or `geojson` (a FeatureCollection of the located facilities).",
        examples=["geojson"],
    ),
]
FACILITY_LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    **LIST_ERRORS,
    200: {**LIST_ERRORS[200], "content": {**LIST_ERRORS[200]["content"], **GEOJSON_CONTENT}},
}


@router.get("", responses=FACILITY_LIST_RESPONSES, response_model=Page[FacilityPublic])
def list_facilities(
    request: Request,
    response: Response,
    session: SessionDep,
    engine: EngineDep,
    paging: PagingDep,
    filters: FacilityFiltersDep,
    fmt: FacilityFormat = Format.json,
) -> Any:
    """List facilities matching every filter given, `id` order unless `sort` says otherwise.

    Sort fields: id, name, country, region, city, kind, sector, operator_country, workers, claim_count,
    report_count, first_reported, last_reported (prefix `-` for descending; facilities without a value
    come last either way).
    """
    query, sorts = facility_query(filters, dialect_of(session))
    if fmt == Format.geojson:
        query = query.where(col(Facility.lat).is_not(None), col(Facility.lon).is_not(None))
    return answer_list(
        request,
        response,
        session,
        engine,
        paging,
        fmt,
        query=query,
        sorts=sorts,
        id_column=col(Facility.id),
        serialize=serialize_facilities,
        model=FacilityPublic,
        name="facilities",
    )


def get_facility_or_404(session: SessionDep, facility_id: str, request: Request | None = None) -> Facility:
    """Return the facility; raise `Moved` (308) when it was merged into another, else `NotFound`."""
    facility = session.get(Facility, facility_id)
    if facility is not None:
        return facility
    redirect = session.get(FacilityRedirect, facility_id)
    if redirect is not None and request is not None:
        old = f"/v1/facilities/{quote(facility_id, safe='')}"
        new = f"/v1/facilities/{quote(redirect.facility_id, safe='')}"
        # A relative reference (RFC 9110 §10.2.2) unless LABORWATCH_PUBLIC_URL says where clients are:
        # the Host header a client sent is never repeated back.
        url = public_url(request)
        path = url.path.replace(old, new, 1)
        location = path + (f"?{url.query}" if url.query else "")
        if request.app.state.settings.public_url:
            location = str(url.replace(path=path))
        raise Moved(f"Facility {facility_id!r} was merged into {redirect.facility_id!r}.", location)
    raise NotFound(f"No facility with id {facility_id!r}.")


@router.get("/{facility_id}", responses=ITEM_ERRORS | MOVED)
def get_facility(
    request: Request, session: SessionDep, facility_id: Annotated[str, FacilityId]
) -> FacilityPublic:
    """One facility, with its current worker figure and counts (308 to the survivor if merged)."""
    get_facility_or_404(session, facility_id, request)
    return facility_public(session, facility_id)


@router.get(
    "/{facility_id}/claims", responses=ITEM_ERRORS | LIST_ERRORS | MOVED, response_model=Page[ClaimPublic]
)
def list_facility_claims(
    request: Request,
    response: Response,
    session: SessionDep,
    engine: EngineDep,
    paging: PagingDep,
    filters: ClaimSubfiltersDep,
    facility_id: Annotated[str, FacilityId],
    fmt: ListFormatQuery = ListFormat.json,
) -> Any:
    """The claims about one facility (the claim filters, sorts and formats apply too)."""
    get_facility_or_404(session, facility_id, request)
    scoped = replace(filters, facility_id=facility_id)
    return answer_claim_list(request, response, session, engine, paging, fmt, scoped, f"{facility_id}-claims")


@router.get("/{facility_id}/workers", responses=ITEM_ERRORS | MOVED)
def get_facility_workers(
    request: Request, session: SessionDep, facility_id: Annotated[str, FacilityId]
) -> WorkerHistory:
    """The facility's worker figures over time: every `worker_count` claim, oldest first.

    Dated claims come by date (their period end, else their report's publication date), undated ones
    last in the order they were ingested. `counts` is false for disputed or retracted claims; `current`
    marks the claim that gives the facility's `workers` now. Not paged.
    """
    facility = get_facility_or_404(session, facility_id, request)
    return worker_history(session, facility)


@router.post(
    "/{facility_id}/merge",
    responses=problem_responses(400, 401, 404, 409, 413, 415, 422) | MOVED,
    dependencies=[Depends(require_json)],
)
def merge(
    engine: EngineDep, actor: KeyNameDep, merge_request: MergeRequest, facility_id: Annotated[str, FacilityId]
) -> FacilityPublic:
    """Merge this facility into `into`: its claims and reports move there, its name and id become aliases.

    The merged id answers 308 to the surviving facility from then on.
    """
    with integrity_as_conflict(), write_session(engine) as session:
        survivor = merge_facility(session, facility_id, merge_request.into, actor)
        return facility_public(session, survivor.id)
