"""PostgreSQL full text reads a stored tsvector column, not an expression recomputed per row.

Migration 0002 indexed `to_tsvector('english', search_text)` as an expression. Every row the planner
then read without the index (walking the id index for a page in id order, or re-checking a bitmap)
parsed its text again: 272 ms for one page of `q=Irkutsk hours` on 100,000 claims, 218 ms for the count
of `q=working hours`. Each searchable table now stores the vector in `search_vector`, a generated column
PostgreSQL keeps in step with `search_text` on every insert and update, with the GIN index on it.
SQLite, whose FTS5 tables do this already, is left unchanged.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHABLE = ("report", "facility", "claim")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SEARCHABLE:
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED"
        )
        op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)")
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SEARCHABLE:
        op.execute(
            f"CREATE INDEX ix_{table}_search ON {table} USING gin (to_tsvector('english', search_text))"
        )
        op.execute(f"ALTER TABLE {table} DROP COLUMN search_vector")
