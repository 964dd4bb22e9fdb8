"""Following a merge: a merged facility's id is an alias of the facility it was merged into.

A merge rewrites every redirect that pointed at the merged facility, so one lookup always reaches the
survivor. Reads (308 answers, `facility_id=` filters), bundles that name a merged id, and merges
themselves all follow merges through these two functions.
"""

from collections.abc import Iterable

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from sqlmodel import col

from api.queries.inlist import in_chunks
from models import Facility, FacilityRedirect


def follow_merges(db: Session | Connection, facility_ids: Iterable[str]) -> dict[str, str]:
    """Where each of `facility_ids` that was merged into another facility lives now (old id -> survivor)."""
    ids = set(facility_ids)
    if not ids:
        return {}
    found: dict[str, str] = {}
    for chunk in in_chunks(ids):
        rows = db.execute(
            select(col(FacilityRedirect.old_id), col(FacilityRedirect.facility_id)).where(
                col(FacilityRedirect.old_id).in_(chunk)
            )
        )
        found.update((old_id, survivor) for old_id, survivor in rows)
    return found


def current_facility_id(db: Session | Connection, facility_id: str) -> str | None:
    """The id a facility goes by now: itself if stored, the survivor if it was merged, None if unknown."""
    stored = db.execute(select(col(Facility.id)).where(col(Facility.id) == facility_id)).first()
    if stored is not None:
        return facility_id
    return follow_merges(db, [facility_id]).get(facility_id)
