"""Storing the figures derived from claims and reports: the current worker figure, counts, first/last seen."""

from collections.abc import Iterable

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from api.queries.inlist import in_chunks
from api.rules.figures import best_figure_claim
from models import Claim, Facility, Report, ReportFacility


def refresh_facility_figures(session: Session, facility_ids: Iterable[str]) -> None:
    """Recompute the derived columns of the facilities named, in two set-wise UPDATEs per chunk.

    Runs inside the caller's transaction, so readers see old figures or new ones, never a mixture.
    """
    ids = sorted(set(facility_ids))
    session.flush()
    table: Table = Facility.__table__  # type: ignore[attr-defined]  # Core UPDATEs: no ORM bookkeeping
    facility_id = table.c.id
    named_by = (
        select(col(Report.published_on))
        .select_from(ReportFacility)
        .join(Report, col(Report.id) == col(ReportFacility.report_id))
        .where(col(ReportFacility.facility_id) == facility_id)
    )
    best = best_figure_claim(facility_id)
    for chunk in in_chunks(ids):
        session.execute(
            update(table)
            .where(facility_id.in_(chunk))
            .values(
                claim_count=select(func.count())
                .select_from(Claim)
                .where(col(Claim.facility_id) == facility_id)
                .scalar_subquery(),
                report_count=select(func.count())
                .select_from(ReportFacility)
                .where(col(ReportFacility.facility_id) == facility_id)
                .scalar_subquery(),
                first_reported=named_by.with_only_columns(func.min(Report.published_on)).scalar_subquery(),
                last_reported=named_by.with_only_columns(func.max(Report.published_on)).scalar_subquery(),
                workers_claim_id=best,
            )
        )
        winner = select(Claim).where(col(Claim.id) == table.c.workers_claim_id)
        session.execute(
            update(table)
            .where(facility_id.in_(chunk))
            .values(
                workers_value=winner.with_only_columns(col(Claim.value_number)).scalar_subquery(),
                workers_approximate=winner.with_only_columns(col(Claim.approximate)).scalar_subquery(),
                workers_as_of=winner.with_only_columns(col(Claim.dated_on)).scalar_subquery(),
            )
        )
    session.expire_all()
