"""Claim routes: the list, one claim, and an analyst's correction."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from api.auth.deps import EditorKeyDep
from api.claims.curation import update_claim
from api.claims.listing import CLAIMS, ClaimFiltersDep, claim_by_id
from api.claims.schemas import ClaimPage, ClaimPatch, ClaimPublic
from api.db.engine import write_session
from api.db.reader import EngineDep, ReadDep
from api.errors import NotFound, problem_responses
from api.kit.bodies import require_json
from api.kit.listing import ListRequest, answer_list
from api.kit.responses import json_response

router = APIRouter(prefix="/v1/claims", tags=["claims"])
ClaimId = Path(description="The claim's id.", max_length=64, examples=["clm-0123456789abcdef0123"])


@router.get("", responses=CLAIMS.responses(), response_model=ClaimPage)
async def list_claims(
    request: Request,
    read: ReadDep,
    filters: ClaimFiltersDep,
    params: Annotated[ListRequest, Depends(CLAIMS.params)],
) -> Response:
    """List claims matching every filter given, `id` order unless `sort` says otherwise."""
    return await answer_list(read, request, CLAIMS, filters, params)


@router.get("/{claim_id}", responses=problem_responses(404, 422), response_model=ClaimPublic)
async def get_claim(read: ReadDep, claim_id: Annotated[str, ClaimId]) -> Response:
    """One claim, with its quote and the span of the quote in the report body."""
    claim = await read.inline(claim_by_id, claim_id)
    if claim is None:
        raise NotFound(f"No claim with id {claim_id!r}.")
    return json_response(claim)


@router.patch(
    "/{claim_id}",
    responses=problem_responses(400, 401, 404, 409, 413, 415, 422),
    dependencies=[Depends(require_json)],
    response_model=ClaimPublic,
)
def patch_claim(
    engine: EngineDep, actor: EditorKeyDep, patch: ClaimPatch, claim_id: Annotated[str, ClaimId]
) -> Response:
    """Set a claim's `status`, `notes` and/or `credibility` (Admiralty 1..6, `null` to clear).

    A disputed or retracted claim stops giving figures and support.
    """
    with write_session(engine) as session:
        update_claim(session, claim_id, patch.changes(), actor)
        claim = claim_by_id(session.connection(), claim_id)
    return json_response(claim)
