"""Facility figures derived from claims and reports: the current worker figure, counts, first/last dates."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from api.vocabulary import FIGURE_EXCLUDED_STATUSES
from models import Claim, Facility, Report, ReportFacility


def best_worker_claim_order() -> tuple[Any, ...]:
    """Order `worker_count` claims best first: dated before undated, latest date, then ingested last."""
    return (
        case((col(Claim.dated_on).is_(None), 1), else_=0),
        col(Claim.dated_on).desc(),
        col(Claim.pk).desc(),
    )


def figure_claims(facility_id: str, as_of: date | None = None) -> Select[Claim]:
    """Select the claims that may give `facility_id` its worker figure (as known on `as_of`, if given)."""
    query = select(Claim).where(
        col(Claim.facility_id) == facility_id,
        col(Claim.predicate) == "worker_count",
        col(Claim.status).not_in(FIGURE_EXCLUDED_STATUSES),
    )
    if as_of is not None:
        query = query.where(col(Claim.dated_on) <= as_of)
    return query.order_by(*best_worker_claim_order())


def refresh_facility_figures(session: Session, facility_ids: Iterable[str]) -> None:
    """Recompute the derived columns of each facility named, inside the caller's transaction."""
    for facility_id in sorted(set(facility_ids)):
        facility = session.get(Facility, facility_id)
        if facility is None:
            continue
        best = session.scalars(figure_claims(facility_id).limit(1)).first()
        facility.workers_value = best.value_number if best else None
        facility.workers_approximate = best.approximate if best else None
        facility.workers_as_of = best.dated_on if best else None
        facility.workers_claim_id = best.id if best else None
        facility.claim_count = (
            session.scalar(select(func.count()).where(col(Claim.facility_id) == facility_id)) or 0
        )
        reports, first, last = session.execute(
            select(func.count(), func.min(Report.published_on), func.max(Report.published_on))
            .select_from(ReportFacility)
            .join(Report, col(Report.id) == col(ReportFacility.report_id))
            .where(col(ReportFacility.facility_id) == facility_id)
        ).one()
        facility.report_count = reports
        facility.first_reported = first
        facility.last_reported = last
        session.add(facility)
