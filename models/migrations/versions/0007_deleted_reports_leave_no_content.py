"""The audit log keeps no content of a deleted report: entries deleted before this version are scrubbed.

A delete now overwrites, in its own transaction, the `before` and `after` of every audit entry about the
report (down to its id, claim ids and facility ids) and about its claims (down to their status). Here
the same is done for the reports deleted earlier: for each `report.delete` entry, the entries of that
report and of its claims up to the delete (a report created again later keeps its new entries).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rule of api.ingest.audit.scrub_deleted_report, repeated so this migration keeps working if that
# module changes.
REPORT_TRACE = ("id", "claim_ids", "facility_ids")
CLAIM_TRACE = ("status",)

change = sa.table(
    "change",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("entity_type", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
)


def _trace(values: Any, kept: tuple[str, ...]) -> dict[str, Any] | None:
    if values is None:
        return None
    return {**{name: values[name] for name in kept if name in values}, "content_removed": True}


def _scrub(
    bind: sa.Connection, entity_type: str, ids: list[str], up_to: int, kept: tuple[str, ...]
) -> set[str]:
    claim_ids: set[str] = set()
    rows = bind.execute(
        sa.select(change.c.id, change.c.before, change.c.after).where(
            change.c.entity_type == entity_type, change.c.entity_id.in_(ids), change.c.id <= up_to
        )
    ).all()
    for row in rows:
        for values in (row.before, row.after):
            claim_ids.update((values or {}).get("claim_ids", []))
        bind.execute(
            change.update()
            .where(change.c.id == row.id)
            .values(before=_trace(row.before, kept), after=_trace(row.after, kept))
        )
    return claim_ids


def upgrade() -> None:
    bind = op.get_bind()
    deletes = bind.execute(
        sa.select(change.c.id, change.c.entity_id).where(change.c.action == "report.delete")
    ).all()
    for delete in deletes:
        claim_ids = _scrub(bind, "report", [delete.entity_id], delete.id, REPORT_TRACE)
        if claim_ids:
            _scrub(bind, "claim", sorted(claim_ids), delete.id, CLAIM_TRACE)


def downgrade() -> None:
    pass  # what was removed is gone
