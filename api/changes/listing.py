"""The audit log as a listed resource: its filters (one rule for feed, Atom, webhooks), query, shaping."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import StringConstraints
from sqlalchemy import Connection, Select, Table, select
from sqlalchemy.orm import Session
from sqlmodel import col

from api.auth.access import CLAIM_KEPT, REPORT_KEPT, withhold
from api.changes.schemas import ChangePublic
from api.errors import InvalidQuery
from api.kit.inlist import in_chunks, is_any_of
from api.kit.listing import Listing
from api.kit.paging import SortKey
from api.kit.params import MAX_FILTER_VALUES, any_of_text, distinct
from api.kit.schemas import iso_moment
from models import Change, ChangeSubject, Claim, Facility, FacilityRedirect, ReportFacility

_CHANGE: Table = Change.__table__  # type: ignore[attr-defined]
_SUBJECT: Table = ChangeSubject.__table__  # type: ignore[attr-defined]

ACTION_PATTERN = r"^[a-z_]{1,20}\.[a-z_]{1,28}$"
COUNTRY_PATTERN = r"^[A-Za-z]{2}$"
Action = Annotated[str, StringConstraints(pattern=ACTION_PATTERN)]
CountryQuery = Annotated[str, StringConstraints(pattern=COUNTRY_PATTERN)]


@dataclass(frozen=True)
class ChangeFilters:
    """The change filters: strictly later than `since` (UTC), and what the change concerns.

    `facility_id`, `report_id` and `country` each hold when some facility or report the change
    concerns (its `change_subject` rows) matches; `action` is any of several actions.
    """

    since: datetime | None = None
    facility_id: str | None = None
    report_id: str | None = None
    country: str | None = None
    action: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The filters a webhook stores (`since` is not one of them)."""
        return {
            "facility_id": self.facility_id,
            "report_id": self.report_id,
            "country": self.country,
            "action": list(self.action),
        }


def merge_family(db: Session | Connection, facility_id: str) -> set[str]:
    """Every id a facility has gone by: itself, the survivor it was merged into, the ids merged into that.

    A merge rewrites every redirect to point at the survivor (api.facilities.merges), so one look-up of
    the survivor and one of what points at it find them all.
    """
    survivor = db.execute(
        select(col(FacilityRedirect.facility_id)).where(col(FacilityRedirect.old_id) == facility_id)
    ).scalar()
    current = survivor or facility_id
    merged = db.execute(
        select(col(FacilityRedirect.old_id)).where(col(FacilityRedirect.facility_id) == current)
    ).scalars()
    return {facility_id, current, *merged}


@dataclass(frozen=True)
class Subject:
    """A facility (with its country) and/or a report one change concerns: a `change_subject` row."""

    facility_id: str | None
    report_id: str | None
    country: str | None


def change_matches(
    filters: ChangeFilters, action: str, subjects: Iterable[Subject], family: set[str] | None
) -> bool:
    """Whether a change matches `filters`, as `change_query` decides it (webhooks use this at write time).

    `family` is `merge_family` of `filters.facility_id` (None when the filter names no facility).
    """
    listed = list(subjects)
    if filters.action and action not in filters.action:
        return False
    if family is not None and not any(s.facility_id in family for s in listed):
        return False
    if filters.report_id and not any(s.report_id == filters.report_id for s in listed):
        return False
    return not (filters.country and not any(s.country == filters.country for s in listed))


FacilityIdQuery = Query(
    max_length=128,
    description="Only changes that concern this facility: about the facility itself, or about a report or "
    "claim naming it. A merged facility's old id finds the survivor's feed, and the survivor's finds the "
    "changes recorded under the ids merged into it.",
    examples=["irkutsk-dprk-garment-factory"],
)
ReportIdQuery = Query(
    max_length=128,
    description="Only changes that concern this report: about the report itself or one of its claims.",
    examples=["dailynk-garment-orders-russia"],
)
CountryFilterQuery = Query(
    description="Only changes that concern a facility of this country (ISO 3166-1 alpha-2, any case), as "
    "the facility's country was when the change was recorded.",
    examples=["RU"],
)
ActionQuery = Query(
    max_length=MAX_FILTER_VALUES,
    description="Only changes of this action (`report.create`, `report.replace`, `report.delete`, "
    "`claim.update`, `facility.merge`, ...). " + any_of_text("action", "report.create", "claim.update"),
    examples=[["report.create"]],
)


