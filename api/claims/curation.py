"""Correcting a claim: its status, notes and credibility (an analyst's verdict), with the figure following."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from api.changes.audit import record_change
from api.errors import NotFound
from api.facilities.figures import refresh_facility_figures
from models import Claim

CLAIM_FIELDS = ("status", "notes", "credibility")


def update_claim(session: Session, claim_id: str, changes: dict[str, Any], actor: str) -> Claim:
    """Set a claim's status and/or notes; the facility's figure follows (a disputed claim steps aside)."""
    claim = session.scalars(select(Claim).where(col(Claim.id) == claim_id)).first()
    if claim is None:
        raise NotFound(f"No claim with id {claim_id!r}.")
    if not changes or set(changes) - set(CLAIM_FIELDS):
        raise ValueError(f"changes must name some of {CLAIM_FIELDS}")  # the route's model ensures it
    before = {field: getattr(claim, field) for field in changes}
    if before == changes:
        return claim  # nothing changes: no write, no audit entry, the ETag stays
    for field, value in changes.items():
        setattr(claim, field, value)
    session.add(claim)
    session.flush()
    if claim.facility_id:
        refresh_facility_figures(session, [claim.facility_id])
    record_change(
        session,
        actor,
        "claim.update",
        "claim",
        claim_id,
        before=before,
        after=dict(changes),
        restricted=claim.restricted,
    )
    return claim
