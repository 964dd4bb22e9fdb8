"""The audit log as a listed resource: the `since` filter, query, sort keys and the shaping of an entry."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import Connection, Select, Table, select

from api.changes.schemas import ChangePublic
from api.errors import InvalidQuery
from api.kit.listing import Listing
from api.kit.paging import SortKey
from api.kit.schemas import iso_moment
from models import Change

_CHANGE: Table = Change.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ChangeFilters:
    """The audit log's filter: only changes strictly later than `since` (UTC)."""

    since: datetime | None = None


async def change_filters(
    since: Annotated[
        datetime | None,
        Query(
            description="Only changes strictly later than this ISO 8601 time (UTC when no offset is given); "
            "pass the newest `at` you hold to fetch what is new.",
            examples=["2026-01-01T00:00:00Z"],
        ),
    ] = None,
) -> ChangeFilters:
    """Collect the audit log's filter, in UTC."""
    if since is None:
        return ChangeFilters()
    try:
        return ChangeFilters(since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC))
    except OverflowError:
        raise InvalidQuery(
            "since is outside the range of dates.",
            [{"loc": ["query", "since"], "msg": "out of range once converted to UTC"}],
        ) from None


ChangeFiltersDep = Annotated[ChangeFilters, Depends(change_filters)]


def change_query(filters: ChangeFilters, _db: Connection) -> Select[Any]:
    """Select the audit log entries matching `filters` (unordered)."""
    query = select(_CHANGE)
    if filters.since is not None:
        query = query.where(_CHANGE.c.at > filters.since)
    return query


def change_record(row: Any) -> dict[str, Any]:
    """The audit log entry, JSON-ready: the one shaping of a change."""
    return {
        "id": row.id,
        "at": iso_moment(row.at),
        "key_name": row.key_name,
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "before": row.before,
        "after": row.after,
    }


def shape_changes(_db: Connection, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Shape rows of `change_query`."""
    return [change_record(row) for row in rows]


CHANGES: Listing[ChangeFilters] = Listing(
    name="changes",
    item=ChangePublic,
    query=change_query,
    shape=shape_changes,
    sorts={"id": SortKey("id", "int")},
    id_kind="int",
    default_sort="-id",
)
