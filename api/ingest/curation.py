"""Curation writes: replacing and deleting reports, correcting claims and merging facilities.

Each function works inside the caller's write transaction, keeps facility figures and search text in
step, and records itself in the audit log; a failure anywhere leaves nothing written.
"""

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from api.errors import InvalidBundle, Merged, NotFound
from api.ingest.audit import record_change, report_summary, scrub_deleted_report
from api.ingest.bundle import Bundle
from api.ingest.figures import refresh_facility_figures
from api.ingest.loader import LoadResult, PreparedBundle, load_prepared, name_columns
from api.queries.inlist import in_chunks
from api.rules.merges import current_facility_id, follow_merges
from models import Claim, Facility, FacilityAlias, FacilityRedirect, Report, ReportFacility


def _report_links(session: Session, report_id: str) -> tuple[list[str], list[str]]:
    claim_ids = list(
        session.scalars(
            select(col(Claim.id)).where(col(Claim.report_id) == report_id).order_by(col(Claim.pk))
        )
    )
    facility_ids = list(
        session.scalars(
            select(col(ReportFacility.facility_id))
            .where(col(ReportFacility.report_id) == report_id)
            .order_by(col(ReportFacility.facility_id))
        )
    )
    return claim_ids, facility_ids


def _remove_report(session: Session, report: Report) -> list[str]:
    """Delete a report with its claims and links; return the facilities whose figures need recomputing."""
    claim_facilities = set(
        session.scalars(select(col(Claim.facility_id)).where(col(Claim.report_id) == report.id).distinct())
    )
    _claims, linked = _report_links(session, report.id)
    session.execute(delete(Report).where(col(Report.id) == report.id))
    session.expunge(report)
    return sorted({f for f in claim_facilities if f} | set(linked))


def delete_report(session: Session, report_id: str, actor: str) -> None:
    """Delete a report and its claims; the facilities it named stay, with their figures recomputed.

    The audit log keeps the report's entries without their content (`scrub_deleted_report`).
    """
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"No report with id {report_id!r}.")
    claim_ids, facility_ids = _report_links(session, report_id)
    before = report_summary(report, claim_ids, facility_ids)
    touched = _remove_report(session, report)
    session.flush()
    refresh_facility_figures(session, touched)
    record_change(session, actor, "report.delete", "report", report_id, before=before)
    session.flush()
    scrub_deleted_report(session, report_id)


def replace_report(
    session: Session, report_id: str, bundle: Bundle, prepared: PreparedBundle, actor: str
) -> tuple[LoadResult, bool]:
    """Replace the report `report_id` with `bundle` (PUT); returns the result and whether it was created.

    `prepared` is the bundle prepared (`prepare_bundle`) before the caller's write transaction began. The
    same bundle as stored changes nothing; otherwise the old report and its claims go and the new ones are
    checked and written like any bundle, all in the caller's transaction.
    """
    if bundle.report.id != report_id:
        msg = f"the bundle's report.id {bundle.report.id!r} differs from the path's {report_id!r}"
        raise InvalidBundle(f"Invalid bundle: report.id: {msg}", [{"loc": ["report", "id"], "msg": msg}])
    existing = session.get(Report, report_id)
    if existing is None:
        return load_prepared(session, prepared, actor=actor), True
    if existing.bundle_sha256 == prepared.fingerprint:
        return load_prepared(session, prepared, actor=actor), False
    claim_ids, facility_ids = _report_links(session, report_id)
    before = report_summary(existing, claim_ids, facility_ids)
    curated = _curated_claims(session, report_id)
    touched = _remove_report(session, existing)
    session.flush()
    result = load_prepared(session, prepared, actor=actor, record=False)
    _restore_curation(session, bundle, result, curated)
    refresh_facility_figures(session, touched)
    report = session.get(Report, report_id)
    assert report is not None  # noqa: S101 - just written
    record_change(
        session,
        actor,
        "report.replace",
        "report",
        report_id,
        before=before,
        after=report_summary(report, result.claim_ids, result.facility_ids),
    )
    return result, False


CLAIM_FIELDS = ("status", "notes")


def _curated_claims(session: Session, report_id: str) -> dict[str, tuple[str, str | None]]:
    """Status and notes of a report's claims, to carry analysts' corrections over a replacement."""
    rows = session.execute(
        select(col(Claim.id), col(Claim.status), col(Claim.notes)).where(col(Claim.report_id) == report_id)
    )
    return {claim_id: (status, notes) for claim_id, status, notes in rows}


def _restore_curation(
    session: Session, bundle: Bundle, result: LoadResult, curated: dict[str, tuple[str, str | None]]
) -> None:
    """Keep the status and notes of claims that survive a PUT unchanged, unless the new bundle sets them."""
    restored: list[str] = []
    for claim_id, claim in zip(result.claim_ids, bundle.claims, strict=True):
        if claim_id not in curated:
            continue
        status, notes = curated[claim_id]
        values: dict[str, Any] = {}
        if "status" not in claim.model_fields_set:
            values["status"] = status
        if "notes" not in claim.model_fields_set:
            values["notes"] = notes
        if values:
            session.execute(update(Claim).where(col(Claim.id) == claim_id).values(**values))
            restored.append(claim_id)
    facilities: list[str] = []
    for chunk in in_chunks(restored):
        facilities += session.scalars(
            select(col(Claim.facility_id)).where(
                col(Claim.id).in_(chunk), col(Claim.facility_id).is_not(None)
            )
        )
    if facilities:
        refresh_facility_figures(session, [f for f in facilities if f])


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
    record_change(session, actor, "claim.update", "claim", claim_id, before=before, after=dict(changes))
    return claim


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
