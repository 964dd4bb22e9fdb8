"""Whole-corpus exports in other data models: FollowTheMoney entities for OpenSanctions, yente and Aleph."""

from collections.abc import Callable
from itertools import chain

from fastapi import APIRouter, Request
from sqlalchemy import Connection
from starlette.responses import Response

from api.db.reader import ReadDep
from api.errors import problem_responses
from api.export.ftm import FILE_NAME, MEDIA_TYPE, ftm_lines
from api.facilities.listing import FacilityFiltersDep
from api.kit.export import export_response
from api.kit.listing import open_export

router = APIRouter(prefix="/v1/export", tags=["export"])

FTM_OK = {
    "description": "One FollowTheMoney entity (`{id, schema, properties}`) per line.",
    "content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
}


@router.get("/ftm", responses={200: FTM_OK, **problem_responses(400, 422, 429, 503)}, response_class=Response)
async def export_ftm(request: Request, read: ReadDep, filters: FacilityFiltersDep) -> Response:
    """Stream the corpus as FollowTheMoney entities, one JSON object per line (docs/ftm.md).

    Facilities become `Organization` (or `Company`) entities with an `Address`, operators `Organization`
    entities linked by an `UnknownLink` (role `operator`), reports `Article` entities, and each claim a
    `Documentation` linking its report to its facility (a `Note` when it is about no facility) that keeps
    its value, its verbatim quote and its status. Ids are ours with a prefix (`lw-facility-<id>`), the
    same in every export. Takes the facility filters: with filters, only the matching facilities, the
    claims about them and the reports those come from. Not paged; same limits as the other exports.
    """
    settings = request.app.state.settings

    def opened(db: Connection, release: Callable[[], None]) -> Response:
        lines = ftm_lines(db, filters)
        first = next(lines, b"")  # the first rows are read before any header is sent
        return export_response(
            db,
            chain([first], lines),
            lines,
            media_type=MEDIA_TYPE,
            filename=FILE_NAME,
            send_timeout_s=settings.export_send_timeout_s,
            cleanup=read.cleanup,
            release=release,
        )

    return await open_export(read, request, opened)
