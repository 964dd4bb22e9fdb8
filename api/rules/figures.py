"""The worker-figure rule (contract section 2): which claims give a facility its figure, and which one wins.

A facility's `workers` comes from its `worker_count` claims that are not disputed or retracted; each is
dated by its period end, else its report's publication date; the latest dated claim wins, a dated claim
beats an undated one, and among undated claims the one ingested last wins. The stored figure
(`api.ingest.figures`), the figure `as_of` a date and the history's `current` mark all come from here.
"""

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, case, select
from sqlmodel import col

from api.vocabulary import FIGURE_EXCLUDED_STATUSES
from models import Claim


def dated_on(period_end: date | None, published_on: date | None) -> date | None:
    """The date a claim speaks for: its period's end, else its report's publication date (None: undated)."""
    return period_end or published_on


def gives_figures() -> tuple[ColumnElement[bool], ...]:
    """The conditions for a claim to give a worker figure: a `worker_count` not disputed or retracted."""
    return (col(Claim.predicate) == "worker_count", col(Claim.status).not_in(FIGURE_EXCLUDED_STATUSES))


def best_first() -> tuple[Any, ...]:
    """Order figure-giving claims best first: dated before undated, latest date, then ingested last."""
    return (
        case((col(Claim.dated_on).is_(None), 1), else_=0),
        col(Claim.dated_on).desc(),
        col(Claim.pk).desc(),
    )


def best_figure_claim(facility_id: Any, on_or_before: date | None = None) -> ScalarSelect[Any]:
    """The id of the claim that gives the facility `facility_id` (a column or value) its worker figure.

    With `on_or_before`, the figure as known on that day: only claims dated on or before it count, and
    undated claims are left out. The index on claim (facility_id, predicate, dated_on) serves it.
    """
    query = select(col(Claim.id)).where(col(Claim.facility_id) == facility_id, *gives_figures())
    if on_or_before is not None:
        query = query.where(col(Claim.dated_on) <= on_or_before)
    return query.order_by(*best_first()).limit(1).scalar_subquery()
