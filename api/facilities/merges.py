"""Merging facilities, and following a merge: a merged facility's id is an alias of the one it went into.

A merge rewrites every redirect that pointed at the merged facility, so one lookup always reaches the
survivor. Reads (308 answers, `facility_id=` filters), bundles that name a merged id, and merges
themselves all follow merges through these two functions.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from api.changes.audit import record_change
from api.errors import InvalidBundle, Merged, NotFound
from api.facilities.figures import refresh_facility_figures
from api.facilities.names import name_columns
from api.kit.inlist import in_chunks
from models import Claim, Facility, FacilityAlias, FacilityRedirect, ReportFacility


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


def require_facility(db: Connection, facility_id: str) -> None:
    """Stored, else merged, else 404: go on if stored; raise `Merged` (a 308) or `NotFound`.

    The one rule every read of one facility follows (the API's routes and the explorer's page).
    """
    current = current_facility_id(db, facility_id)
    if current is None:
        raise NotFound(f"No facility with id {facility_id!r}.")
    if current != facility_id:
        raise Merged(f"Facility {facility_id!r} was merged into {current!r}.", facility_id, current)


def current_facility_id(db: Session | Connection, facility_id: str) -> str | None:
    """The id a facility goes by now: itself if stored, the survivor if it was merged, None if unknown."""
    stored = db.execute(select(col(Facility.id)).where(col(Facility.id) == facility_id)).first()
    if stored is not None:
        return facility_id
    return follow_merges(db, [facility_id]).get(facility_id)


def _facility_state(session: Session, facility: Facility) -> dict[str, Any]:
    aliases = list(
        session.scalars(
            select(col(FacilityAlias.alias))
            .where(col(FacilityAlias.facility_id) == facility.id)
            .order_by(col(FacilityAlias.position))
        )
    )
    return {
        "id": facility.id,
        "name": facility.name,
        "aliases": aliases,
        "claim_count": facility.claim_count,
        "report_count": facility.report_count,
    }


def merge_facility(session: Session, facility_id: str, into: str, actor: str) -> Facility:
    """Merge `facility_id` into `into`: claims and reports move, its name and id become aliases.

    Requests for the merged id are redirected to the survivor from then on.
    """
    source = session.get(Facility, facility_id)
    if source is None:
        survivor = follow_merges(session, [facility_id]).get(facility_id)
        if survivor is not None:
            raise Merged(
                f"Facility {facility_id!r} was merged into {survivor!r} already.", facility_id, survivor
            )
        raise NotFound(f"No facility with id {facility_id!r}.")
    target_id = current_facility_id(session, into)
    if target_id is None:
        msg = f"no facility with id {into!r}"
        raise InvalidBundle(f"Cannot merge: {msg}.", [{"loc": ["body", "into"], "msg": msg}])
    if target_id == facility_id:
        msg = "a facility cannot be merged into itself"
        raise InvalidBundle(f"Cannot merge: {msg}.", [{"loc": ["body", "into"], "msg": msg}])
    target = session.get(Facility, target_id)
    assert target is not None  # noqa: S101 - resolved above
    before = {"merged": _facility_state(session, source), "into": _facility_state(session, target)}

    session.execute(update(Claim).where(col(Claim.facility_id) == facility_id).values(facility_id=target_id))
    target_reports = select(col(ReportFacility.report_id)).where(col(ReportFacility.facility_id) == target_id)
    for report_id in session.scalars(
        select(col(ReportFacility.report_id)).where(
            col(ReportFacility.facility_id) == facility_id,
            col(ReportFacility.report_id).not_in(target_reports),
        )
    ).all():
        session.add(ReportFacility(report_id=report_id, facility_id=target_id))
    session.execute(delete(ReportFacility).where(col(ReportFacility.facility_id) == facility_id))

    aliases = before["into"]["aliases"] + [source.name, *before["merged"]["aliases"], facility_id]
    unique = [alias for alias in dict.fromkeys(aliases) if alias != target.name]
    session.execute(delete(FacilityAlias).where(col(FacilityAlias.facility_id) == target_id))
    for position, alias in enumerate(unique):
        session.add(FacilityAlias(facility_id=target_id, position=position, alias=alias))
    columns = name_columns(target.name, unique, target.operator, target.city, target.region)
    target.aliases, target.search_text = columns["aliases"], columns["search_text"]
    session.add(target)

    session.execute(
        update(FacilityRedirect)
        .where(col(FacilityRedirect.facility_id) == facility_id)
        .values(facility_id=target_id)
    )
    session.flush()
    session.execute(delete(Facility).where(col(Facility.id) == facility_id))
    session.expunge(source)
    session.add(FacilityRedirect(old_id=facility_id, facility_id=target_id))
    session.flush()
    refresh_facility_figures(session, [target_id])
    record_change(
        session,
        actor,
        "facility.merge",
        "facility",
        facility_id,
        before=before,
        after={"merged_into": target_id, "into": _facility_state(session, target)},
    )
    return target
