"""Lineage in one home: which report a report derives from, the origin at the root of its chain.

A report's parent is the report its bundle declares (`derived_from`), else the earliest stored report
with an identical body (white space runs folded), when that one came first. Its origin is the root of the
chain of parents. Every report write calls `refresh_origins`, which recomputes the origins of the reports
the write can change (the report, those sharing its body, and their descendants) and answers which
facilities' support must follow.
"""

import hashlib
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.orm import Session

from api.errors import InvalidBundle
from api.ingest.quotes import fold as fold_space
from api.kit.inlist import in_chunks
from models import Claim, Report

_REPORT: Table = Report.__table__  # type: ignore[attr-defined]
_CLAIM: Table = Claim.__table__  # type: ignore[attr-defined]
# Chains longer than this are refused: no honest lineage is this deep, and it bounds every walk.
MAX_DEPTH = 100


def body_key(body: str) -> str:
    """The key under which identical bodies (after folding runs of white space) are found."""
    return hashlib.sha256(fold_space(body).encode("utf-8")).hexdigest()


def _refuse(msg: str) -> InvalidBundle:
    return InvalidBundle(
        f"Invalid bundle: report.derived_from: {msg}", [{"loc": ["report", "derived_from"], "msg": msg}]
    )


def _link(db: Connection, report_id: str) -> tuple[str | None, bool]:
    """The report `report_id` links to, and whether the link is declared (else by an identical body)."""
    r = _REPORT.c
    row = db.execute(select(r.derived_from, r.body_key, r.ingested_at).where(r.id == report_id)).first()
    if row is None:
        return None, False
    if row.derived_from is not None:
        return str(row.derived_from), True
    first = db.execute(
        select(r.id, r.ingested_at)
        .where(r.body_key == row.body_key, r.id != report_id)
        .order_by(r.ingested_at, r.id)
        .limit(1)
    ).first()
    if first is not None and (first.ingested_at, first.id) < (row.ingested_at, report_id):
        return str(first.id), False
    return None, False


def _leads_back(db: Connection, start: str, report_id: str) -> bool:
    """Whether the chain of links from `start` comes to `report_id`."""
    seen: set[str] = set()
    current: str | None = start
    for _step in range(MAX_DEPTH):
        if current is None or current in seen:
            return False
        if current == report_id:
            return True
        seen.add(current)
        current = _link(db, current)[0]
    return False


def parent_of(db: Connection, report_id: str) -> str | None:
    """The report `report_id` derives from: declared, else the first earlier report of an identical body.

    An identical body is no parent when that report's own chain comes back to this one (a reprint that
    declared this report, whose text this report took later by a replace): both then share this origin.
    """
    parent, declared = _link(db, report_id)
    if parent is None or declared or not _leads_back(db, parent, report_id):
        return parent
    return None


def check_derivation(db: Connection, report_id: str, derived_from: str | None) -> None:
    """Refuse (422 naming `report.derived_from`) an unknown report, or a chain back to the report itself."""
    if derived_from is None:
        return
    if derived_from == report_id:
        raise _refuse("a report cannot derive from itself")
    if db.execute(select(_REPORT.c.id).where(_REPORT.c.id == derived_from)).first() is None:
        raise _refuse(f"unknown report {derived_from!r}: load it first")
    current: str | None = derived_from
    for _step in range(MAX_DEPTH):
        current = parent_of(db, current) if current is not None else None
        if current is None:
            return
        if current == report_id:
            raise _refuse(f"{derived_from!r} derives from {report_id!r}: the chain would come back to it")
    raise _refuse(f"the chain from {derived_from!r} is longer than {MAX_DEPTH} reports")


def origin_of(db: Connection, report_id: str) -> str:
    """The root of the report's chain (its own id when it derives from nothing)."""
    seen = {report_id}
    current = report_id
    for _step in range(MAX_DEPTH):
        parent = parent_of(db, current)
        if parent is None or parent in seen:
            return current
        seen.add(parent)
        current = parent
    return current


def _affected(db: Connection, report_ids: Iterable[str], keys: Iterable[str]) -> set[str]:
    """The reports whose origin a write of `report_ids` can change.

    The reports themselves, those with a body of `keys` or sharing a body with any found, and every
    report deriving from any found.
    """
    r = _REPORT.c
    found: set[str] = set()
    frontier = set(report_ids)
    keys = set(keys)
    done_keys: set[str] = set()
    while frontier or keys:
        new: set[str] = set()
        for chunk in in_chunks(sorted(keys - done_keys)):
            new.update(db.scalars(select(r.id).where(r.body_key.in_(chunk))))
        done_keys |= keys
        for chunk in in_chunks(sorted(frontier)):
            new.update(db.scalars(select(r.id).where(r.derived_from.in_(chunk))))
            keys |= set(db.scalars(select(r.body_key).where(r.id.in_(chunk))))
        found |= frontier
        frontier = new - found
        keys -= done_keys
    return found


_SET_ORIGIN = update(_REPORT).where(_REPORT.c.id == bindparam("key")).values(origin_id=bindparam("origin"))


