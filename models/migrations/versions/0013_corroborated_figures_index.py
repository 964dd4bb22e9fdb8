"""Indexes that find a country's or a city's corroborated figures (`min_sources`) without reading the rest.

Few figures have two or more independent sources (71 of 10,000 facilities on the bench corpus). The list
`country=RU&city=Irkutsk&min_sources=2` walked the country-and-city index over all 1,227 of the city's
facilities and read each row from the table to test its sources; with `workers_sources` as the last column
of an index on the same equalities it seeks the 9 that qualify and sorts those. The same holds for a
country alone. Facility rows are few beside claims, so the two indexes cost ingest little.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_facility_country_city_sources": ["country", "city_fold", "workers_sources"],
    "ix_facility_country_sources": ["country", "workers_sources"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "facility", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="facility")
