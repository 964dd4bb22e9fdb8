"""Roles of write keys: `editor` or `admin`; every key made before roles existed becomes an admin.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default fills the existing rows: nothing that worked before stops working. The check is
    # written as ORs, not IN: PostgreSQL deparses IN over a varchar differently after a dump and restore,
    # and the restored schema is compared with a migrated one (tests/test_backup.py).
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=10), nullable=False, server_default="admin"))
        batch_op.create_check_constraint("role", "role = 'admin' OR role = 'editor'")


def downgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_api_key_role"), type_="check")
        batch_op.drop_column("role")
