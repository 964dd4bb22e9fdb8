"""The shape of `/v1/stats`: counts and sums for dashboards."""

from pydantic import Field

from api.kit.schemas import Public


class CountryCount(Public):
    """Facilities and their summed current worker figures in one country."""

    country: str | None
    facilities: int
    workers: int | float


class SectorCount(Public):
    """Facilities and their summed current worker figures in one sector."""

    sector: str | None
    facilities: int
    workers: int | float


class PredicateCount(Public):
    """How many claims use one predicate."""

    predicate: str
    claims: int


class MonthCount(Public):
    """How many claims are dated in one month (`YYYY-MM`)."""

    month: str
    claims: int


class Stats(Public):
    """Counts and sums for dashboards, over the facilities matching the filters given."""

    reports: int
    facilities: int
    claims: int
    workers_total: int | float = Field(description="Sum of the matching facilities' current worker figures.")
    corroborated_facilities: int = Field(
        description="Matching facilities whose figure has at least two independent sources."
    )
    by_country: list[CountryCount]
    by_sector: list[SectorCount]
    by_predicate: list[PredicateCount]
    claims_by_month: list[MonthCount]
