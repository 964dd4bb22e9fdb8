"""Facility routes: the list, one facility, its claims, its worker figures over time, and merges."""

from dataclasses import replace
from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request
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
from api.kit.listing import LINK_HEADER, ListRequest, answer_list, data_version
from api.kit.responses import json_response
from api.kit.urls import LOCATION_HEADER, public_url

router = APIRouter(prefix="/v1/facilities", tags=["facilities"])
MOVED: dict[int | str, dict[str, Any]] = {
    308: {
        "description": "Permanent Redirect: the facility was merged; `Location` names the survivor.",
        "headers": {"Location": LOCATION_HEADER | {"required": True}},
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}
ITEM_ERRORS = problem_responses(404, 422) | MOVED

# The longest page of a facility's worker figures, and the default: more than any real facility has had.
MAX_HISTORY_PAGE = 500

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


@router.get(
    "/{facility_id}/workers",
    responses={200: {"description": "One page of the figures.", "headers": {"Link": LINK_HEADER}}}
    | ITEM_ERRORS
    | problem_responses(429, 503),
    response_model=WorkerHistory,
)
async def get_facility_workers(
    request: Request,
    read: ReadDep,
    facility_id: Annotated[str, FacilityId],
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_HISTORY_PAGE,
            description=f"Figures per page, 1 to {MAX_HISTORY_PAGE} (the default: every figure of most "
            "facilities).",
            examples=[MAX_HISTORY_PAGE],
        ),
    ] = MAX_HISTORY_PAGE,
    cursor: Annotated[
        str | None,
        Query(
            max_length=2048,
            description="Where to go on: the `next` of the page before, as given.",
            examples=["WyJhc19vZiIsIjIwMjQtMDEtMzEiLDQyLDUwMF0"],
        ),
    ] = None,
) -> Response:
    """The facility's worker figures over time: its `worker_count` claims, oldest first, a page at a time.

    Dated claims come by date (their period end, else their report's publication date), undated ones
    last in the order they were ingested. `counts` is false for disputed or retracted claims; `current`
    marks the claim that gives the facility's `workers` now. Paged like every list (`limit`, `next` and
    a `Link: rel="next"` header), 500 figures a page by default.
    """
    counted_under = f"{data_version(request)}:{facility_id}"

    def figures(db: Connection) -> dict[str, Any]:
        require_facility(db, facility_id)
        return worker_history(db, facility_id, limit=limit, cursor=cursor, counted_under=counted_under)

    history = await read(figures)
    headers = None
    if history["next"] is not None:
        url = public_url(request).include_query_params(cursor=history["next"])
        history["next"] = str(url)
        headers = {"Link": f'<{url}>; rel="next"'}
    return await anyio.to_thread.run_sync(partial(json_response, history, headers=headers))


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
