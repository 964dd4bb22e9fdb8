"""Facilities (workplaces) and their aliases, with figures derived from claims."""

from datetime import date, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import SLUG_LENGTH, utc_now


class Facility(SQLModel, table=True):
    """A workplace the reports speak of.

    The `workers_*`, `*_count` and `*_reported` columns are derived from claims by the loader, in the same
    transaction as the write that changes them, so that reads and sorts need no aggregation.
    """

    # Equality filters in the default (id) order, and country then city, the dashboards' drill-down.
    __table_args__ = (
        Index("ix_facility_country_city", "country", "city_fold", "id"),
        Index("ix_facility_country_id", "country", "id"),
        Index("ix_facility_city_fold", "city_fold", "id"),
        Index("ix_facility_region_fold", "region_fold", "id"),
        Index("ix_facility_sector_fold", "sector_fold", "id"),
        Index("ix_facility_kind_fold", "kind_fold", "id"),
        # `min_sources`: a country's or a city's few corroborated figures, sought rather than filtered.
        Index("ix_facility_country_city_sources", "country", "city_fold", "workers_sources"),
        Index("ix_facility_country_sources", "country", "workers_sources"),
    )

    id: str = Field(primary_key=True, max_length=SLUG_LENGTH)
    name: str = Field(max_length=500)
    kind: str | None = Field(default=None, max_length=50)
    sector: str | None = Field(default=None, max_length=50)
    operator: str | None = Field(default=None, max_length=500)
    operator_country: str | None = Field(default=None, max_length=2, index=True)
    city: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=2)
    lat: float | None = None
    lon: float | None = None
    precision: str | None = Field(default=None, max_length=10)
    workers_value: float | None = Field(default=None, index=True)
    workers_approximate: bool | None = None
    workers_as_of: date | None = None
    workers_claim_id: str | None = Field(default=None, max_length=64)
    # The figure's claim's support: its independent sources, and the distinct origins conflicting with it.
    workers_sources: int | None = Field(default=None, index=True)
    workers_conflicting_sources: int | None = None
    claim_count: int = 0
    report_count: int = 0
    first_reported: date | None = None
    last_reported: date | None = None
    # What full-text search reads (kept in step by the loader; indexed by FTS5 or a GIN index).
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The aliases in order as JSON text, a copy of the facility_alias rows kept in step by the loader.
    aliases: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    # Case-folded copies of the filterable labels (`api.rules.search.fold`): filters are indexed equalities.
    # Unbounded: folding can lengthen a text ("ß" becomes "ss").
    city_fold: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    region_fold: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sector_fold: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    kind_fold: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class FacilityAlias(SQLModel, table=True):
    """Another name a facility goes by, in the order first given."""

    __tablename__ = "facility_alias"
    __table_args__ = (UniqueConstraint("facility_id", "alias"),)

    id: int | None = Field(default=None, primary_key=True)
    facility_id: str = Field(
        sa_column=Column(String(SLUG_LENGTH), ForeignKey("facility.id", ondelete="CASCADE"), nullable=False)
    )
    position: int
    alias: str = Field(max_length=500)


class FacilityRedirect(SQLModel, table=True):
    """A facility id merged into another: requests for `old_id` are redirected to `facility_id`."""

    __tablename__ = "facility_redirect"

    old_id: str = Field(primary_key=True, max_length=SLUG_LENGTH)
    facility_id: str = Field(
        sa_column=Column(
            String(SLUG_LENGTH), ForeignKey("facility.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
