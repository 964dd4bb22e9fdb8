"""Reports (source documents), their contributors and the facilities each one names."""

from datetime import date, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import SLUG_LENGTH, utc_now


class Report(SQLModel, table=True):
    """One source document, with its body exactly as ingested."""

    # The publisher filter in the default (id) order.
    __table_args__ = (
        Index("ix_report_publisher_fold", "publisher_fold", "id"),
        Index("ix_report_origin_id", "origin_id", "id"),
        Index("ix_report_derived_from", "derived_from"),
        Index("ix_report_body_key", "body_key"),
        # The restricted reports alone (a few, or none): "is any report restricted?" is one seek, where a
        # scan would read every body (migration 0012).
        Index(
            "ix_report_restricted",
            "id",
            sqlite_where=text("access = 'restricted'"),
            postgresql_where=text("access = 'restricted'"),
        ),
    )

    id: str = Field(primary_key=True, max_length=SLUG_LENGTH)
    title: str = Field(sa_column=Column(Text, nullable=False))
    publisher: str = Field(max_length=200)
    # The publisher case-folded (`api.rules.search.fold`), so the publisher filter is an indexed equality.
    publisher_fold: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    published_on: date | None = Field(default=None, index=True)
    language: str = Field(max_length=35)
    source: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    body: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64)
    # Hash of the normalized bundle: the same bundle again is a no-op, another under this id a conflict.
    bundle_sha256: str = Field(max_length=64)
    claim_count: int = Field(default=0)
    # `public`, or `restricted`: its words and people are withheld from readers without a key
    # (`api.auth.access`).
    access: str = Field(
        default="public", sa_column=Column(String(10), nullable=False, server_default="public")
    )
    # What full-text search reads (kept in step by the loader; indexed by FTS5 or a GIN index).
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Lineage (docs/evidence.md): the report this one derives from as its bundle declares it, and how.
    derived_from: str | None = Field(default=None, max_length=SLUG_LENGTH)
    derived_relation: str | None = Field(default=None, max_length=20)
    # The root of its chain (its own id when it derives from nothing), kept in step by every report write.
    origin_id: str = Field(default="", max_length=SLUG_LENGTH)
    # SHA-256 of the body with its white space runs folded: identical bodies share an origin.
    body_key: str = Field(default="", max_length=64)
    # Admiralty source reliability, A..F, or None (not graded).
    reliability: str | None = Field(default=None, max_length=1, index=True)
    ingested_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class ReportContributor(SQLModel, table=True):
    """A person credited on a report, in the order the report gives."""

    __tablename__ = "report_contributor"
    __table_args__ = (UniqueConstraint("report_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: str = Field(
        sa_column=Column(String(SLUG_LENGTH), ForeignKey("report.id", ondelete="CASCADE"), nullable=False)
    )
    position: int
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)


class ReportFacility(SQLModel, table=True):
    """A facility a report speaks of: declared in its bundle or named by one of its claims."""

    __tablename__ = "report_facility"

    report_id: str = Field(
        sa_column=Column(
            String(SLUG_LENGTH), ForeignKey("report.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    facility_id: str = Field(
        sa_column=Column(
            String(SLUG_LENGTH), ForeignKey("facility.id"), primary_key=True, nullable=False, index=True
        )
    )
