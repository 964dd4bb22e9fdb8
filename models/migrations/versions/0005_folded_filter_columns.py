"""Case-folded copies of the filterable labels, indexed; the aliases on the facility row.

The city, region, sector, kind and publisher filters compared a Python `casefold` function registered in
SQLite (called back for every candidate row, which no index can serve: ~70% of a list request) or
`lower()` on PostgreSQL. Each label now has a folded copy written by the loader, and the filters compare
it with an indexed equality on both databases. Existing rows are folded here with the same function.
A facility's aliases are also kept as JSON text on its row (as the loader and merges now write them),
so reading a page of facilities is one query.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACILITY_LABELS = ("city", "region", "sector", "kind")


def _fold(value: str | None) -> str | None:
    # The rule of api.rules.search.fold, repeated so this migration keeps working if that module moves.
    return value.casefold() if value is not None else None


def upgrade() -> None:
    # Unbounded text: folding can lengthen a label ("ß" becomes "ss"), past the plain column's length.
    for name in FACILITY_LABELS:
        op.add_column("facility", sa.Column(f"{name}_fold", sa.Text(), nullable=True))
    op.add_column("facility", sa.Column("aliases", sa.Text(), nullable=False, server_default="[]"))
    op.add_column("report", sa.Column("publisher_fold", sa.Text(), nullable=False, server_default=""))
    bind = op.get_bind()
    facility = sa.table(
        "facility",
        sa.column("id"),
        *(sa.column(n) for n in FACILITY_LABELS),
        *(sa.column(f"{n}_fold") for n in FACILITY_LABELS),
    )
    rows = [
        {"key": row.id, **{f"{n}_fold": _fold(getattr(row, n)) for n in FACILITY_LABELS}}
        for row in bind.execute(sa.select(facility.c.id, *(facility.c[n] for n in FACILITY_LABELS)))
    ]
    if rows:
        bind.execute(
            facility.update()
            .where(facility.c.id == sa.bindparam("key"))
            .values({f"{n}_fold": sa.bindparam(f"{n}_fold") for n in FACILITY_LABELS}),
            rows,
        )
    alias = sa.table("facility_alias", sa.column("facility_id"), sa.column("position"), sa.column("alias"))
    named: dict[str, list[str]] = {}
    for row in bind.execute(
        sa.select(alias.c.facility_id, alias.c.alias).order_by(alias.c.facility_id, alias.c.position)
    ):
        named.setdefault(row.facility_id, []).append(row.alias)
    aliases = sa.table("facility", sa.column("id"), sa.column("aliases"))
    if named:
        bind.execute(
            aliases.update()
            .where(aliases.c.id == sa.bindparam("key"))
            .values(aliases=sa.bindparam("listed")),
            [{"key": key, "listed": json.dumps(names, ensure_ascii=False)} for key, names in named.items()],
        )
    report = sa.table("report", sa.column("id"), sa.column("publisher"), sa.column("publisher_fold"))
    reports = [
        {"key": row.id, "folded": _fold(row.publisher)}
        for row in bind.execute(sa.select(report.c.id, report.c.publisher))
    ]
    if reports:
        bind.execute(
            report.update()
            .where(report.c.id == sa.bindparam("key"))
            .values(publisher_fold=sa.bindparam("folded")),
            reports,
        )
    # Each equality filter's index ends with the id, the default order: a page of matches is read in
    # order and stops at its limit, instead of sorting every match. Country then city is how dashboards
    # drill down, so it has one index of its own; counts are read from the indexes alone.
    for name in FACILITY_LABELS:
        op.create_index(f"ix_facility_{name}_fold", "facility", [f"{name}_fold", "id"])
    op.create_index("ix_facility_country_city", "facility", ["country", "city_fold", "id"])
    op.create_index("ix_facility_country_id", "facility", ["country", "id"])
    op.create_index("ix_report_publisher_fold", "report", ["publisher_fold", "id"])
    # The plain columns' indexes served only these filters.
    op.drop_index("ix_facility_country", table_name="facility")
    op.drop_index("ix_facility_kind", table_name="facility")
    op.drop_index("ix_facility_sector", table_name="facility")
    op.drop_index("ix_report_publisher", table_name="report")
    if bind.dialect.name == "sqlite":
        # Give the planner the new indexes' statistics (PostgreSQL's autovacuum gathers its own).
        op.execute("ANALYZE")


def downgrade() -> None:
    op.create_index("ix_report_publisher", "report", ["publisher"])
    op.create_index("ix_facility_sector", "facility", ["sector"])
    op.create_index("ix_facility_kind", "facility", ["kind"])
    op.create_index("ix_facility_country", "facility", ["country"])
    op.drop_index("ix_facility_country_city", table_name="facility")
    op.drop_index("ix_facility_country_id", table_name="facility")
    op.drop_index("ix_report_publisher_fold", table_name="report")
    for name in FACILITY_LABELS:
        op.drop_index(f"ix_facility_{name}_fold", table_name="facility")
    # Plain ALTER TABLE DROP COLUMN (SQLite 3.35+): a batch copy would drop the FTS5 triggers.
    op.drop_column("report", "publisher_fold")
    op.drop_column("facility", "aliases")
    for name in FACILITY_LABELS:
        op.drop_column("facility", f"{name}_fold")
