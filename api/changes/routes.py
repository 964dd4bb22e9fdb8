"""The audit log: every write, newest first, for clients that keep a copy in sync."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Connection, desc, select
from sqlmodel import col
from starlette.responses import Response

from api.changes.atom import ATOM_MEDIA_TYPE, ATOM_SIZE, render_atom
from api.changes.listing import CHANGES, ChangeFilters, ChangeFiltersDep, change_query
from api.changes.schemas import ChangePage
from api.db.reader import ReadDep
from api.errors import problem_responses
from api.kit.listing import ListRequest, answer_list
from api.kit.urls import public_url
from models import Change, Facility

router = APIRouter(prefix="/v1/changes", tags=["changes"])


@router.get("", responses=CHANGES.responses(), response_model=ChangePage)
async def list_changes(
    request: Request,
    read: ReadDep,
    filters: ChangeFiltersDep,
    params: Annotated[ListRequest, Depends(CHANGES.params)],
) -> Response:
    """The audit log, newest first: who (the key's name, never the key), when, what, before and after.

    Readable without a key. In csv, `before` and `after` are JSON texts.
    """
    return await answer_list(read, request, CHANGES, filters, params)


ATOM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An Atom 1.0 feed of the newest 50 changes matching.",
        "content": {ATOM_MEDIA_TYPE: {"schema": {"type": "string"}}},
    },
    **problem_responses(400, 422),
}


def _feed_title(db: Connection, filters: ChangeFilters) -> str:
    said = []
    if filters.facility_id:
        name = db.execute(select(col(Facility.name)).where(col(Facility.id) == filters.facility_id)).scalar()
        said.append(f"concerning {name or filters.facility_id}")
    if filters.report_id:
        said.append(f"concerning report {filters.report_id}")
    if filters.country:
        said.append(f"in {filters.country}")
    if filters.action:
        said.append("(" + ", ".join(filters.action) + ")")
    return " ".join(["laborwatch: changes", *said])


@router.get(".atom", responses=ATOM_RESPONSES, response_class=Response)
async def get_changes_atom(request: Request, read: ReadDep, filters: ChangeFiltersDep) -> Response:
    """The newest 50 changes matching the filters as an Atom 1.0 feed, for feed readers.

    Each entry has a stable id (`urn:laborwatch:change:ID`), the time of the change, a title in words
    and a link to the explorer page of what changed. Takes the filters of `GET /v1/changes`.
    """
    url = public_url(request)
    base = str(url.replace(path=url.path.removesuffix(request.url.path), query=""))

    def work(db: Connection) -> Response:
        query = change_query(filters, db).order_by(desc(col(Change.id))).limit(ATOM_SIZE)
        rows = db.execute(query).all()
        text = render_atom(db, filters, rows, base=base, self_url=str(url), title=_feed_title(db, filters))
        return Response(text, media_type=ATOM_MEDIA_TYPE)

    return await read(work)
