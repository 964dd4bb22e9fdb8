"""Facility routes: the list, one facility, and its claims."""

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlmodel import col

from api.deps import PagingDep, SessionDep, dialect_of
from api.errors import NotFound
from api.queries.claims import CLAIM_SORTS, ClaimSubfiltersDep, claim_query, serialize_claims
from api.queries.facilities import (
    FacilityFilters,
    FacilityFiltersDep,
    facility_query,
    serialize_facilities,
)
from api.queries.paging import fetch_page, parse_sort
from api.routers.common import ITEM_ERRORS, LIST_ERRORS, envelope
from api.schemas import ClaimPublic, FacilityPublic, Page
from models import Claim, Facility

router = APIRouter(prefix="/v1/facilities", tags=["facilities"])

FacilityId = Path(description="The facility's id.", examples=["irkutsk-dprk-garment-factory"], max_length=128)


@router.get("", responses=LIST_ERRORS)
def list_facilities(
    request: Request, response: Response, session: SessionDep, paging: PagingDep, filters: FacilityFiltersDep
) -> Page[FacilityPublic]:
    """List facilities matching every filter given, `id` order unless `sort` says otherwise.

    Sort fields: id, name, country, region, city, kind, sector, operator_country, workers, claim_count,
    report_count, first_reported, last_reported (prefix `-` for descending; facilities without a value
    come last either way).
    """
    query, sorts = facility_query(filters, dialect_of(session))
    sort = parse_sort(paging.sort, sorts)
    page = fetch_page(
        session,
        query,
        url=request.url,
        sort=sort,
        id_column=col(Facility.id),
        limit=paging.limit,
        offset=paging.offset,
        cursor_token=paging.cursor,
    )
    return envelope(response, page, serialize_facilities(session, page.rows))


def get_facility_or_404(session: SessionDep, facility_id: str) -> Facility:
    """Return the facility or raise `NotFound`."""
    facility = session.get(Facility, facility_id)
    if facility is None:
        raise NotFound(f"No facility with id {facility_id!r}.")
    return facility


@router.get("/{facility_id}", responses=ITEM_ERRORS)
def get_facility(session: SessionDep, facility_id: Annotated[str, FacilityId]) -> FacilityPublic:
    """One facility, with its current worker figure and counts."""
    get_facility_or_404(session, facility_id)
    query, _sorts = facility_query(FacilityFilters(), dialect_of(session))
    row = session.execute(query.where(col(Facility.id) == facility_id)).one()
    return serialize_facilities(session, [row])[0]


@router.get("/{facility_id}/claims", responses=ITEM_ERRORS | LIST_ERRORS)
def list_facility_claims(
    request: Request,
    response: Response,
    session: SessionDep,
    paging: PagingDep,
    filters: ClaimSubfiltersDep,
    facility_id: Annotated[str, FacilityId],
) -> Page[ClaimPublic]:
    """The claims about one facility (the claim filters and sorts apply too)."""
    get_facility_or_404(session, facility_id)
    scoped = replace(filters, facility_id=facility_id)
    page = fetch_page(
        session,
        claim_query(scoped, dialect_of(session)),
        url=request.url,
        sort=parse_sort(paging.sort, CLAIM_SORTS),
        id_column=col(Claim.id),
        limit=paging.limit,
        offset=paging.offset,
        cursor_token=paging.cursor,
    )
    return envelope(response, page, serialize_claims([row[0] for row in page.rows]))
