"""Evidence, weighed: report lineage and grades, claim ranges, credibility and support, facility sources.

Adds to `report` its declared lineage (`derived_from`, `derived_relation`), its `origin_id`, a `body_key`
(SHA-256 of the body with white space runs folded, so identical bodies are found by an index) and its
Admiralty `reliability`; to `claim` the top of a range (`high`), its `credibility` and its stored support;
to `facility` its figure's `workers_sources` and `workers_conflicting_sources`. Existing rows are filled
here: every report is its own origin unless an earlier report has the same body; the support of every
worker figure is computed with the rule of `api.claims.support` (imported: the rule has one home, and a
copy here could drift from it). Search texts holding Korean, Chinese or Japanese gain the bigrams of
those runs (api.kit.search.with_bigrams), so that `q` finds a word inside them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import hashlib
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.claims.support import Figure, support_columns, support_of

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIM_SUPPORT = (
    "support_sources",
    "support_agreeing_count",
    "support_conflicting_count",
    "support_conflicting_sources",
)


# The rule of api.kit.search.with_bigrams, repeated: CJK runs are indexed as overlapping bigrams.
_CJK_RUN = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff]+"
)


def _with_bigrams(text: str) -> str:
    pieces = [
        " ".join([run[i : i + 2] for i in range(len(run) - 1)] or [run]) for run in _CJK_RUN.findall(text)
    ]
    return f"{text}\n{chr(10).join(pieces)}" if pieces else text


def _index_bigrams(bind: sa.Connection, name: str) -> None:
    """Give the rows of `name` whose search text holds Korean, Chinese or Japanese their bigrams."""
    table = sa.table(name, sa.column("id", sa.String), sa.column("search_text", sa.Text))
    rows = [
        {"key": row.id, "text": _with_bigrams(row.search_text)}
        for row in bind.execute(sa.select(table.c.id, table.c.search_text))
        if _CJK_RUN.search(row.search_text)
    ]
    if rows:
        bind.execute(
            table.update().where(table.c.id == sa.bindparam("key")).values(search_text=sa.bindparam("text")),
            rows,
        )


def _body_key(body: str) -> str:
    # The rule of api.reports.lineage.body_key (white space runs folded, then SHA-256), repeated here.
    return hashlib.sha256(" ".join(body.split()).encode("utf-8")).hexdigest()


def upgrade() -> None:
    # Plain ADD COLUMN on SQLite too: a batch copy of the table would drop its FTS5 triggers.
    op.add_column("report", sa.Column("derived_from", sa.String(128), nullable=True))
    op.add_column("report", sa.Column("derived_relation", sa.String(20), nullable=True))
    op.add_column("report", sa.Column("origin_id", sa.String(128), nullable=False, server_default=""))
    op.add_column("report", sa.Column("body_key", sa.String(64), nullable=False, server_default=""))
    op.add_column("report", sa.Column("reliability", sa.String(1), nullable=True))
    op.add_column("claim", sa.Column("high", sa.Float(), nullable=True))
    op.add_column("claim", sa.Column("credibility", sa.Integer(), nullable=True))
    op.add_column("claim", sa.Column("support_agreeing", sa.Text(), nullable=True))
    op.add_column("claim", sa.Column("support_conflicting", sa.Text(), nullable=True))
    for name in CLAIM_SUPPORT:
        op.add_column("claim", sa.Column(name, sa.Integer(), nullable=True))
    op.add_column("facility", sa.Column("workers_sources", sa.Integer(), nullable=True))
    op.add_column("facility", sa.Column("workers_conflicting_sources", sa.Integer(), nullable=True))

    bind = op.get_bind()
    report = sa.table(
        "report",
        sa.column("id", sa.String),
        sa.column("body", sa.Text),
        sa.column("ingested_at", sa.DateTime),
        sa.column("origin_id", sa.String),
        sa.column("body_key", sa.String),
    )
    first_of: dict[str, str] = {}
    rows = []
    for row in bind.execute(
        sa.select(report.c.id, report.c.body).order_by(report.c.ingested_at, report.c.id)
    ):
        key = _body_key(row.body)
        rows.append({"key": row.id, "origin": first_of.setdefault(key, row.id), "body_key": key})
    if rows:
        bind.execute(
            report.update()
            .where(report.c.id == sa.bindparam("key"))
            .values(origin_id=sa.bindparam("origin"), body_key=sa.bindparam("body_key")),
            rows,
        )

    claim = sa.table(
        "claim",
        sa.column("id", sa.String),
        sa.column("report_id", sa.String),
        sa.column("facility_id", sa.String),
        sa.column("predicate", sa.String),
        sa.column("value_number", sa.Float),
        sa.column("approximate", sa.Boolean),
        sa.column("dated_on", sa.Date),
        sa.column("status", sa.String),
        sa.column("support_agreeing", sa.Text),
        sa.column("support_conflicting", sa.Text),
        *(sa.column(name, sa.Integer) for name in CLAIM_SUPPORT),
    )
    origins = {row["key"]: row["origin"] for row in rows}
    by_facility: dict[str, list[Figure]] = {}
    for row in bind.execute(
        sa.select(
            claim.c.id, claim.c.report_id, claim.c.facility_id, claim.c.value_number, claim.c.approximate,
            claim.c.dated_on, claim.c.status,
        ).where(claim.c.predicate == "worker_count", claim.c.facility_id.is_not(None),
                claim.c.value_number.is_not(None))
    ):  # fmt: skip
        figure = Figure(
            row.id, row.value_number, None, bool(row.approximate), row.dated_on, row.status,
            origins.get(row.report_id, row.report_id),
        )  # fmt: skip
        by_facility.setdefault(row.facility_id, []).append(figure)
    updates = [
        {"key": claim_id, **support_columns(support)}
        for figures in by_facility.values()
        for claim_id, support in support_of(figures).items()
    ]
    if updates:
        names = ("support_agreeing", "support_conflicting", *CLAIM_SUPPORT)
        bind.execute(
            claim.update()
            .where(claim.c.id == sa.bindparam("key"))
            .values({name: sa.bindparam(name) for name in names}),
            updates,
        )
    facility = sa.table(
        "facility",
        sa.column("workers_claim_id", sa.String),
        sa.column("workers_sources", sa.Integer),
        sa.column("workers_conflicting_sources", sa.Integer),
    )
    winner = sa.select(claim).where(claim.c.id == facility.c.workers_claim_id)
    bind.execute(
        facility.update().values(
            workers_sources=winner.with_only_columns(claim.c.support_sources).scalar_subquery(),
            workers_conflicting_sources=winner.with_only_columns(
                claim.c.support_conflicting_sources
            ).scalar_subquery(),
        )
    )
    for name in ("report", "claim", "facility"):
        _index_bigrams(bind, name)
    op.create_index("ix_report_origin_id", "report", ["origin_id", "id"])
    op.create_index("ix_report_derived_from", "report", ["derived_from"])
    op.create_index("ix_report_body_key", "report", ["body_key"])
    op.create_index("ix_report_reliability", "report", ["reliability"])
    op.create_index("ix_claim_credibility", "claim", ["credibility"])
    op.create_index("ix_claim_support_sources", "claim", ["support_sources"])
    op.create_index("ix_facility_workers_sources", "facility", ["workers_sources"])


def downgrade() -> None:
    for name, table in (
        ("ix_facility_workers_sources", "facility"),
        ("ix_claim_support_sources", "claim"),
        ("ix_claim_credibility", "claim"),
        ("ix_report_reliability", "report"),
        ("ix_report_body_key", "report"),
        ("ix_report_derived_from", "report"),
        ("ix_report_origin_id", "report"),
    ):
        op.drop_index(name, table_name=table)
    # Plain ALTER TABLE DROP COLUMN (SQLite 3.35+): a batch copy would drop the FTS5 triggers.
    for name in ("workers_conflicting_sources", "workers_sources"):
        op.drop_column("facility", name)
    for name in ("high", "credibility", "support_agreeing", "support_conflicting", *CLAIM_SUPPORT):
        op.drop_column("claim", name)
    for name in ("reliability", "body_key", "origin_id", "derived_relation", "derived_from"):
        op.drop_column("report", name)
