"""Facility routes: the list, one facility, its claims, its worker figures over time, and merges."""

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import Connection
from starlette.responses import Response

from api.auth.deps import AdminKeyDep
from api.claims.listing import CLAIMS, ClaimSubfiltersDep
from api.claims.schemas import ClaimPage
from api.db.engine import write_session
from api.db.reader import EngineDep, ReadDep
from api.errors import problem_responses
from api.facilities.listing import FACILITIES, FacilityFiltersDep, facility_by_id, worker_history
from api.facilities.merges import merge_facility, require_facility
from api.facilities.schemas import FacilityPage, FacilityPublic, MergeRequest, WorkerHistory
from api.kit.bodies import integrity_as_conflict, require_json
from api.kit.listing import ListRequest, answer_list
from api.kit.responses import json_response
from api.kit.urls import LOCATION_HEADER

router = APIRouter(prefix="/v1/facilities", tags=["facilities"])
MOVED: dict[int | str, dict[str, Any]] = {
    308: {
        "description": "Permanent Redirect: the facility was merged; `Location` names the survivor.",
        "headers": {"Location": LOCATION_HEADER | {"required": True}},
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}
ITEM_ERRORS = problem_responses(404, 422) | MOVED

FacilityId = Path(description="The facility's id.", examples=["irkutsk-dprk-garment-factory"], max_length=128)


@router.get("", responses=FACILITIES.responses(), response_model=FacilityPage)
async def list_facilities(
    request: Request,
    read: ReadDep,
    filters: FacilityFiltersDep,
    params: Annotated[ListRequest, Depends(FACILITIES.params)],
) -> Response:
    """List facilities matching every filter given, `id` order unless `sort` says otherwise."""
    return await answer_list(read, request, FACILITIES, filters, params)


@router.get("/{facility_id}", responses=ITEM_ERRORS, response_model=FacilityPublic)
async def get_facility(read: ReadDep, facility_id: Annotated[str, FacilityId]) -> Response:
    """One facility, with its current worker figure and counts (308 to the survivor if merged)."""

    def stored_facility(db: Connection) -> dict[str, Any] | None:
        facility = facility_by_id(db, facility_id)
        if facility is None:
            require_facility(db, facility_id)
        return facility

    return json_response(await read.inline(stored_facility))


@router.get("/{facility_id}/claims", responses=ITEM_ERRORS | CLAIMS.responses(), response_model=ClaimPage)
async def list_facility_claims(
    request: Request,
    read: ReadDep,
    filters: ClaimSubfiltersDep,
    params: Annotated[ListRequest, Depends(CLAIMS.params)],
    facility_id: Annotated[str, FacilityId],
) -> Response:
    """The claims about one facility (the claim filters, sorts and formats apply too)."""

    def stored(db: Connection) -> None:
        require_facility(db, facility_id)

    scoped = replace(filters, facility_id=facility_id)
    return await answer_list(read, request, CLAIMS, scoped, params, f"{facility_id}-claims", check=stored)


@router.get("/{facility_id}/workers", responses=ITEM_ERRORS, response_model=WorkerHistory)
async def get_facility_workers(read: ReadDep, facility_id: Annotated[str, FacilityId]) -> Response:
    """The facility's worker figures over time: every `worker_count` claim, oldest first.

    Dated claims come by date (their period end, else their report's publication date), undated ones
    last in the order they were ingested. `counts` is false for disputed or retracted claims; `current`
    marks the claim that gives the facility's `workers` now. Not paged.
    """

    def figures(db: Connection) -> dict[str, Any]:
        require_facility(db, facility_id)
        return worker_history(db, facility_id)

    return json_response(await read.inline(figures))


@router.post(
    "/{facility_id}/merge",
    responses=problem_responses(400, 401, 404, 409, 413, 415, 422) | MOVED,
    dependencies=[Depends(require_json)],
    response_model=FacilityPublic,
)
def merge_facilities(
    engine: EngineDep,
    actor: AdminKeyDep,
    merge_request: MergeRequest,
    facility_id: Annotated[str, FacilityId],
) -> Response:
    """Merge this facility into `into`: its claims and reports move there, its name and id become aliases.

    Only an admin key may merge.

    The merged id answers 308 to the surviving facility from then on.
    """
    with integrity_as_conflict(), write_session(engine) as session:
        survivor = merge_facility(session, facility_id, merge_request.into, actor)
        facility = facility_by_id(session.connection(), survivor.id)
    return json_response(facility)
