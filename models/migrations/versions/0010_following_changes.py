"""Following changes: what each change concerns (the filtered feeds' index), webhooks and their outbox.

`change_subject` holds, for each audit log entry, the facilities and the report it concerns, with the
facility's country; entries written before this revision are filled in here by the same rule as
`api.changes.subjects` (repeated, so this migration keeps working if that module changes).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AUTO = sqlmodel.sql.sqltypes.AutoString


def _create_tables() -> None:
    op.create_table(
        "change_subject",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", _AUTO(length=128), nullable=True),
        sa.Column("report_id", _AUTO(length=128), nullable=True),
        sa.Column("country", _AUTO(length=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["change_id"], ["change.id"], name=op.f("fk_change_subject_change_id_change"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_subject")),
    )
    op.create_index(op.f("ix_change_subject_change_id"), "change_subject", ["change_id"])
    op.create_index("ix_change_subject_facility", "change_subject", ["facility_id", "change_id"])
    op.create_index("ix_change_subject_report", "change_subject", ["report_id", "change_id"])
    op.create_index("ix_change_subject_country", "change_subject", ["country", "change_id"])
    op.create_index(op.f("ix_change_action"), "change", ["action"])
    op.create_table(
        "webhook",
        sa.Column("id", _AUTO(length=40), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("previous_secret", sa.Text(), nullable=True),
        sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
    )
    op.create_table(
        "webhook_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.String(length=40), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhook.id"],
            name=op.f("fk_webhook_event_webhook_id_webhook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_event")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_event_due", "webhook_event", ["state", "next_attempt_at"])
    op.create_index("ix_webhook_event_queue", "webhook_event", ["webhook_id", "state", "id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhook.id"],
            name=op.f("fk_webhook_delivery_webhook_id_webhook"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    op.create_index("ix_webhook_delivery_webhook", "webhook_delivery", ["webhook_id", "id"])


change = sa.table(
    "change",
    sa.column("id", sa.Integer),
    sa.column("entity_type", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
)
subject = sa.table(
    "change_subject",
    sa.column("change_id", sa.Integer),
    sa.column("facility_id", sa.String),
    sa.column("report_id", sa.String),
    sa.column("country", sa.String),
)
claim = sa.table(
    "claim",
    sa.column("id", sa.String),
    sa.column("report_id", sa.String),
    sa.column("facility_id", sa.String),
)
facility = sa.table("facility", sa.column("id", sa.String), sa.column("country", sa.String))
redirect = sa.table("facility_redirect", sa.column("old_id", sa.String), sa.column("facility_id", sa.String))


def _subjects(bind: sa.Connection, row: Any) -> tuple[str | None, set[str]]:
    values = [row.before or {}, row.after or {}]
    if row.entity_type == "report":
        return row.entity_id, {i for v in values for i in v.get("facility_ids", [])}
    if row.entity_type == "claim":
        found = bind.execute(
            sa.select(claim.c.report_id, claim.c.facility_id).where(claim.c.id == row.entity_id)
        ).first()
        if found is None:
            return None, set()
        return found.report_id, {found.facility_id} if found.facility_id else set()
    if row.entity_type == "facility":
        ids = {row.entity_id}
        into = (row.after or {}).get("merged_into")
        if into:
            ids.add(into)
        return None, ids
    return None, set()


def _backfill(bind: sa.Connection) -> None:
    countries = dict(bind.execute(sa.select(facility.c.id, facility.c.country)).all())
    for old_id, survivor in bind.execute(sa.select(redirect.c.old_id, redirect.c.facility_id)).all():
        countries.setdefault(old_id, countries.get(survivor))
    rows: list[dict[str, Any]] = []
    for row in bind.execute(sa.select(change).order_by(change.c.id)).all():
        report_id, facility_ids = _subjects(bind, row)
        if facility_ids:
            rows.extend(
                {"change_id": row.id, "facility_id": i, "report_id": report_id, "country": countries.get(i)}
                for i in sorted(facility_ids)
            )
        elif report_id is not None:
            rows.append({"change_id": row.id, "facility_id": None, "report_id": report_id, "country": None})
    if rows:
        bind.execute(subject.insert(), rows)


def upgrade() -> None:
    _create_tables()
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_event")
    op.drop_table("webhook")
    op.drop_index(op.f("ix_change_action"), table_name="change")
    op.drop_table("change_subject")
