"""The worker-figure rule in one home: which claims give a facility its figure, which one wins, storing it.

A facility's `workers` comes from its `worker_count` claims that are not disputed or retracted; each is
dated by its period end, else its report's publication date; the latest dated claim wins, a dated claim
beats an undated one, and among undated claims the one ingested last wins. The stored figure (kept in
step by every write, in its transaction, and rebuilt for every facility by `laborwatch recompute`), the
figure `as_of` a date and the history's `counts` and `current` marks all come from here.
"""

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    ScalarSelect,
    Select,
    Table,
    case,
    func,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from api.claims.support import refresh_support
from api.kit.inlist import in_chunks
from api.vocabulary import Status
from models import Claim, Facility, Report, ReportFacility

# Claims with these statuses give no figure: an analyst's verdict steps them aside (they stay listed).
FIGURE_EXCLUDED_STATUSES = (Status.disputed.value, Status.retracted.value)


def dated_on(period_end: date | None, published_on: date | None) -> date | None:
    """The date a claim speaks for: its period's end, else its report's publication date (None: undated)."""
    return period_end or published_on


def counts_for_figures(status: str) -> bool:
    """Whether a `worker_count` claim with this status can give its facility's figure."""
    return status not in FIGURE_EXCLUDED_STATUSES


def gives_figures() -> tuple[ColumnElement[bool], ...]:
    """The conditions for a claim to give a worker figure: a `worker_count` not disputed or retracted."""
    return (col(Claim.predicate) == "worker_count", col(Claim.status).not_in(FIGURE_EXCLUDED_STATUSES))


def best_first(*, dated_only: bool = False) -> tuple[Any, ...]:
    """Order figure-giving claims best first: dated before undated, latest date, then ingested last.

    `dated_only`: the claims ordered are all dated (a figure as of a day), so no term for undated ones.
    """
    latest = (col(Claim.dated_on).desc(), col(Claim.pk).desc())
    return latest if dated_only else (case((col(Claim.dated_on).is_(None), 1), else_=0), *latest)


def best_figure_claim(facility_id: Any) -> ScalarSelect[Any]:
    """The id of the claim that gives the facility `facility_id` (a column or value) its worker figure.

    The index on claim (facility_id, predicate, dated_on) serves it.
    """
    query = select(col(Claim.id)).where(col(Claim.facility_id) == facility_id, *gives_figures())
    return query.order_by(*best_first()).limit(1).scalar_subquery()


# The columns of a facility's figure, as `facility_figure_as_of` gives them.
FIGURE_COLUMNS = (
    "workers_value",
    "workers_approximate",
    "workers_as_of",
    "workers_claim_id",
    "workers_sources",
    "workers_conflicting_sources",
)


def _best_as_of(facility_id: Any, on_or_before: date) -> Select[Any]:
    """The best figure-giving claim of the facility dated on or before the day (undated ones left out)."""
    columns: tuple[Any, ...] = (
        col(Claim.value_number).label("workers_value"),
        col(Claim.approximate).label("workers_approximate"),
        col(Claim.dated_on).label("workers_as_of"),
        col(Claim.id).label("workers_claim_id"),
        col(Claim.support_sources).label("workers_sources"),
        col(Claim.support_conflicting_sources).label("workers_conflicting_sources"),
    )
    query: Select[Any] = (
        select(*columns)
        .where(col(Claim.facility_id) == facility_id, *gives_figures(), col(Claim.dated_on) <= on_or_before)
        .order_by(*best_first(dated_only=True))
        .limit(1)
    )
    return query


def facility_figure_as_of(
    facilities: FromClause, facility_id: Any, on_or_before: date, dialect: str
) -> tuple[FromClause, dict[str, ColumnElement[Any]]]:
    """`facilities` joined with each facility's figure as known on a day, and the figure's columns by name.

    One index look-up per facility on claim (facility_id, predicate, dated_on), read backwards from the
    day: a LATERAL join on PostgreSQL (whose planner otherwise hashed every claim for each query), the
    correlated look-up of the claim's id and then its row by primary key on SQLite (which has no LATERAL
    and runs that plan from the index).
    """
    best = _best_as_of(facility_id, on_or_before)
    if dialect == "postgresql":
        lateral = best.lateral("as_of_claim")
        joined = facilities.outerjoin(lateral, true())
        return joined, {name: lateral.c[name] for name in FIGURE_COLUMNS}
    claim = aliased(Claim, name="as_of_claim")
    picked = best.with_only_columns(col(Claim.id)).scalar_subquery()
    joined = facilities.outerjoin(claim, col(claim.id) == picked)
    columns = (
        col(claim.value_number),
        col(claim.approximate),
        col(claim.dated_on),
        col(claim.id),
        col(claim.support_sources),
        col(claim.support_conflicting_sources),
    )
    return joined, {name: column.label(name) for name, column in zip(FIGURE_COLUMNS, columns, strict=True)}


def refresh_facility_figures(
    session: Session, facility_ids: Iterable[str], *, support: Iterable[str] | None = None
) -> None:
    """Recompute the derived columns of the facilities named, in two set-wise UPDATEs per chunk.

    Their claims' support is refreshed first: of all of them, or of those in `support` only (a caller
    that stored the others' support already). Runs inside the caller's transaction, so readers see old
    figures or new ones, never a mixture.
    """
    ids = sorted(set(facility_ids))
    refreshing = None if support is None else set(support)
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
        refresh_support(session, chunk if refreshing is None else [i for i in chunk if i in refreshing])
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
                workers_sources=winner.with_only_columns(col(Claim.support_sources)).scalar_subquery(),
                workers_conflicting_sources=winner.with_only_columns(
                    col(Claim.support_conflicting_sources)
                ).scalar_subquery(),
            )
        )
    session.expire_all()


def recompute_all_figures(
    session: Session, advance: Callable[[int], None] = lambda _done: None, batch: int = 1000
) -> int:
    """Rebuild the stored figure, counts and support of every facility from the claims (after a rule changes).

    In the caller's transaction, `batch` facilities at a time, calling `advance` with each batch's size;
    returns how many facilities were recomputed.
    """
    table: Table = Facility.__table__  # type: ignore[attr-defined]
    ids = list(session.scalars(select(table.c.id).order_by(table.c.id)))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        refresh_facility_figures(session, chunk)
        advance(len(chunk))
    return len(ids)
