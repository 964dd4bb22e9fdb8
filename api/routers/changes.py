"""The audit log: every write, newest first, for clients that keep a copy in sync."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session
from sqlmodel import col, select

from api.deps import EngineDep, PagingDep, SessionDep
from api.errors import InvalidQuery
from api.listing import LIST_ERRORS, answer_list
from api.queries.export import ListFormat, ListFormatQuery
from api.queries.paging import SortKey
from api.schemas import ChangePublic, Page
from models import Change

router = APIRouter(prefix="/v1/changes", tags=["changes"])

CHANGE_SORTS = {"id": SortKey(col(Change.id), "int")}


def serialize_changes(_session: Session, rows: Any) -> list[ChangePublic]:
    """Shape rows whose first column is a change; times are given in UTC."""
    changes: list[Change] = [row[0] for row in rows]
    return [
        ChangePublic(
            id=change.id or 0,
            at=change.at if change.at.tzinfo else change.at.replace(tzinfo=UTC),
            key_name=change.key_name,
            action=change.action,
            entity_type=change.entity_type,
            entity_id=change.entity_id,
            before=change.before,
            after=change.after,
        )
        for change in changes
    ]


@router.get("", responses=LIST_ERRORS, response_model=Page[ChangePublic])
def list_changes(
    request: Request,
    response: Response,
    session: SessionDep,
    paging: PagingDep,
    engine: EngineDep,
    fmt: ListFormatQuery = ListFormat.json,
    since: Annotated[
        datetime | None,
        Query(
            description="Only changes strictly later than this ISO 8601 time (UTC when no offset is given); "
            "pass the newest `at` you hold to fetch what is new.",
            examples=["2026-01-01T00:00:00Z"],
        ),
    ] = None,
) -> Any:
    """The audit log, newest first: who (the key's name, never the key), when, what, before and after.

    Readable without a key. Sort: `-id` (default, newest first) or `id`. In csv, `before` and `after`
    are JSON texts.
    """
    query = select(Change)
    if since is not None:
        try:
            moment = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
        except OverflowError:
            raise InvalidQuery(
                "since is outside the range of dates.",
                [{"loc": ["query", "since"], "msg": "out of range once converted to UTC"}],
            ) from None
        query = query.where(col(Change.at) > moment)
    return answer_list(
        request,
        response,
        session,
        engine,
        paging,
        fmt,
        query=query,
        sorts=CHANGE_SORTS,
        id_column=col(Change.id),
        serialize=serialize_changes,
        model=ChangePublic,
        name="changes",
        default_sort="-id",
        id_kind="int",
    )
