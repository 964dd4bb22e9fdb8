"""Claim routes: the list and one claim."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlmodel import col, select

from api.deps import PagingDep, SessionDep, dialect_of
from api.errors import NotFound
from api.queries.claims import CLAIM_SORTS, ClaimFiltersDep, claim_query, serialize_claims
from api.queries.paging import fetch_page, parse_sort
from api.routers.common import ITEM_ERRORS, LIST_ERRORS, envelope
from api.schemas import ClaimPublic, Page
from models import Claim

router = APIRouter(prefix="/v1/claims", tags=["claims"])


@router.get("", responses=LIST_ERRORS)
def list_claims(
    request: Request, response: Response, session: SessionDep, paging: PagingDep, filters: ClaimFiltersDep
) -> Page[ClaimPublic]:
    """List claims matching every filter given, `id` order unless `sort` says otherwise.

    Sort fields: id, report_id, facility_id, predicate, value, status, evidence, period_start, period_end,
    dated_on (prefix `-` for descending; claims without a value come last either way).
    """
    page = fetch_page(
        session,
        claim_query(filters, dialect_of(session)),
        url=request.url,
        sort=parse_sort(paging.sort, CLAIM_SORTS),
        id_column=col(Claim.id),
        limit=paging.limit,
        offset=paging.offset,
        cursor_token=paging.cursor,
    )
    return envelope(response, page, serialize_claims([row[0] for row in page.rows]))


@router.get("/{claim_id}", responses=ITEM_ERRORS)
def get_claim(
    session: SessionDep,
    claim_id: Annotated[
        str, Path(description="The claim's id.", max_length=64, examples=["clm-0123456789abcdef0123"])
    ],
) -> ClaimPublic:
    """One claim, with its quote and the span of the quote in the report body."""
    claim = session.scalars(select(Claim).where(col(Claim.id) == claim_id)).first()
    if claim is None:
        raise NotFound(f"No claim with id {claim_id!r}.")
    return serialize_claims([claim])[0]
