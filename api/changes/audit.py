"""Recording writes in the audit log, in the same transaction as the write itself."""

from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from api.changes.listing import subjects_of
from api.db.version import bump_data_version
from api.kit.inlist import in_chunks
from api.webhooks.outbox import queue_events
from models import Change, ChangeSubject, Report
from models.base import utc_now

_CHANGE: Table = Change.__table__  # type: ignore[attr-defined]  # Core: no ORM objects per entry
_SUBJECT: Table = ChangeSubject.__table__  # type: ignore[attr-defined]

CLI_ACTOR = "cli"  # the name the audit log gives to writes made by `laborwatch seed` and `ingest`


def record_change(
    session: Session,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    restricted: bool = False,
) -> None:
    """Log one write by `actor` (a key's name) and bump the data version behind ETags.

    `restricted` when it is about a restricted report or one of its claims (its values are then withheld
    from the public).

    The version row is updated first: that takes the row's lock, which writers hold until they commit,
    so `at` is taken after every earlier write committed and `since=` never skips a change.
    """
    bump_data_version(session)
    session.flush()  # the ORM's pending writes first: the subjects of the change are read from them
    entry = {
        "at": utc_now(),
        "key_name": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "before": before,
        "after": after,
        "restricted": restricted,
    }
    change_id = (
        session.connection().execute(insert(_CHANGE).values(entry).returning(_CHANGE.c.id)).scalar_one()
    )
    _follow(session, [{"id": change_id, **entry}])


def record_changes(session: Session, changes: list[dict[str, Any]]) -> None:
    """Log many writes at once, all at one moment (a batch of `laborwatch ingest`), in one statement.

    Each entry holds `key_name`, `action`, `entity_type`, `entity_id`, `before`, `after` and `restricted`.
    The data version is bumped once, first, for the same reason as in `record_change`.
    """
    if not changes:
        return
    bump_data_version(session)
    session.flush()
    at = utc_now()
    entries = [{"at": at, **change} for change in changes]
    ids = (
        session.connection()
        .execute(insert(_CHANGE).returning(_CHANGE.c.id, sort_by_parameter_order=True), entries)
        .scalars()
    )
    _follow(session, [{"id": change_id, **entry} for change_id, entry in zip(ids, entries, strict=True)])


def _follow(session: Session, written: list[dict[str, Any]]) -> None:
    """Index what each change concerns and queue its webhook events, in the change's own transaction.

    So a change that commits has its subjects and its events, and one that rolls back has neither.
    """
    connection = session.connection()
    subjects = subjects_of(connection, written)
    rows = [
        {"change_id": change_id, "facility_id": s.facility_id, "report_id": s.report_id, "country": s.country}
        for change_id, listed in subjects.items()
        for s in listed
    ]
    if rows:
        connection.execute(insert(_SUBJECT), rows)
    queue_events(connection, written, subjects)


def report_summary(report: Report, claim_ids: list[str], facility_ids: list[str]) -> dict[str, Any]:
    """What the audit log keeps of a report: its metadata, body hash, claims and facilities (not the body)."""
    return {
        "id": report.id,
        "access": report.access,
        "title": report.title,
        "publisher": report.publisher,
        "url": report.url,
        "published_on": report.published_on.isoformat() if report.published_on else None,
        "language": report.language,
        "source": report.source,
        "sha256": report.sha256,
        "derived_from": {"report": report.derived_from, "relation": report.derived_relation}
        if report.derived_from
        else None,
        "reliability": report.reliability,
        "claim_ids": claim_ids,
        "facility_ids": facility_ids,
    }


# What the audit log keeps of a deleted report: which report, claims and facilities (for clients that
# hold a copy), never what it said. A claim's status stays; its notes (an analyst's words on the deleted
# text) go.
REPORT_TRACE = ("id", "claim_ids", "facility_ids")
CLAIM_TRACE = ("status",)
CONTENT_REMOVED = "content_removed"


def _trace(values: dict[str, Any] | None, kept: tuple[str, ...]) -> dict[str, Any] | None:
    if values is None:
        return None
    return {**{name: values[name] for name in kept if name in values}, CONTENT_REMOVED: True}


def scrub_deleted_report(session: Session, report_id: str) -> None:
    """Remove a deleted report's content from every audit entry about it and about its claims.

    The entries stay (who, when, which action, which ids); their `before` and `after` keep only the
    report's id, claim ids and facility ids, and the claims' status. The values are overwritten in the
    delete's own transaction, not hidden on reading.
    """
    report_changes = session.scalars(
        select(Change).where(col(Change.entity_type) == "report", col(Change.entity_id) == report_id)
    ).all()
    claim_ids: set[str] = set()
    for change in report_changes:
        for values in (change.before, change.after):
            claim_ids.update((values or {}).get("claim_ids", []))
        change.before = _trace(change.before, REPORT_TRACE)
        change.after = _trace(change.after, REPORT_TRACE)
    for chunk in in_chunks(claim_ids):  # they build up over every version of the report
        for change in session.scalars(
            select(Change).where(col(Change.entity_type) == "claim", col(Change.entity_id).in_(chunk))
        ):
            change.before = _trace(change.before, CLAIM_TRACE)
            change.after = _trace(change.after, CLAIM_TRACE)


def restrict_history(session: Session, report_id: str) -> None:
    """Mark every audit entry about a report and its claims (of every version) as restricted.

    Called when a report is stored restricted: what the log kept of its earlier versions is withheld from
    the public from then on, as the report itself is. The mark stays if the report is made public again
    (what was said while it was restricted stays withheld).
    """
    table: Table = Change.__table__  # type: ignore[attr-defined]
    report_changes = session.execute(
        select(table.c.before, table.c.after).where(
            table.c.entity_type == "report", table.c.entity_id == report_id
        )
    ).all()
    claim_ids: set[str] = set()
    for before, after in report_changes:
        for values in (before, after):
            claim_ids.update((values or {}).get("claim_ids", []))
    session.execute(
        update(table)
        .where(table.c.entity_type == "report", table.c.entity_id == report_id)
        .values(restricted=True)
    )
    for chunk in in_chunks(sorted(claim_ids)):
        session.execute(
            update(table)
            .where(table.c.entity_type == "claim", table.c.entity_id.in_(chunk))
            .values(restricted=True)
        )
