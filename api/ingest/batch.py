"""A batch of bundles checked set-wise and written with one bulk insert per table (`laborwatch ingest`).

Bundle by bundle, a write cost a dozen round trips (look-ups, savepoint, one insert per table): on a busy
PostgreSQL server most of ingest was spent waiting for them. Here the look-ups of every bundle in a batch
are made at once, each bundle is then checked against them in order (as if the earlier bundles of the
batch were stored: their reports, facilities and claim ids count), and the rows of the accepted bundles
go in together, one COPY (or multi-row INSERT) per table. Should that fail (a value the database refuses),
the caller rolls the batch's savepoint back and writes its bundles one by one, each refusable alone.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import SQLModel, col

from api.claims.order import assign_id_order
from api.claims.support import with_support
from api.facilities.merges import follow_merges
from api.ingest.rows import CLAIM_FTS, fts_after, insert_rows
from api.kit.inlist import in_chunks
from api.reports.lineage import settle_pending_reports
from models import Claim, Facility, FacilityAlias, Report, ReportContributor, ReportFacility

if TYPE_CHECKING:
    from api.ingest.loader import PreparedBundle

# The order rows go in: each table after those its foreign keys name.
WRITE_ORDER: tuple[type[SQLModel], ...] = (
    Report,
    ReportContributor,
    Facility,
    FacilityAlias,
    ReportFacility,
    Claim,
)


@dataclass
class BatchWrite:
    """What the database holds for a batch's bundles, plus what the batch's accepted bundles add.

    `merged`: merged facility ids named (old id -> survivor); `stored_facilities`: stored facility ids
    named; `fingerprints`: stored bundle fingerprints of the batch's report ids; `taken_claims`: claim ids
    of the batch already stored. `rows` holds the accepted bundles' rows, table by table, until `write`;
    `supported`, once written, the facilities whose support is up to date (for the batch's origins).
    """

    merged: dict[str, str] = field(default_factory=dict)
    stored_facilities: set[str] = field(default_factory=set)
    fingerprints: dict[str, str] = field(default_factory=dict)
    taken_claims: set[str] = field(default_factory=set)
    rows: dict[type[SQLModel], list[dict[str, Any]]] = field(default_factory=dict)
    # Facilities whose claims' support `write` brought up to date (`with_support`), and those whose
    # stored claims' origins it changed (`settle_pending_reports`), whose support must follow.
    supported: set[str] = field(default_factory=set)
    relinked: set[str] = field(default_factory=set)

    @classmethod
    def look_up(cls, connection: Connection, bundles: Sequence["PreparedBundle"]) -> "BatchWrite":
        """The look-ups of every bundle of the batch, a few statements for all of them."""
        named = {facility.id for bundle in bundles for facility in bundle.facilities}
        named |= {written for bundle in bundles for written, _predicate in bundle.claims if written}
        merged = follow_merges(connection, named)
        survivors = sorted({merged.get(facility_id, facility_id) for facility_id in named})
        report_ids = sorted({bundle.report.id for bundle in bundles})
        claim_ids = sorted({row["id"] for bundle in bundles for row in bundle.claim_rows})
        batch = cls(merged=merged)
        for where in _any_of(connection, col(Facility.id), survivors):
            batch.stored_facilities.update(connection.scalars(select(col(Facility.id)).where(where)))
        for where in _any_of(connection, col(Report.id), report_ids):
            query = select(col(Report.id), col(Report.bundle_sha256)).where(where)
            batch.fingerprints.update((report_id, sha) for report_id, sha in connection.execute(query))
        for where in _any_of(connection, col(Claim.id), claim_ids):
            batch.taken_claims.update(connection.scalars(select(col(Claim.id)).where(where)))
        return batch

    def add(self, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
        """Keep an accepted bundle's rows of one table for `write`."""
        self.rows.setdefault(model, []).extend(rows)

    def write(self, connection: Connection) -> None:
        """Insert every kept row, one bulk insert per table, in foreign-key order.

        The reports go in with their origins settled (`settle_pending_reports`), the claims with their
        support computed from them (`with_support`), and on SQLite with their full-text rows added in one
        statement after them (`fts_after`).
        """
        reports = self.rows.get(Report, [])
        origins, self.relinked = settle_pending_reports(connection, reports) if reports else ({}, set())
        self.rows[Report] = [row | {"origin_id": origins.get(row["id"], row["origin_id"])} for row in reports]
        for model in WRITE_ORDER:
            rows = self.rows.pop(model, [])
            if model is Claim and rows:
                rows, self.supported = with_support(connection, rows, origins)
                assign_id_order(connection, rows)
                with fts_after(connection, CLAIM_FTS):
                    insert_rows(connection, model.__table__, rows)  # type: ignore[attr-defined]
            else:
                insert_rows(connection, model.__table__, rows)  # type: ignore[attr-defined]


def _any_of(connection: Connection, column: Any, values: list[str]) -> list[ColumnElement[bool]]:
    """`column` is one of `values`, as few statements' conditions.

    On PostgreSQL one `= ANY(array)`: one statement with one parameter for a batch's 20,000 claim ids;
    elsewhere an IN list per chunk.
    """
    if not values:
        return []
    if connection.dialect.name == "postgresql":
        return [column == any_(bindparam("values", values, type_=ARRAY(String)))]
    return [column.in_(chunk) for chunk in in_chunks(values)]
