"""Claim routes: the list and one claim."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlmodel import col, select

from api.auth import KeyNameDep
from api.db import write_session
from api.deps import EngineDep, PagingDep, SessionDep
from api.errors import NotFound, problem_responses
from api.ingest.curation import update_claim
from api.listing import ITEM_ERRORS, LIST_ERRORS, answer_claim_list
from api.queries.claims import ClaimFiltersDep, serialize_claims
from api.queries.export import ListFormat, ListFormatQuery
from api.requests import ClaimPatch
from api.schemas import ClaimPublic, Page
from api.writing import require_json
from models import Claim

router = APIRouter(prefix="/v1/claims", tags=["claims"])
ClaimId = Path(description="The claim's id.", max_length=64, examples=["clm-0123456789abcdef0123"])


@router.get("", responses=LIST_ERRORS, response_model=Page[ClaimPublic])
def list_claims(
    request: Request,
    response: Response,
    session: SessionDep,
    engine: EngineDep,
    paging: PagingDep,
    filters: ClaimFiltersDep,
    fmt: ListFormatQuery = ListFormat.json,
) -> Any:
    """List claims matching every filter given, `id` order unless `sort` says otherwise.

    Sort fields: id, report_id, facility_id, predicate, value, status, evidence, period_start, period_end,
    dated_on (prefix `-` for descending; claims without a value come last either way).
    """
    return answer_claim_list(request, response, session, engine, paging, fmt, filters, "claims")


@router.get("/{claim_id}", responses=ITEM_ERRORS)
def get_claim(
    session: SessionDep,
    claim_id: Annotated[str, ClaimId],
) -> ClaimPublic:
    """One claim, with its quote and the span of the quote in the report body."""
    claim = session.scalars(select(Claim).where(col(Claim.id) == claim_id)).first()
    if claim is None:
        raise NotFound(f"No claim with id {claim_id!r}.")
    return serialize_claims(session, [(claim,)])[0]


@router.patch(
    "/{claim_id}",
    responses=problem_responses(400, 401, 404, 409, 413, 415, 422),
    dependencies=[Depends(require_json)],
)
def patch_claim(
    engine: EngineDep, actor: KeyNameDep, patch: ClaimPatch, claim_id: Annotated[str, ClaimId]
) -> ClaimPublic:
    """Set a claim's `status` and/or `notes`; a disputed or retracted claim stops giving figures."""
    with write_session(engine) as session:
        claim = update_claim(session, claim_id, patch.changes(), actor)
        return serialize_claims(session, [(claim,)])[0]
