"""Facility queries: filters, sort allow-list and serialization of rows into the public shape."""

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from api.errors import InvalidQuery
from api.ingest.figures import best_worker_claim_order, gives_figures
from api.queries.paging import SortKey
from api.queries.search import matches, same_text
from api.schemas import FacilityPublic, Location, WorkerFigure, WorkerHistory, Workers, as_number
from api.vocabulary import FIGURE_EXCLUDED_STATUSES, Precision, Status
from models import Claim, Facility, FacilityAlias, ReportFacility

FACILITY_SORTS: dict[str, SortKey] = {
    "id": SortKey(col(Facility.id), "str"),
    "name": SortKey(col(Facility.name), "str"),
    "country": SortKey(col(Facility.country), "str"),
    "region": SortKey(col(Facility.region), "str"),
    "city": SortKey(col(Facility.city), "str"),
    "kind": SortKey(col(Facility.kind), "str"),
    "sector": SortKey(col(Facility.sector), "str"),
    "operator_country": SortKey(col(Facility.operator_country), "str"),
    "workers": SortKey(col(Facility.workers_value), "float"),
    "claim_count": SortKey(col(Facility.claim_count), "int"),
    "report_count": SortKey(col(Facility.report_count), "int"),
    "first_reported": SortKey(col(Facility.first_reported), "date"),
    "last_reported": SortKey(col(Facility.last_reported), "date"),
}

COUNTRY = r"^[A-Za-z]{2}$"
# A plain decimal: no exponent, NaN, infinity, underscore or non-ASCII digit (all of which float() takes).
_DECIMAL = re.compile(r"^ *[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+) *$")


@dataclass(frozen=True)
class BoundingBox:
    """A longitude/latitude box; boxes across the antimeridian are not supported (min <= max)."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def parse_bbox(raw: str) -> BoundingBox:
    """Parse `minLon,minLat,maxLon,maxLat`, refusing anything that is not a valid box with 422."""

    def refuse(msg: str) -> InvalidQuery:
        return InvalidQuery(f"Invalid bbox: {msg}.", [{"loc": ["query", "bbox"], "msg": msg}])

    parts = raw.split(",")
    if len(parts) != 4 or not all(_DECIMAL.match(part) for part in parts):
        raise refuse("give four decimal numbers: minLon,minLat,maxLon,maxLat")
    min_lon, min_lat, max_lon, max_lat = (float(part) for part in parts)
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise refuse("longitudes must be within -180..180")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise refuse("latitudes must be within -90..90")
    if min_lon > max_lon or min_lat > max_lat:
        raise refuse("the minimum must not exceed the maximum")
    return BoundingBox(min_lon, min_lat, max_lon, max_lat)


@dataclass(frozen=True)
class FacilityFilters:
    """The facility filters of contract section 3, validated."""

    country: str | None = None
    city: str | None = None
    region: str | None = None
    sector: str | None = None
    kind: str | None = None
    operator_country: str | None = None
    min_workers: float | None = None
    max_workers: float | None = None
    report_id: str | None = None
    q: str | None = None
    bbox: BoundingBox | None = None
    as_of: date | None = None


async def facility_filters(
    country: Annotated[
        str | None, Query(pattern=COUNTRY, description="ISO 3166-1 alpha-2, any case.", examples=["RU"])
    ] = None,
    city: Annotated[
        str | None, Query(max_length=200, description="City, any case.", examples=["Irkutsk"])
    ] = None,
    region: Annotated[
        str | None, Query(max_length=200, description="Region, any case.", examples=["Irkutsk Oblast"])
    ] = None,
    sector: Annotated[
        str | None, Query(max_length=50, description="Sector, any case.", examples=["garment"])
    ] = None,
    kind: Annotated[
        str | None, Query(max_length=50, description="Kind, any case.", examples=["factory"])
    ] = None,
    operator_country: Annotated[
        str | None, Query(pattern=COUNTRY, description="Operator's country, alpha-2.", examples=["KP"])
    ] = None,
    min_workers: Annotated[
        float | None,
        Query(ge=0, allow_inf_nan=False, description="Current worker figure at least this.", examples=[50]),
    ] = None,
    max_workers: Annotated[
        float | None,
        Query(ge=0, allow_inf_nan=False, description="Current worker figure at most this.", examples=[500]),
    ] = None,
    report_id: Annotated[
        str | None,
        Query(
            max_length=128,
            description="Only facilities this report names.",
            examples=["dailynk-garment-orders-russia"],
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=500,
            description="Full text over name, aliases, operator, city and region; every word must match, "
            '"quoted words" as a phrase.',
            examples=["garment Irkutsk"],
        ),
    ] = None,
    bbox: Annotated[
        str | None,
        Query(
            max_length=200,
            description="minLon,minLat,maxLon,maxLat: only facilities located inside this box.",
            examples=["90,50,110,60"],
        ),
    ] = None,
    as_of: Annotated[
        date | None,
        Query(
            description="Give each facility's `workers` as known on this date (undated claims left out); "
            "min_workers, max_workers and sort=workers then use that figure.",
            examples=["2023-12-31"],
        ),
    ] = None,
) -> FacilityFilters:
    """Collect and cross-check the facility filters."""
    if min_workers is not None and max_workers is not None and min_workers > max_workers:
        raise InvalidQuery(
            "min_workers is greater than max_workers.",
            [{"loc": ["query", "min_workers"], "msg": "must not exceed max_workers"}],
        )
    return FacilityFilters(
        country=country.upper() if country else None,
        city=city,
        region=region,
        sector=sector,
        kind=kind,
        operator_country=operator_country.upper() if operator_country else None,
        min_workers=min_workers,
        max_workers=max_workers,
        report_id=report_id,
        q=q,
        bbox=parse_bbox(bbox) if bbox is not None else None,
        as_of=as_of,
    )


FacilityFiltersDep = Annotated[FacilityFilters, Depends(facility_filters)]


@dataclass(frozen=True)
class WorkerColumns:
    """Where a facility list reads each facility's worker figure: stored, or computed `as_of` a date."""

    value: Any
    approximate: Any
    as_of: Any
    claim_id: Any


