"""A composite index for picking a facility's best worker_count claim.

Without it SQLite chose the predicate index and read every worker_count claim of the database for each
facility whose figure it recomputed (8 ms for five facilities at 9,000 claims, growing with the table).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_facility_id_predicate", ["facility_id", "predicate", "dated_on"], unique=False
        )
        batch_op.drop_index("ix_claim_facility_id")


def downgrade() -> None:
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index("ix_claim_facility_id", ["facility_id"], unique=False)
        batch_op.drop_index("ix_claim_facility_id_predicate")