async def change_filters(
    since: Annotated[
        datetime | None,
        Query(
            description="Only changes strictly later than this ISO 8601 time (UTC when no offset is given); "
            "pass the newest `at` you hold to fetch what is new.",
            examples=["2026-01-01T00:00:00Z"],
        ),
    ] = None,
    facility_id: Annotated[str | None, FacilityIdQuery] = None,
    report_id: Annotated[str | None, ReportIdQuery] = None,
    country: Annotated[CountryQuery | None, CountryFilterQuery] = None,
    action: Annotated[list[Action] | None, ActionQuery] = None,
) -> ChangeFilters:
    """Collect the change filters, `since` in UTC."""
    subjects = ChangeFilters(
        facility_id=facility_id,
        report_id=report_id,
        country=country.upper() if country else None,
        action=distinct(action),
    )
    if since is None:
        return subjects
    try:
        moment = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
    except OverflowError:
        raise InvalidQuery(
            "since is outside the range of dates.",
            [{"loc": ["query", "since"], "msg": "out of range once converted to UTC"}],
        ) from None
    return ChangeFilters(moment, facility_id, report_id, subjects.country, subjects.action)


ChangeFiltersDep = Annotated[ChangeFilters, Depends(change_filters)]


def _concerning(*conditions: Any) -> Any:
    """Changes with a subject row matching `conditions`: read from the subject indexes, not the log."""
    return _CHANGE.c.id.in_(select(_SUBJECT.c.change_id).where(*conditions))


def change_query(filters: ChangeFilters, db: Connection) -> Select[Any]:
    """Select the audit log entries matching `filters` (unordered); `change_matches` is the same rule."""
    query = select(_CHANGE)
    c = _SUBJECT.c
    if filters.since is not None:
        query = query.where(_CHANGE.c.at > filters.since)
    if filters.action:
        query = query.where(is_any_of(_CHANGE.c.action, filters.action))
    if filters.facility_id:
        family = sorted(merge_family(db, filters.facility_id))
        query = query.where(_concerning(is_any_of(c.facility_id, family)))
    if filters.report_id:
        query = query.where(_concerning(c.report_id == filters.report_id))
    if filters.country:
        query = query.where(_concerning(c.country == filters.country))
    return query


def subjects_of(db: Session | Connection, changes: Sequence[dict[str, Any]]) -> dict[int, list[Subject]]:
    """What each change (`id`, `entity_type`, `entity_id`, `before`, `after`) concerns, read now.

    A report change concerns its report and the facilities the report names (before and after); a claim
    change its claim's report and facility; a facility change the facility (and, for a merge, the
    survivor). The country is each facility's, a merged one's being the survivor's.
    """
    found: dict[int, tuple[str | None, set[str]]] = {}
    claim_ids = [ch["entity_id"] for ch in changes if ch["entity_type"] == "claim"]
    claims: dict[str, Any] = {}
    for chunk in in_chunks(claim_ids):
        query = select(col(Claim.id), col(Claim.report_id), col(Claim.facility_id))
        claims.update((row.id, row) for row in db.execute(query.where(col(Claim.id).in_(chunk))))
    # A report's facilities as stored now too: a change that does not list them (a patch of a report's
    # grade, say) still concerns them.
    report_ids = sorted({ch["entity_id"] for ch in changes if ch["entity_type"] == "report"})
    named: dict[str, set[str]] = {}
    for chunk in in_chunks(report_ids):
        links = select(col(ReportFacility.report_id), col(ReportFacility.facility_id))
        for link in db.execute(links.where(col(ReportFacility.report_id).in_(chunk))):
            named.setdefault(link[0], set()).add(link[1])
    for ch in changes:
        values = [ch.get("before") or {}, ch.get("after") or {}]
        if ch["entity_type"] == "report":
            listed = {i for v in values for i in v.get("facility_ids", [])}
            found[ch["id"]] = (ch["entity_id"], listed | named.get(ch["entity_id"], set()))
        elif ch["entity_type"] == "claim" and ch["entity_id"] in claims:
            claim = claims[ch["entity_id"]]
            found[ch["id"]] = (claim.report_id, {claim.facility_id} if claim.facility_id else set())
        elif ch["entity_type"] == "facility":
            into = (ch.get("after") or {}).get("merged_into")
            found[ch["id"]] = (None, {ch["entity_id"], *([into] if into else [])})
    facility_ids = sorted({i for _, ids in found.values() for i in ids})
    countries: dict[str, str | None] = {}
    for chunk in in_chunks(facility_ids):
        stored = select(col(Facility.id), col(Facility.country)).where(col(Facility.id).in_(chunk))
        countries.update((row[0], row[1]) for row in db.execute(stored))
    missing = [i for i in facility_ids if i not in countries]
    for chunk in in_chunks(missing):  # merged facilities: the survivor's country
        moved = (
            select(col(FacilityRedirect.old_id), col(Facility.country))
            .join(Facility, col(Facility.id) == col(FacilityRedirect.facility_id))
            .where(col(FacilityRedirect.old_id).in_(chunk))
        )
        countries.update((row[0], row[1]) for row in db.execute(moved))
    subjects: dict[int, list[Subject]] = {}
    for change_id, (report_id, ids) in found.items():
        if ids:
            subjects[change_id] = [Subject(i, report_id, countries.get(i)) for i in sorted(ids)]
        elif report_id is not None:
            subjects[change_id] = [Subject(None, report_id, None)]
    return subjects


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
