"""Claims: one statement a report makes, with its verbatim quote and where it stands in the body."""

from datetime import date

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Text, false, text
from sqlmodel import Field, SQLModel

from models.base import SLUG_LENGTH


class Claim(SQLModel, table=True):
    """One statement of a report; `pk` records ingest order, `id` is the stable public identifier."""

    __table_args__ = (
        # Facility figures pick a facility's best worker_count claim: this index serves that lookup.
        Index("ix_claim_facility_id_predicate", "facility_id", "predicate", "dated_on"),
        # The claims' full-text rows on SQLite are keyed by `id_order` (migration 0014); PostgreSQL leaves
        # it null, so there the index is empty.
        Index(
            "ix_claim_id_order",
            "id_order",
            unique=True,
            sqlite_where=text("id_order IS NOT NULL"),
            postgresql_where=text("id_order IS NOT NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    pk: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    id: str = Field(max_length=64, unique=True)
    report_id: str = Field(
        sa_column=Column(
            String(SLUG_LENGTH), ForeignKey("report.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    facility_id: str | None = Field(
        default=None,
        sa_column=Column(String(SLUG_LENGTH), ForeignKey("facility.id"), nullable=True),
    )
    position: int
    subject: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    predicate: str = Field(max_length=50, index=True)
    value_number: float | None = None
    # The top of a range the report gives (`value` is its low end), or None.
    high: float | None = None
    value_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    unit: str | None = Field(default=None, max_length=30)
    approximate: bool = False
    period_start: date | None = None
    period_end: date | None = None
    quote: str = Field(sa_column=Column(Text, nullable=False))
    span_start: int
    span_end: int
    attributed_to: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    evidence: str = Field(max_length=30)
    status: str = Field(default="reported", max_length=20, index=True)
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # period.end, else the report's published_on: the date a figure is "as of" (None when undated).
    dated_on: date | None = Field(default=None, index=True)
    # Admiralty information credibility, 1..6, or None (not graded).
    credibility: int | None = Field(default=None, index=True)
    # Support of a worker_count claim (api/claims/support.py), kept in step by every write; None on others.
    support_sources: int | None = Field(default=None, index=True)
    support_agreeing: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    support_agreeing_count: int | None = None
    support_conflicting: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    support_conflicting_count: int | None = None
    # Distinct origins of the conflicting claims (a facility's figure shows it as `conflicting_sources`).
    support_conflicting_sources: int | None = None
    # Whether its report is restricted (kept in step by the loader): lists and search need no join.
    restricted: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # On SQLite, an integer that sorts as `id` does (api/claims/order.py) and the rowid of the claim's
    # full-text row, so that a search reads its matches in id order; null on PostgreSQL.
    id_order: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # What full-text search reads (kept in step by the loader; indexed by FTS5 or a GIN index).
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
