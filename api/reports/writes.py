"""Report writes: adding from a bundle (the loader), replacing, deleting, and what a write answers.

Each function works inside the caller's write transaction, keeps facility figures and search text in
step, and records itself in the audit log; a failure anywhere leaves nothing written.
"""

from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from api.auth.access import RESTRICTED
from api.changes.audit import record_change, report_summary, restrict_history, scrub_deleted_report
from api.claims.listing import claims_of_report
from api.errors import InvalidBundle, NotFound, problem_responses
from api.facilities.figures import refresh_facility_figures
from api.facilities.listing import FacilityFilters, facility_query, shape_facilities
from api.ingest.bundle import Bundle
from api.ingest.loader import BundleLimits, LoadResult, PreparedBundle, load_prepared
from api.kit.inlist import in_chunks
from api.reports.lineage import detach_derivatives, refresh_origins
from api.reports.listing import report_by_id
from models import Claim, Report, ReportFacility

WRITE_ERRORS = problem_responses(400, 401, 409, 413, 415, 422)


async def bundle_limits(request: Request) -> BundleLimits:
    """The caps on a bundle's work, from the app's settings."""
    return BundleLimits.of(request.app.state.settings)


BundleLimitsDep = Annotated[BundleLimits, Depends(bundle_limits)]


BUNDLE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A bundle (docs/bundles.md) with the body inline as `report.body`.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Bundle"}}},
    }
}


def bundle_schema() -> dict[str, Any]:
    """The JSON schema of a bundle, for the OpenAPI components."""
    return Bundle.model_json_schema(ref_template="#/components/schemas/{model}")


def written(
    session: Session, result: LoadResult, *, status: Literal["added", "unchanged", "replaced"], dry_run: bool
) -> dict[str, Any]:
    """The WriteResult of a report write, shaped from the open transaction like every read answer."""
    db = session.connection()
    facilities = facility_query(FacilityFilters(report_id=result.report_id), db).order_by("id")
    return {
        "status": status,
        "dry_run": dry_run,
        "report": report_by_id(db, result.report_id),
        "facilities": shape_facilities(db, db.execute(facilities).all()),
        "claims": claims_of_report(db, result.report_id),
    }


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
    old_key = report.body_key
    detached = detach_derivatives(session, report_id)
    touched = _remove_report(session, report)
    session.flush()
    relinked = refresh_origins(session, detached, [old_key])
    refresh_facility_figures(session, [*touched, *relinked])
    restricted = report.access == RESTRICTED
    record_change(session, actor, "report.delete", "report", report_id, before=before, restricted=restricted)
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
    existing_access = existing.access
    curated = _curated_claims(session, report_id)
    old_key, reliability = existing.body_key, existing.reliability
    touched = _remove_report(session, existing)
    session.flush()
    result = load_prepared(session, prepared, actor=actor, record=False)
    if "reliability" not in bundle.report.model_fields_set and reliability is not None:
        # An editor's grade outlives a replacement, as claims' curation does, unless the bundle sets one.
        session.execute(update(Report).where(col(Report.id) == report_id).values(reliability=reliability))
    _restore_curation(session, bundle, result, curated)
    relinked = refresh_origins(session, [report_id], [old_key])
    refresh_facility_figures(session, [*touched, *relinked])
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
        restricted=RESTRICTED in (existing_access, report.access),
    )
    if report.access == RESTRICTED:
        restrict_history(session, report_id)
    return result, False


Curation = tuple[str, str | None, int | None]


def _curated_claims(session: Session, report_id: str) -> dict[str, Curation]:
    """Status, notes and credibility of a report's claims, to carry analysts' work over a replacement."""
    rows = session.execute(
        select(col(Claim.id), col(Claim.status), col(Claim.notes), col(Claim.credibility)).where(
            col(Claim.report_id) == report_id
        )
    )
    return {claim_id: (status, notes, credibility) for claim_id, status, notes, credibility in rows}


def _restore_curation(
    session: Session, bundle: Bundle, result: LoadResult, curated: dict[str, Curation]
) -> None:
    """Keep status, notes and credibility of claims that survive a PUT, unless the new bundle sets them."""
    restored: list[str] = []
    for claim_id, claim in zip(result.claim_ids, bundle.claims, strict=True):
        if claim_id not in curated:
            continue
        status, notes, credibility = curated[claim_id]
        values: dict[str, Any] = {}
        if "credibility" not in claim.model_fields_set and credibility is not None:
            values["credibility"] = credibility
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


def grade_report(session: Session, report_id: str, reliability: str | None, actor: str) -> None:
    """Set a report's Admiralty `reliability` (None: not graded), recorded in the change feed."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"No report with id {report_id!r}.")
    if report.reliability == reliability:
        return  # nothing changes: no write, no audit entry, the ETag stays
    before = {"reliability": report.reliability}
    session.execute(update(Report).where(col(Report.id) == report_id).values(reliability=reliability))
    record_change(
        session,
        actor,
        "report.update",
        "report",
        report_id,
        before=before,
        after={"reliability": reliability},
    )
