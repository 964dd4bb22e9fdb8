"""The audit log as a listed resource: the `since` filter, query, sort keys and the shaping of an entry."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import Connection, Select, Table, select

from api.auth.access import CLAIM_KEPT, REPORT_KEPT, withhold
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


# What stays of the values an entry about a restricted report or claim holds (`api.auth.access`); the
# mark of a deleted report's scrubbed values says nothing of it.
_KEPT = {"report": REPORT_KEPT | {"content_removed"}, "claim": CLAIM_KEPT | {"content_removed"}}


def _values(row: Any, values: dict[str, Any] | None) -> dict[str, Any] | None:
    """`before` or `after` of an entry as the audience may see them.

    An entry about something other than a report or claim (a facility) never holds a report's words.
    """
    if values is None:
        return None
    kept = _KEPT.get(row.entity_type, frozenset({"id"}))
    return withhold(dict(values), kept, row.restricted, always=False)


def change_record(row: Any) -> dict[str, Any]:
    """The audit log entry, JSON-ready: the one shaping of a change.

    Its values are withheld as the audience requires when it is about a restricted report or its claims.
    """
    return {
        "id": row.id,
        "at": iso_moment(row.at),
        "key_name": row.key_name,
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "before": _values(row, row.before),
        "after": _values(row, row.after),
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