STORED_WORKERS = WorkerColumns(
    col(Facility.workers_value),
    col(Facility.workers_approximate),
    col(Facility.workers_as_of),
    col(Facility.workers_claim_id),
)


def _workers_as_of(day: date) -> Any:
    """Each facility's best dated `worker_count` claim on or before `day` (contract section 3)."""
    order = best_worker_claim_order()
    ranked = (
        select(
            col(Claim.facility_id).label("facility_id"),
            col(Claim.value_number).label("value"),
            col(Claim.approximate).label("approximate"),
            col(Claim.dated_on).label("as_of"),
            col(Claim.id).label("claim_id"),
            func.row_number().over(partition_by=col(Claim.facility_id), order_by=order).label("rank"),
        )
        .where(col(Claim.facility_id).is_not(None), *gives_figures(), col(Claim.dated_on) <= day)
        .subquery("ranked")
    )
    return select(ranked).where(ranked.c.rank == 1).subquery("as_of_workers")


def facility_query(filters: FacilityFilters, dialect: str) -> tuple[Select[Any], dict[str, SortKey]]:
    """Select facilities matching `filters` with their worker figure, and the sort keys that go with it.

    Rows are `(Facility, w_value, w_approximate, w_as_of, w_claim_id)`: the figure to show.
    """
    workers = STORED_WORKERS
    query: Select[Any]
    if filters.as_of is None:
        query = select(Facility)
    else:
        best = _workers_as_of(filters.as_of)
        workers = WorkerColumns(best.c.value, best.c.approximate, best.c.as_of, best.c.claim_id)
        query = select(Facility).outerjoin(best, best.c.facility_id == col(Facility.id))
    query = query.add_columns(
        workers.value.label("w_value"),
        workers.approximate.label("w_approximate"),
        workers.as_of.label("w_as_of"),
        workers.claim_id.label("w_claim_id"),
    )
    if filters.country:
        query = query.where(col(Facility.country) == filters.country)
    if filters.operator_country:
        query = query.where(col(Facility.operator_country) == filters.operator_country)
    if filters.city:
        query = query.where(same_text(Facility.city, filters.city, dialect))
    if filters.region:
        query = query.where(same_text(Facility.region, filters.region, dialect))
    if filters.sector:
        query = query.where(same_text(Facility.sector, filters.sector, dialect))
    if filters.kind:
        query = query.where(same_text(Facility.kind, filters.kind, dialect))
    if filters.min_workers is not None:
        query = query.where(workers.value >= filters.min_workers)
    if filters.max_workers is not None:
        query = query.where(workers.value <= filters.max_workers)
    if filters.report_id:
        named = select(col(ReportFacility.facility_id)).where(
            col(ReportFacility.report_id) == filters.report_id
        )
        query = query.where(col(Facility.id).in_(named))
    if filters.bbox:
        box = filters.bbox
        query = query.where(
            col(Facility.lon).between(box.min_lon, box.max_lon),
            col(Facility.lat).between(box.min_lat, box.max_lat),
        )
    if filters.q is not None and filters.q.strip():
        query = query.where(matches("facility", filters.q, dialect))
    sorts = FACILITY_SORTS
    if workers is not STORED_WORKERS:
        sorts = {**FACILITY_SORTS, "workers": SortKey(workers.value, "float")}
    return query, sorts


