"""A partial index of the restricted reports, so that asking whether any report is restricted is one seek.

A public claim search counts its matches from the full-text index alone only when no report is
restricted (`api.claims.listing.claim_count`); without an index that question read every report body
(20 to 30 ms on the bench corpus of 1,000 reports, on a loaded machine), more than the search itself.
The index holds only the restricted reports, so public reports cost it nothing on ingest.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESTRICTED = sa.text("access = 'restricted'")


def upgrade() -> None:
    op.create_index(
        "ix_report_restricted", "report", ["id"], sqlite_where=RESTRICTED, postgresql_where=RESTRICTED
    )


def downgrade() -> None:
    op.drop_index("ix_report_restricted", table_name="report")
