"""Facilities as a listed resource: filters, query, sort keys and the one shaping of a facility row."""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import Depends, Query
from pydantic import StringConstraints
from sqlalchemy import Connection, Select, Table, case, func, select
from sqlmodel import col

from api.auth.access import CLAIM_KEPT, withhold
from api.claims.listing import claim_columns
from api.errors import InvalidQuery
from api.facilities.figures import counts_for_figures, facility_figure_as_of
from api.facilities.names import FACILITY_SEARCH
from api.facilities.schemas import FacilityPublic
from api.kit.export import Format
from api.kit.inlist import is_any_of
from api.kit.listing import Listing
from api.kit.paging import Keyset, Sort, SortKey, fetch_page
from api.kit.params import MAX_FILTER_VALUES, any_of_text, distinct
from api.kit.planner import rare
from api.kit.schemas import as_number, iso
from api.kit.search import fold, matches
from models import Claim, Facility, ReportFacility

COUNTRY = r"^[A-Za-z]{2}$"
Country = Annotated[str, StringConstraints(pattern=COUNTRY)]
Term = Annotated[str, StringConstraints(max_length=50)]
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
    """The facility filters, validated; a tuple holds the values of an "any of" (several values)."""

    country: tuple[str, ...] = ()
    city: str | None = None
    region: str | None = None
    sector: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    operator_country: tuple[str, ...] = ()
    min_workers: float | None = None
    max_workers: float | None = None
    report_id: str | None = None
    q: str | None = None
    bbox: BoundingBox | None = None
    as_of: date | None = None
    min_sources: int | None = None