def aliases_of(session: Session, facility_ids: Sequence[str]) -> dict[str, list[str]]:
    """Each facility's aliases, in the order first given."""
    aliases: dict[str, list[str]] = defaultdict(list)
    if facility_ids:
        rows = session.execute(
            select(col(FacilityAlias.facility_id), col(FacilityAlias.alias))
            .where(col(FacilityAlias.facility_id).in_(facility_ids))
            .order_by(col(FacilityAlias.facility_id), col(FacilityAlias.position))
        )
        for facility_id, alias in rows:
            aliases[facility_id].append(alias)
    return aliases


def to_public(row: Any, aliases: list[str]) -> FacilityPublic:
    """Shape one row of `facility_query` as the contract's Facility."""
    facility: Facility = row[0]
    mapping = row._mapping
    location = (
        Location(lat=facility.lat, lon=facility.lon, precision=Precision(facility.precision))
        if facility.lat is not None and facility.lon is not None and facility.precision
        else None
    )
    value = mapping["w_value"]
    workers = (
        Workers(
            value=as_number(value) if value is not None else 0,
            approximate=bool(mapping["w_approximate"]),
            as_of=mapping["w_as_of"],
            claim_id=mapping["w_claim_id"] or "",
        )
        if value is not None
        else None
    )
    return FacilityPublic(
        id=facility.id,
        name=facility.name,
        aliases=aliases,
        kind=facility.kind,
        sector=facility.sector,
        operator=facility.operator,
        operator_country=facility.operator_country,
        city=facility.city,
        region=facility.region,
        country=facility.country,
        location=location,
        workers=workers,
        claim_count=facility.claim_count,
        report_count=facility.report_count,
        first_reported=facility.first_reported,
        last_reported=facility.last_reported,
    )


def serialize_facilities(session: Session, rows: Sequence[Any]) -> list[FacilityPublic]:
    """Shape rows of `facility_query`, fetching the facilities' aliases in one query."""
    aliases = aliases_of(session, [row[0].id for row in rows])
    return [to_public(row, aliases.get(row[0].id, [])) for row in rows]


def facility_public(session: Session, facility_id: str) -> FacilityPublic:
    """One stored facility in its public shape (the caller knows it exists)."""
    query, _sorts = facility_query(FacilityFilters(), session.get_bind().dialect.name)
    row = session.execute(query.where(col(Facility.id) == facility_id)).one()
    return serialize_facilities(session, [row])[0]


def worker_history(session: Session, facility: Facility) -> WorkerHistory:
    """Every `worker_count` claim of a facility, oldest first, undated ones last in ingest order."""
    claims = session.scalars(
        select(Claim)
        .where(col(Claim.facility_id) == facility.id, col(Claim.predicate) == "worker_count")
        .order_by(case((col(Claim.dated_on).is_(None), 1), else_=0), col(Claim.dated_on), col(Claim.pk))
    ).all()
    items = [
        WorkerFigure(
            as_of=claim.dated_on,
            value=as_number(claim.value_number) if claim.value_number is not None else 0,
            approximate=claim.approximate,
            status=Status(claim.status),
            counts=claim.status not in FIGURE_EXCLUDED_STATUSES,
            current=claim.id == facility.workers_claim_id,
            claim_id=claim.id,
            report_id=claim.report_id,
            quote=claim.quote,
        )
        for claim in claims
    ]
    return WorkerHistory(facility_id=facility.id, items=items, total=len(items))
