"""Restricted reports: who a read is for (its audience) and the one rule of what such a reader is not shown.

A report is `public` or `restricted`. To a read without a key of role `reader`, `editor` or `admin` (the
public audience), a restricted report and its claims keep only the fields named in `REPORT_KEPT` and
`CLAIM_KEPT`: every other field is null and named in `withheld`. The rule is an allow-list, so a field
added later is withheld until someone decides it may be shown. Every read path shapes its items with
`withhold` (JSON, CSV, NDJSON, GeoJSON, FtM, the change feed, the explorer, a write's answer), and selects
their columns with `visible_columns`, so that sorting, cursors and search never see withheld text either.

The audience is set per request by the edge (`api.edge.readkeys` for reads, `api.edge.writekeys` for
writes) in a context variable, which follows the request into worker threads; anything that did not
set it (a command, a background task) is the public audience.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, null, true

PUBLIC = "public"
RESTRICTED = "restricted"


class Access(StrEnum):
    """Who may read a report's words: everyone, or only holders of a key."""

    PUBLIC = PUBLIC
    RESTRICTED = RESTRICTED


class Audience(StrEnum):
    """Who a read is for: the public (no key), or a key that may read restricted reports (`full`)."""

    PUBLIC = "public"
    FULL = "full"


_AUDIENCE: ContextVar[Audience] = ContextVar("laborwatch_audience", default=Audience.PUBLIC)

# What stays public of a restricted report: ids, dates, language, counts and lineage (contract 8.5).
REPORT_KEPT = frozenset(
    {
        "id",
        "access",
        "language",
        "published_on",
        "claim_count",
        "facility_ids",
        "claim_ids",  # the audit log's summary: ids, public like facility_ids
        "reliability",
        "derived_from",
        "origin",
        "derivatives",
        "withheld",
    }
)
# What stays public of a claim of a restricted report: everything but its words and who said them
# (`quote`, `span`, `attributed_to`, `subject`, `notes`). The worker history's own names of the same
# public facts (`as_of`, `claim_id`, `counts`, `current`) are listed too.
CLAIM_KEPT = frozenset(
    {
        "id",
        "report_id",
        "facility_id",
        "predicate",
        "value",
        "unit",
        "approximate",
        "period",
        "evidence",
        "status",
        "access",
        "high",
        "support",
        "credibility",
        "as_of",
        "claim_id",
        "counts",
        "current",
        "withheld",
    }
)


def current_audience() -> Audience:
    """The audience of the read being answered (public unless the edge admitted a key)."""
    return _AUDIENCE.get()


def sees_restricted() -> bool:
    """Tell whether the current read may see restricted reports' protected fields."""
    return _AUDIENCE.get() is Audience.FULL


@contextmanager
def audience(value: Audience) -> Iterator[None]:
    """Answer everything inside for `value` (the edge wraps each request in it)."""
    token = _AUDIENCE.set(value)
    try:
        yield
    finally:
        _AUDIENCE.reset(token)


def withhold(
    record: dict[str, Any], kept: frozenset[str], restricted: bool, *, always: bool = True
) -> dict[str, Any]:
    """`record` as the current audience may see it: the one rule of what is withheld.

    When `restricted` and the audience may not see it, every field not in `kept` is set to null and named
    in `withheld` (sorted). Otherwise nothing changes and `withheld` is an empty list, or absent when
    `always` is false (shapes that had no `withheld` before, such as the audit log's values).
    """
    if not restricted or sees_restricted():
        if always:
            record["withheld"] = []
        return record
    hidden = sorted(name for name in record if name not in kept)
    for name in hidden:
        record[name] = None
    record["withheld"] = hidden
    return record


def visible_columns(
    columns: Sequence[ColumnElement[Any]],
    kept: frozenset[str],
    restricted: ColumnElement[bool],
    fields: Mapping[str, str] | None = None,
) -> list[ColumnElement[Any]]:
    """`columns` to select for the current audience: those whose field is not kept read NULL if restricted.

    `fields` names the field a column makes, when it is not the column's own name.

    Sorting on such a column, the cursor of the next page and anything else built on the query then
    never see withheld text. For the full audience the columns are unchanged.
    """
    if sees_restricted():
        return list(columns)
    shown: list[ColumnElement[Any]] = []
    for column in columns:
        name = column.key or ""
        if (fields or {}).get(name, name) in kept:
            shown.append(column)
        else:
            shown.append(case((restricted, null()), else_=column).label(name))
    return shown


def visible_rows(restricted: ColumnElement[bool]) -> ColumnElement[bool]:
    """A WHERE clause for full-text search: restricted rows only for an audience that may read them.

    Everything search reads of a report (title, body) and of a claim (quote, subject) is withheld, so a
    public query must never match such a row; an audience that may read them searches everything.
    """
    if sees_restricted():
        return true()
    return ~restricted
