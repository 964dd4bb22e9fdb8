"""Facility queries: filters, sort allow-list and serialization of rows into the public shape."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from api.errors import InvalidQuery
from api.queries.paging import SortKey
from api.schemas import FacilityPublic, Location, Workers, as_number
from models import Facility, FacilityAlias, ReportFacility

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


def facility_filters(
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
    )


FacilityFiltersDep = Annotated[FacilityFilters, Depends(facility_filters)]


def _same_text(column: Any, value: str) -> Any:
    return func.lower(column) == value.lower()


def filter_facilities(query: Select[Any], filters: FacilityFilters) -> Select[Any]:
    """Apply every given filter (AND) to a query over `facility`."""
    if filters.country:
        query = query.where(col(Facility.country) == filters.country)
    if filters.operator_country:
        query = query.where(col(Facility.operator_country) == filters.operator_country)
    if filters.city:
        query = query.where(_same_text(Facility.city, filters.city))
    if filters.region:
        query = query.where(_same_text(Facility.region, filters.region))
    if filters.sector:
        query = query.where(_same_text(Facility.sector, filters.sector))
    if filters.kind:
        query = query.where(_same_text(Facility.kind, filters.kind))
    if filters.min_workers is not None:
        query = query.where(col(Facility.workers_value) >= filters.min_workers)
    if filters.max_workers is not None:
        query = query.where(col(Facility.workers_value) <= filters.max_workers)
    if filters.report_id:
        named = select(col(ReportFacility.facility_id)).where(
            col(ReportFacility.report_id) == filters.report_id
        )
        query = query.where(col(Facility.id).in_(named))
    return query


def facility_query(filters: FacilityFilters) -> Select[Any]:
    """Select facilities matching `filters` (unordered)."""
    return filter_facilities(select(Facility), filters)


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


def to_public(facility: Facility, aliases: list[str]) -> FacilityPublic:
    """Shape one facility row as the contract's Facility."""
    location = (
        Location(lat=facility.lat, lon=facility.lon, precision=facility.precision)
        if facility.lat is not None and facility.lon is not None
        else None
    )
    workers = (
        Workers(
            value=as_number(facility.workers_value) or 0,
            approximate=bool(facility.workers_approximate),
            as_of=facility.workers_as_of,
            claim_id=facility.workers_claim_id or "",
        )
        if facility.workers_value is not None
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


def serialize_facilities(session: Session, facilities: Sequence[Facility]) -> list[FacilityPublic]:
    """Shape facility rows, fetching their aliases in one query."""
    aliases = aliases_of(session, [facility.id for facility in facilities])
    return [to_public(facility, aliases.get(facility.id, [])) for facility in facilities]
