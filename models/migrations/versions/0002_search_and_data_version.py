"""Full-text search and the data version.

Each searchable table gets a `search_text` column that the loader fills. SQLite indexes it with an FTS5
external-content table kept in step by triggers; PostgreSQL with a GIN index over its English tsvector.
`data_version` holds the counter behind ETags.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Claims link their FTS5 rows by their INTEGER PRIMARY KEY (stable across VACUUM). Reports and facilities
# have text keys and no stable rowid, so their FTS5 tables store the key in an unindexed column.
SEARCHABLE = ("report", "facility", "claim")
TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"


def upgrade() -> None:
    for table in SEARCHABLE:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.execute("INSERT INTO data_version (id, version, changed_at) VALUES (1, 0, CURRENT_TIMESTAMP)")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_fts_external("claim", "pk")
        _sqlite_fts_keyed("report")
        _sqlite_fts_keyed("facility")
    else:
        for table in SEARCHABLE:
            op.execute(
                f"CREATE INDEX ix_{table}_search ON {table} USING gin (to_tsvector('english', search_text))"
            )


def _sqlite_fts_external(table: str, key: str) -> None:
    fts = f"{table}_fts"
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', content_rowid='{key}', {TOKENIZE})"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.{key}, new.search_text); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.{key}, old.search_text); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_text ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.{key}, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.{key}, new.search_text); END"
    )


def _sqlite_fts_keyed(table: str) -> None:
    fts = f"{table}_fts"
    op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5(key UNINDEXED, search_text, {TOKENIZE})")
    op.execute(
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(key, search_text) VALUES (new.id, new.search_text); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN DELETE FROM {fts} WHERE key = old.id; END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF id, search_text ON {table} BEGIN "
        f"DELETE FROM {fts} WHERE key = old.id; "
        f"INSERT INTO {fts}(key, search_text) VALUES (new.id, new.search_text); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in SEARCHABLE:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{event}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    else:
        for table in SEARCHABLE:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
    op.drop_table("data_version")
    for table in SEARCHABLE:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("search_text")
