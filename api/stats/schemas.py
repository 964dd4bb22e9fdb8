"""The shape of `/v1/stats`: counts and sums for dashboards."""

from pydantic import Field

from api.kit.schemas import Public

WITH_FIGURE = (
    "How many of these facilities have a current worker figure; 0 means the group's workers are unknown."
)
WORKERS = (
    "Sum of the figures of the facilities that have one; with `facilities_with_figure` 0, unknown (not none)."
)


class CountryCount(Public):
    """Facilities and their summed current worker figures in one country."""

    country: str | None
    facilities: int
    facilities_with_figure: int = Field(description=WITH_FIGURE)
    workers: int | float = Field(description=WORKERS)


class SectorCount(Public):
    """Facilities and their summed current worker figures in one sector."""

    sector: str | None
    facilities: int
    facilities_with_figure: int = Field(description=WITH_FIGURE)
    workers: int | float = Field(description=WORKERS)


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