async def facility_filters(
    *,
    country: Annotated[
        list[Country] | None,
        Query(
            max_length=MAX_FILTER_VALUES,
            description="ISO 3166-1 alpha-2, any case. " + any_of_text("country", "RU", "CN"),
            examples=[["RU"]],
        ),
    ] = None,
    city: Annotated[
        str | None, Query(max_length=200, description="City, any case.", examples=["Irkutsk"])
    ] = None,
    region: Annotated[
        str | None, Query(max_length=200, description="Region, any case.", examples=["Irkutsk Oblast"])
    ] = None,
    sector: Annotated[
        list[Term] | None,
        Query(
            max_length=MAX_FILTER_VALUES,
            description="Sector, any case. " + any_of_text("sector", "garment", "construction"),
            examples=[["garment"]],
        ),
    ] = None,
    kind: Annotated[
        list[Term] | None,
        Query(
            max_length=MAX_FILTER_VALUES,
            description="Kind, any case. " + any_of_text("kind", "factory", "site"),
            examples=[["factory"]],
        ),
    ] = None,
    operator_country: Annotated[
        list[Country] | None,
        Query(
            max_length=MAX_FILTER_VALUES,
            description="Operator's country, alpha-2. " + any_of_text("operator_country", "KP", "RU"),
            examples=[["KP"]],
        ),
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
    min_sources: Annotated[
        int | None,
        Query(
            ge=0,
            le=1_000_000,
            description="Only facilities whose figure at least this many independent sources support "
            "(`workers.sources`; docs/evidence.md).",
            examples=[2],
        ),
    ] = None,
) -> FacilityFilters:
    """Collect and cross-check the facility filters: the API's, the explorer's and `export`'s (by keyword)."""
    if min_workers is not None and max_workers is not None and min_workers > max_workers:
        raise InvalidQuery(
            "min_workers is greater than max_workers.",
            [{"loc": ["query", "min_workers"], "msg": "must not exceed max_workers"}],
        )
    return FacilityFilters(
        country=distinct(country, str.upper),
        city=city,
        region=region,
        sector=distinct(sector),
        kind=distinct(kind),
        operator_country=distinct(operator_country, str.upper),
        min_workers=min_workers,
        max_workers=max_workers,
        report_id=report_id,
        q=q,
        bbox=parse_bbox(bbox) if bbox is not None else None,
        as_of=as_of,
        min_sources=min_sources,
    )


FacilityFiltersDep = Annotated[FacilityFilters, Depends(facility_filters)]


def narrows(filters: FacilityFilters) -> bool:
    """Whether `filters` narrow the set of facilities: `as_of` alone changes their figures, not the set.

    With filters that narrow it, what is said about facilities (stats, the FtM export) covers only the
    claims about matching facilities and the reports they come from; without, every claim and report.
    """
    return replace(filters, as_of=None) != FacilityFilters()


_CLAIM_TABLE: Table = Claim.__table__  # type: ignore[attr-defined]
_FACILITY: Table = Facility.__table__  # type: ignore[attr-defined]
# What a facility answer reads, in this order (`facility_record` unpacks it): plain columns, the stored
# figure included (the four workers_* columns are replaced by the figure as of a date when asked).
_READ = (
    "id", "name", "kind", "sector", "operator", "operator_country", "city", "region", "country",
    "lat", "lon", "precision", "workers_value", "workers_approximate", "workers_as_of", "workers_claim_id",
    "claim_count", "report_count", "first_reported", "last_reported", "aliases",
    "workers_sources", "workers_conflicting_sources",
)  # fmt: skip
_COLUMNS = [_FACILITY.c[name] for name in _READ]


def facility_query(filters: FacilityFilters, db: Connection) -> Select[Any]:
    """Select the facilities matching `filters`, each with the worker figure to show (stored or `as_of`)."""
    if filters.as_of is None:
        query = select(*_COLUMNS)
        workers_value: Any = _FACILITY.c.workers_value
        workers_sources: Any = _FACILITY.c.workers_sources
    else:
        # Each facility's figure as known on that day, in place of the stored one.
        joined, figure = facility_figure_as_of(_FACILITY, _FACILITY.c.id, filters.as_of, db.dialect.name)
        query = select(*(figure.get(c.name, c) for c in _COLUMNS)).select_from(joined)
        workers_value = figure["workers_value"]
        workers_sources = figure["workers_sources"]
    c = _FACILITY.c
    if filters.country:
        query = query.where(is_any_of(c.country, filters.country))
    if filters.operator_country:
        query = query.where(is_any_of(c.operator_country, filters.operator_country))
    for name in ("city", "region"):
        value = getattr(filters, name)
        if value:
            query = query.where(c[f"{name}_fold"] == fold(value))
    for name in ("sector", "kind"):
        values = getattr(filters, name)
        if values:
            query = query.where(is_any_of(c[f"{name}_fold"], [fold(value) for value in values]))
    if filters.min_workers is not None:
        query = query.where(workers_value >= filters.min_workers)
    if filters.max_workers is not None:
        query = query.where(workers_value <= filters.max_workers)
    if filters.min_sources is not None:
        # Few figures are corroborated: let SQLite read the index (api/kit/planner.py).
        wanted = workers_sources >= filters.min_sources
        query = query.where(rare(wanted, db.dialect.name) if filters.min_sources >= 2 else wanted)
    if filters.report_id:
        named = select(col(ReportFacility.facility_id)).where(
            col(ReportFacility.report_id) == filters.report_id
        )
        query = query.where(c.id.in_(named))
    if filters.bbox:
        box = filters.bbox
        query = query.where(c.lon.between(box.min_lon, box.max_lon), c.lat.between(box.min_lat, box.max_lat))
    if filters.q is not None and filters.q.strip():
        query = query.where(matches(FACILITY_SEARCH, filters.q, db.dialect.name))
    return query


def facility_record(row: Any) -> dict[str, Any]:
    """The public Facility as JSON gives it, from a row of `facility_query`: the one shaping of a facility."""
    (
        facility_id, name, kind, sector, operator, operator_country, city, region, country,
        lat, lon, precision, workers_value, workers_approximate, workers_as_of, workers_claim_id,
        claim_count, report_count, first_reported, last_reported, aliases,
        workers_sources, workers_conflicting_sources,
    ) = row  # fmt: skip
    located = lat is not None and lon is not None and precision
    return {
        "id": facility_id,
        "name": name,
        "aliases": orjson.loads(aliases),
        "kind": kind,
        "sector": sector,
        "operator": operator,
        "operator_country": operator_country,
        "city": city,
        "region": region,
        "country": country,
        "location": {"lat": lat, "lon": lon, "precision": precision} if located else None,
        "workers": {
            "value": as_number(workers_value),
            "approximate": bool(workers_approximate),
            "as_of": iso(workers_as_of),
            "claim_id": workers_claim_id or "",
            "sources": workers_sources or 0,
            "conflicting_sources": workers_conflicting_sources or 0,
        }
        if workers_value is not None
        else None,
        "claim_count": claim_count,
        "report_count": report_count,
        "first_reported": iso(first_reported),
        "last_reported": iso(last_reported),
    }


def shape_facilities(db: Connection, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Shape rows of `facility_query`."""
    return [facility_record(row) for row in rows]


FACILITIES: Listing[FacilityFilters] = Listing(
    name="facilities",
    item=FacilityPublic,
    query=facility_query,
    shape=shape_facilities,
    sorts={
        "id": SortKey("id", "str"),
        "name": SortKey("name", "str"),
        "country": SortKey("country", "str"),
        "region": SortKey("region", "str"),
        "city": SortKey("city", "str"),
        "kind": SortKey("kind", "str"),
        "sector": SortKey("sector", "str"),
        "operator_country": SortKey("operator_country", "str"),
        "workers": SortKey("workers_value", "float"),
        "sources": SortKey("workers_sources", "int"),
        "claim_count": SortKey("claim_count", "int"),
        "report_count": SortKey("report_count", "int"),
        "first_reported": SortKey("first_reported", "date"),
        "last_reported": SortKey("last_reported", "date"),
    },
    formats=(Format.json, Format.csv, Format.ndjson, Format.geojson),
    slow=lambda filters: bool(filters.q and filters.q.strip()) or filters.as_of is not None,
    remember_totals=True,
)


def facility_by_id(db: Connection, facility_id: str) -> dict[str, Any] | None:
    """One stored facility in its public shape, or None when no facility has this id."""
    row = db.execute(facility_query(FacilityFilters(), db).where(_FACILITY.c.id == facility_id)).first()
    return shape_facilities(db, [row])[0] if row is not None else None


# The history read in `as_of` order, missing dates last, then ingest order: a keyset on (dated_on, pk).
_HISTORY_SORT = Sort("as_of", SortKey("dated_on", "date"), descending=False)


def worker_history(
    db: Connection, facility_id: str, *, limit: int, cursor: str | None, counted_under: str
) -> dict[str, Any]:
    """One page of a facility's `worker_count` claims, oldest first, undated ones last in ingest order."""
    current = db.execute(select(_FACILITY.c.workers_claim_id).where(_FACILITY.c.id == facility_id)).scalar()
    claims = select(*claim_columns(*_CLAIM_TABLE.columns)).where(
        col(Claim.facility_id) == facility_id, col(Claim.predicate) == "worker_count"
    )
    page = fetch_page(
        db,
        Keyset(claims, _HISTORY_SORT, "pk"),
        limit=limit,
        offset=0,
        cursor_token=cursor,
        counted_under=counted_under,
        id_kind="int",
    )
    items = [_figure(claim, current) for claim in page.rows]
    following = page.next.encode() if page.next is not None else None
    return {
        "facility_id": facility_id,
        "items": items,
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "next": following,
    }


def latest_worker_figures(db: Connection, facility_id: str, count: int) -> tuple[list[dict[str, Any]], int]:
    """The last `count` figures of a facility's history (in its order, oldest first) and how many it has."""
    current = db.execute(select(_FACILITY.c.workers_claim_id).where(_FACILITY.c.id == facility_id)).scalar()
    where = (col(Claim.facility_id) == facility_id, col(Claim.predicate) == "worker_count")
    total = db.execute(select(func.count()).select_from(Claim).where(*where)).scalar() or 0
    latest = db.execute(
        select(*claim_columns(*_CLAIM_TABLE.columns))
        .where(*where)
        .order_by(
            case((col(Claim.dated_on).is_(None), 1), else_=0).desc(),
            col(Claim.dated_on).desc(),
            col(Claim.pk).desc(),
        )
        .limit(count)
    ).all()
    return [_figure(claim, current) for claim in reversed(latest)], total


def _figure(claim: Any, current: str | None) -> dict[str, Any]:
    """One `worker_count` claim as a point of its facility's history (`WorkerFigure`), withheld as due."""
    return withhold(
        {
            "as_of": iso(claim.dated_on),
            "value": as_number(claim.value_number) if claim.value_number is not None else 0,
            "approximate": claim.approximate,
            "status": claim.status,
            "counts": counts_for_figures(claim.status),
            "current": claim.id == current,
            "claim_id": claim.id,
            "report_id": claim.report_id,
            "quote": claim.quote,
        },
        CLAIM_KEPT,
        claim.restricted,
    )


def located_facilities(db: Connection) -> Select[Any]:
    """Select every facility with a location (what `facility_record` gives a `location`), in id order."""
    c = _FACILITY.c
    located = (c.lat.is_not(None), c.lon.is_not(None), c.precision.is_not(None), c.precision != "")
    return facility_query(FacilityFilters(), db).where(*located).order_by(c.id)


def located_count(db: Connection) -> int:
    """How many facilities have a location (the map's markers)."""
    counted = select(func.count()).select_from(located_facilities(db).order_by(None).subquery())
    return db.execute(counted).scalar() or 0
