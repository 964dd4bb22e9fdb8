"""Aggregates for `/v1/stats`: counts and sums over the facilities a dashboard's filters select."""

from typing import Any

from sqlalchemy import Connection, case, func, select
from sqlmodel import col

from api.facilities.listing import FacilityFilters, facility_query, narrows
from api.kit.schemas import as_number
from api.stats.schemas import CountryCount, MonthCount, PredicateCount, SectorCount, Stats
from models import Claim, Report

# How many independent sources make a facility's figure corroborated.
CORROBORATED_SOURCES = 2


def _month(column: Any, dialect: str) -> Any:
    if dialect == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(column, "YYYY-MM")


def compute_stats(db: Connection, filters: FacilityFilters) -> Stats:
    """Aggregate the facilities matching `filters`, and the claims and reports about them.

    With no filter narrowing the facilities (`as_of` alone does not), `reports`, `claims`, `by_predicate`
    and `claims_by_month` count everything, claims about no particular facility included.
    """
    dialect = db.dialect.name
    query = facility_query(filters, db)
    matched = query.subquery("matched")
    # Corroborated: the figure shown has at least two independent sources (docs/evidence.md).
    corroborated = case((matched.c.workers_sources >= CORROBORATED_SOURCES, 1), else_=0)
    facilities, workers_total, corroborated_facilities = db.execute(
        select(
            func.count(),
            func.coalesce(func.sum(matched.c.workers_value), 0),
            func.coalesce(func.sum(corroborated), 0),
        )
    ).one()
    by_country = [
        CountryCount(country=key, facilities=count, facilities_with_figure=with_figure, workers=workers)
        for key, count, with_figure, workers in _grouped(db, matched.c.country)
    ]
    by_sector = [
        SectorCount(sector=key, facilities=count, facilities_with_figure=with_figure, workers=workers)
        for key, count, with_figure, workers in _grouped(db, matched.c.sector)
    ]
    narrowed = narrows(filters)
    claims = select(col(Claim.pk), col(Claim.predicate), col(Claim.dated_on), col(Claim.report_id))
    if narrowed:
        claims = claims.where(col(Claim.facility_id).in_(select(matched.c.id)))
    scoped = claims.subquery("scoped")
    claim_count = db.scalar(select(func.count()).select_from(scoped)) or 0
    if narrowed:
        report_count = db.scalar(select(func.count(func.distinct(scoped.c.report_id)))) or 0
    else:
        report_count = db.scalar(select(func.count()).select_from(Report)) or 0
    by_predicate = [
        PredicateCount(predicate=predicate, claims=count)
        for predicate, count in db.execute(
            select(scoped.c.predicate, func.count())
            .group_by(scoped.c.predicate)
            .order_by(func.count().desc(), scoped.c.predicate)
        )
    ]
    month = _month(scoped.c.dated_on, dialect)
    claims_by_month = [
        MonthCount(month=value, claims=count)
        for value, count in db.execute(
            select(month, func.count()).where(scoped.c.dated_on.is_not(None)).group_by(month).order_by(month)
        )
    ]
    return Stats(
        reports=report_count,
        facilities=facilities,
        claims=claim_count,
        workers_total=as_number(float(workers_total)) or 0,
        corroborated_facilities=int(corroborated_facilities),
        by_country=by_country,
        by_sector=by_sector,
        by_predicate=by_predicate,
        claims_by_month=claims_by_month,
    )


def _grouped(db: Connection, key: Any) -> list[tuple[Any, int, int, int | float]]:
    """The matched facilities grouped by `key` (a column of the `matched` subquery), most facilities first.

    Each group: its key, its facilities, those with a figure, and the sum of their figures.
    """
    matched = key.table
    rows = db.execute(
        select(
            key,
            func.count(),
            func.count(matched.c.workers_value),
            func.coalesce(func.sum(matched.c.workers_value), 0),
        )
        .group_by(key)
        .order_by(func.count().desc(), key)
    )
    return [
        (value, count, with_figure, as_number(float(workers)) or 0)
        for value, count, with_figure, workers in rows
    ]