def refresh_origins(session: Session, report_ids: Iterable[str], keys: Iterable[str] = ()) -> set[str]:
    """Recompute the origins a write of `report_ids` can change, in the caller's transaction.

    Returns the facilities whose claims' origins changed: their support must be refreshed.
    """
    session.flush()
    db = session.connection()
    affected = _affected(db, report_ids, keys)
    stored: dict[str, str] = {}
    for chunk in in_chunks(sorted(affected)):
        for row in db.execute(select(_REPORT.c.id, _REPORT.c.origin_id).where(_REPORT.c.id.in_(chunk))):
            stored[row.id] = row.origin_id
    changed = [
        {"key": report_id, "origin": origin}
        for report_id, old in stored.items()
        if (origin := origin_of(db, report_id)) != old
    ]
    if not changed:
        return set()
    db.execute(_SET_ORIGIN, changed)
    facilities: set[str] = set()
    for chunk in in_chunks([row["key"] for row in changed]):
        facilities.update(
            f
            for f in db.scalars(select(_CLAIM.c.facility_id).where(_CLAIM.c.report_id.in_(chunk)).distinct())
            if f
        )
    return facilities


_OTHERS_OF_BODY = (
    select(_REPORT.c.id)
    .where(_REPORT.c.body_key == bindparam("key"), _REPORT.c.id != bindparam("id"))
    .limit(1)
)
_DERIVING = select(_REPORT.c.id).where(_REPORT.c.derived_from == bindparam("id")).limit(1)
_ORIGIN = select(_REPORT.c.origin_id).where(_REPORT.c.id == bindparam("id"))


def settle_new_report(session: Session, report_id: str, derived_from: str | None, key: str) -> set[str]:
    """`refresh_origins` for a report just written: a few indexed look-ups in the common case.

    When no other report shares its body or derives from it (most of a bulk load), its origin is its
    parent's stored origin, or itself; otherwise the whole walk runs.
    """
    db = session.connection()
    if db.execute(_OTHERS_OF_BODY, {"key": key, "id": report_id}).first() is not None or (
        db.execute(_DERIVING, {"id": report_id}).first() is not None
    ):
        return refresh_origins(session, [report_id], [key])
    origin = report_id
    if derived_from is not None:
        origin = db.scalar(_ORIGIN, {"id": derived_from}) or derived_from
    if origin != report_id:
        db.execute(_SET_ORIGIN, [{"key": report_id, "origin": origin}])
    return set()


def settle_new_reports(session: Session, reports: Sequence[tuple[str, str | None, str]]) -> set[str]:
    """`settle_new_report` for the reports (id, derived_from, body key) a batch just wrote, set-wise.

    Two look-ups for the whole batch say which reports share a body with another report or have
    derivatives: those are walked as `refresh_origins` walks them, in order; every other report takes
    its parent's origin (read once for all of them, after the walks), or keeps its own id. Returns the
    facilities whose claims' origins changed.
    """
    db = session.connection()
    r = _REPORT.c
    ids = [report_id for report_id, _parent, _key in reports]
    holders: dict[str, set[str]] = {}
    for chunk in in_chunks(sorted({key for _id, _parent, key in reports})):
        for row in db.execute(select(r.body_key, r.id).where(r.body_key.in_(chunk))):
            holders.setdefault(row.body_key, set()).add(row.id)
    parents: set[str] = set()
    for chunk in in_chunks(ids):
        parents.update(db.scalars(select(r.derived_from).where(r.derived_from.in_(chunk)).distinct()))
    relinked: set[str] = set()
    simple: list[tuple[str, str]] = []
    for report_id, derived_from, key in reports:
        if holders.get(key, set()) - {report_id} or report_id in parents:
            relinked |= refresh_origins(session, [report_id], [key])
        elif derived_from is not None:
            simple.append((report_id, derived_from))
    origins: dict[str, str] = {}
    for chunk in in_chunks(sorted({parent for _id, parent in simple})):
        origins.update(
            (row.id, row.origin_id) for row in db.execute(select(r.id, r.origin_id).where(r.id.in_(chunk)))
        )
    changed = [
        {"key": report_id, "origin": origins.get(parent) or parent}
        for report_id, parent in simple
        if (origins.get(parent) or parent) != report_id
    ]
    if changed:
        db.execute(_SET_ORIGIN, changed)
    return relinked


def detach_derivatives(session: Session, report_id: str) -> list[str]:
    """Before a report is deleted: the reports deriving from it derive from nothing; returns their ids."""
    db = session.connection()
    ids = list(db.scalars(select(_REPORT.c.id).where(_REPORT.c.derived_from == report_id)))
    if ids:
        db.execute(
            update(_REPORT)
            .where(_REPORT.c.derived_from == report_id)
            .values(derived_from=None, derived_relation=None)
        )
    return ids


def derivatives_of(db: Connection, report_id: str) -> list[str]:
    """The reports whose parent is `report_id` (declared, or by an identical body), sorted by id."""
    r = _REPORT.c
    declared = set(db.scalars(select(r.id).where(r.derived_from == report_id)))
    key = db.scalar(select(r.body_key).where(r.id == report_id))
    if key:
        copies = db.scalars(
            select(r.id).where(r.body_key == key, r.id != report_id, r.derived_from.is_(None))
        )
        declared.update(copy for copy in copies if parent_of(db, copy) == report_id)
    return sorted(declared)


def recompute_all_origins(session: Session) -> int:
    """Rebuild every report's `origin_id` from the lineage rule (`laborwatch recompute`).

    Returns how many changed; their facilities' support follows when the figures are recomputed after it.
    """
    session.flush()
    db = session.connection()
    changed = [
        {"key": report_id, "origin": origin}
        for report_id, old in db.execute(select(_REPORT.c.id, _REPORT.c.origin_id))
        if (origin := origin_of(db, report_id)) != old
    ]
    if changed:
        db.execute(_SET_ORIGIN, changed)
    return len(changed)
