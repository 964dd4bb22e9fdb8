"""The audit log: every write, newest first, for clients that keep a copy in sync."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from api.changes.listing import CHANGES, ChangeFiltersDep
from api.changes.schemas import ChangePage
from api.db.reader import ReadDep
from api.kit.listing import ListRequest, answer_list

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
