"""Claims' `id_order`, and on SQLite the claims' full-text rows keyed by it, so a search reads in id order.

The key of each stored claim is computed here as the loader computes it for new ones
(`api.claims.order`, repeated below: a migration must not change when that module does); the FTS5
table is made again with `id_order` as its rowid and filled by `'rebuild'` (about 15 s for 100,000 claims
on a busy 2-core machine). PostgreSQL gets the column, null, and its (empty) index, nothing else.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYED = sa.text("id_order IS NOT NULL")
TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"
# As `api.ingest.rows.CLAIM_FTS.trigger_sql` writes it (which `fts_after` compares with what is stored).
INSERT_TRIGGER = (
    "CREATE TRIGGER claim_fts_insert AFTER INSERT ON claim BEGIN "
    "UPDATE claim SET id_order = -new.pk WHERE pk = new.pk AND new.id_order IS NULL; "
    "INSERT INTO claim_fts(rowid, search_text) VALUES (coalesce(new.id_order, -new.pk), new.search_text); END"
)
_ID = re.compile(r"clm-([0-9a-f]{15})[0-9a-f]{5}")


def upgrade() -> None:
    op.add_column("claim", sa.Column("id_order", sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _fill_keys(bind)
    op.create_index(
        "ix_claim_id_order", "claim", ["id_order"], unique=True, sqlite_where=KEYED, postgresql_where=KEYED
    )
    if bind.dialect.name == "sqlite":
        _fts_keyed_by("id_order")


def downgrade() -> None:
    op.drop_index("ix_claim_id_order", table_name="claim")
    with op.batch_alter_table("claim") as batch:  # on SQLite a copy of the table, without its triggers
        batch.drop_column("id_order")
    if op.get_bind().dialect.name == "sqlite":
        _fts_keyed_by("pk")


def _fill_keys(bind: sa.Connection) -> None:
    """Each claim's key; a key taken, or an id of another shape, gives minus the claim's `pk`."""
    held: set[int] = set()
    keys = []
    for pk, claim_id in bind.exec_driver_sql("SELECT pk, id FROM claim ORDER BY pk"):
        found = _ID.fullmatch(claim_id)
        key = int(found.group(1), 16) if found is not None else None
        if key is None or key in held:
            key = -pk
        held.add(key)
        keys.append((key, pk))
    if keys:
        bind.exec_driver_sql("UPDATE claim SET id_order = ? WHERE pk = ?", keys)  # type: ignore[arg-type]


def _fts_keyed_by(key: str) -> None:
    """`claim_fts` made again with `key` as its rowid, its triggers, and filled from the claims."""
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS claim_fts_{event}")
    op.execute("DROP TABLE IF EXISTS claim_fts")
    op.execute(
        f"CREATE VIRTUAL TABLE claim_fts USING fts5(search_text, content='claim', content_rowid='{key}', "
        f"{TOKENIZE})"
    )
    if key == "pk":
        op.execute(
            "CREATE TRIGGER claim_fts_insert AFTER INSERT ON claim BEGIN "
            "INSERT INTO claim_fts(rowid, search_text) VALUES (new.pk, new.search_text); END"
        )
    else:  # a claim inserted without a key (`api.claims.order`) gets minus its pk, as `fts_after` gives
        op.execute(INSERT_TRIGGER)
    op.execute(
        "CREATE TRIGGER claim_fts_delete AFTER DELETE ON claim BEGIN "
        f"INSERT INTO claim_fts(claim_fts, rowid, search_text) VALUES ('delete', old.{key}, old.search_text); END"
    )
    op.execute(
        "CREATE TRIGGER claim_fts_update AFTER UPDATE OF search_text ON claim BEGIN "
        f"INSERT INTO claim_fts(claim_fts, rowid, search_text) VALUES ('delete', old.{key}, old.search_text); "
        f"INSERT INTO claim_fts(rowid, search_text) VALUES (new.{key}, new.search_text); END"
    )
    op.execute("INSERT INTO claim_fts(claim_fts) VALUES ('rebuild')")
