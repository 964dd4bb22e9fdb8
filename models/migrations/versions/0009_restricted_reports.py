"""Restricted reports: `report.access`, the flag on its claims and on audit entries, and `reader` keys.

A report is `public` (every report stored before this version) or `restricted`; its claims carry the
same fact as `claim.restricted` (kept in step by the loader) so that claim lists and search need no join;
`change.restricted` marks audit entries about a restricted report or its claims. Keys gain the `reader`
role (reads everything, writes nothing).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Server defaults fill the existing rows: every report stored so far stays public. Plain ALTER TABLE
    # ADD COLUMN, no batch: a batch copy of `report` or `claim` on SQLite would drop their FTS5 triggers
    # (and for the same reason no check constraint on `access`: the bundle model admits only two values).
    op.add_column(
        "report", sa.Column("access", sa.String(length=10), nullable=False, server_default="public")
    )
    op.add_column("claim", sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("change", sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Written as ORs, not IN, as in 0006 (a dump and restore deparses IN differently on PostgreSQL).
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_api_key_role"), type_="check")
        batch_op.create_check_constraint("role", "role = 'admin' OR role = 'editor' OR role = 'reader'")


def downgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_api_key_role"), type_="check")
        batch_op.create_check_constraint("role", "role = 'admin' OR role = 'editor'")
    # Plain ALTER TABLE DROP COLUMN (SQLite 3.35+): a batch copy would drop the FTS5 triggers.
    op.drop_column("change", "restricted")
    op.drop_column("claim", "restricted")
    op.drop_column("report", "access")
