"""Lineage in one home: which report a report derives from, the origin at the root of its chain.

A report's parent is the report its bundle declares (`derived_from`), else the earliest stored report
with an identical body (white space runs folded), when that one came first. Its origin is the root of the
chain of parents. Every report write calls `refresh_origins`, which recomputes the origins of the reports
the write can change (the report, those sharing its body, and their descendants) and answers which
facilities' support must follow.
"""

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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


def _instant(moment: datetime) -> datetime:
    """An ingest time comparable with any other: naive UTC (SQLite gives naive ones, PostgreSQL aware)."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class _Stored:
    """What the lineage rule reads of a report."""

    derived_from: str | None
    body_key: str
    ingested: tuple[datetime, str]  # (ingest time, id): the order in which identical bodies came


class Links:
    """The reports' links as the lineage rule reads them, read from the database a set at a time and kept.

    Report rows about to be inserted (`pending`) count as stored. Valid while no report's id, body or
    `derived_from` changes (writing `origin_id` changes no link): one write's walks share one.
    """

    def __init__(self, db: Connection, pending: Iterable[Mapping[str, Any]] = ()) -> None:
        self.db = db
        self.rows: dict[str, _Stored | None] = {}
        # Every report of a body key read, by (ingest time, id); the pending rows' children by parent.
        self.keyed: dict[str, list[tuple[datetime, str]]] = {}
        self.pending = {row["id"]: self._stored(row) for row in pending}
        self.pending_children: dict[str, set[str]] = {}
        for report_id, row in self.pending.items():
            if row.derived_from is not None:
                self.pending_children.setdefault(row.derived_from, set()).add(report_id)
        self.rows.update(self.pending)

    @staticmethod
    def _stored(row: Mapping[Any, Any]) -> _Stored:
        return _Stored(row["derived_from"], row["body_key"], (_instant(row["ingested_at"]), row["id"]))

    def load(self, report_ids: Iterable[str]) -> None:
        """Read the links of these reports, and of every report sharing a body with one, where not known."""
        r = _REPORT.c
        unknown = sorted(set(report_ids).difference(self.rows))
        for chunk in in_chunks(unknown):
            query = select(r.id, r.derived_from, r.body_key, r.ingested_at).where(r.id.in_(chunk))
            self.rows.update((row.id, self._stored(row._mapping)) for row in self.db.execute(query))
        self.rows.update(dict.fromkeys(set(unknown).difference(self.rows)))  # no such report
        self._load_keys(row.body_key for row_id in unknown if (row := self.rows[row_id]) is not None)

    def _load_keys(self, keys: Iterable[str]) -> None:
        r = _REPORT.c
        wanted = sorted(set(keys).difference(self.keyed))
        for key in wanted:
            self.keyed[key] = []
        for chunk in in_chunks(wanted):
            query = select(r.id, r.derived_from, r.body_key, r.ingested_at).where(r.body_key.in_(chunk))
            for found in self.db.execute(query):
                stored = self.rows[found.id] = self.pending.get(found.id) or self._stored(found._mapping)
                self.keyed[found.body_key].append(stored.ingested)
        chosen = set(wanted)
        for pending in self.pending.values():
            if pending.body_key in chosen:
                self.keyed[pending.body_key].append(pending.ingested)
        for key in wanted:
            self.keyed[key] = sorted(set(self.keyed[key]))

    def row(self, report_id: str) -> _Stored | None:
        """The report's links (None: no such report)."""
        if report_id not in self.rows:
            self.load([report_id])
        row = self.rows[report_id]
        if row is not None and row.body_key not in self.keyed:  # a pending report's body
            self._load_keys([row.body_key])
        return row

    def sharing(self, keys: Iterable[str]) -> set[str]:
        """Every report whose body has one of these keys."""
        keys = set(keys)
        self._load_keys(keys)
        return {report_id for key in keys for _at, report_id in self.keyed[key]}

    def derivatives(self, report_ids: Iterable[str]) -> set[str]:
        """Every report declaring one of these as the report it derives from."""
        r = _REPORT.c
        ids = sorted(set(report_ids))
        found: set[str] = set()
        for chunk in in_chunks(ids):
            found.update(self.db.scalars(select(r.id).where(r.derived_from.in_(chunk))))
        found.update(child for parent in ids for child in self.pending_children.get(parent, ()))
        return found

    def link(self, report_id: str) -> tuple[str | None, bool]:
        """The report `report_id` links to, and whether the link is declared (else by an identical body)."""
        row = self.row(report_id)
        if row is None:
            return None, False
        if row.derived_from is not None:
            return row.derived_from, True
        for ingested in self.keyed[row.body_key]:  # the earliest other report of the same body
            if ingested[1] != report_id:
                return (ingested[1], False) if ingested < row.ingested else (None, False)
        return None, False

    def leads_back(self, start: str, report_id: str) -> bool:
        """Whether the chain of links from `start` comes to `report_id`."""
        seen: set[str] = set()
        current: str | None = start
        for _step in range(MAX_DEPTH):
            if current is None or current in seen:
                return False
            if current == report_id:
                return True
            seen.add(current)
            current = self.link(current)[0]
        return False

    def parent(self, report_id: str) -> str | None:
        """`parent_of`, read from the links."""
        parent, declared = self.link(report_id)
        if parent is None or declared or not self.leads_back(parent, report_id):
            return parent
        return None

    def origin(self, report_id: str) -> str:
        """`origin_of`, read from the links."""
        seen = {report_id}
        current = report_id
        for _step in range(MAX_DEPTH):
            parent = self.parent(current)
            if parent is None or parent in seen:
                return current
            seen.add(parent)
            current = parent
        return current

    def load_chains(self, report_ids: Iterable[str]) -> None:
        """Read, a level at a time, the links of these reports and of every report up their chains."""
        frontier = set(report_ids)
        for _step in range(MAX_DEPTH + 1):
            self.load(frontier)
            frontier = {parent for report_id in frontier if (parent := self.link(report_id)[0])}
            frontier.difference_update(self.rows)
            if not frontier:
                return


def parent_of(db: Connection, report_id: str) -> str | None:
    """The report `report_id` derives from: declared, else the first earlier report of an identical body.

    An identical body is no parent when that report's own chain comes back to this one (a reprint that
    declared this report, whose text this report took later by a replace): both then share this origin.
    """
    return Links(db).parent(report_id)


def check_derivation(db: Connection, report_id: str, derived_from: str | None) -> None:
    """Refuse (422 naming `report.derived_from`) an unknown report, or a chain back to the report itself."""
    if derived_from is None:
        return
    if derived_from == report_id:
        raise _refuse("a report cannot derive from itself")
    links = Links(db)
    if links.row(derived_from) is None:
        raise _refuse(f"unknown report {derived_from!r}: load it first")
    current: str | None = derived_from
    for _step in range(MAX_DEPTH):
        current = links.parent(current) if current is not None else None
        if current is None:
            return
        if current == report_id:
            raise _refuse(f"{derived_from!r} derives from {report_id!r}: the chain would come back to it")
    raise _refuse(f"the chain from {derived_from!r} is longer than {MAX_DEPTH} reports")


def origin_of(db: Connection, report_id: str) -> str:
    """The root of the report's chain (its own id when it derives from nothing)."""
    return Links(db).origin(report_id)


def _affected(links: Links, report_ids: Iterable[str], keys: Iterable[str]) -> set[str]:
    """The reports whose origin a write of `report_ids` can change.

    The reports themselves, those with a body of `keys` or sharing a body with any found, and every
    report deriving from any found.
    """
    found: set[str] = set()
    frontier = set(report_ids)
    keys = set(keys)
    done: set[str] = set()
    while frontier or keys:
        new = links.sharing(keys)
        done |= keys
        new |= links.derivatives(frontier)
        links.load(frontier)
        keys = {row.body_key for report_id in frontier if (row := links.row(report_id)) is not None}
        found |= frontier
        frontier = new - found
        keys -= done
    return found


_SET_ORIGIN = update(_REPORT).where(_REPORT.c.id == bindparam("key")).values(origin_id=bindparam("origin"))


def _settle(db: Connection, links: Links, affected: set[str], stored: Mapping[str, str]) -> dict[str, str]:
    """Every affected report's origin by the rule; those differing from `stored` (id -> origin) written."""
    links.load_chains(affected)
    origins = {report_id: links.origin(report_id) for report_id in sorted(affected)}
    changed = [
        {"key": report_id, "origin": origins[report_id]}
        for report_id, old in stored.items()
        if origins[report_id] != old
    ]
    if changed:
        db.execute(_SET_ORIGIN, changed)
    return origins


def _stored_origins(db: Connection, report_ids: Iterable[str]) -> dict[str, str]:
    stored: dict[str, str] = {}
    for chunk in in_chunks(sorted(report_ids)):
        for row in db.execute(select(_REPORT.c.id, _REPORT.c.origin_id).where(_REPORT.c.id.in_(chunk))):
            stored[row.id] = row.origin_id
    return stored


def _facilities_of(db: Connection, report_ids: Iterable[str]) -> set[str]:
    """The facilities the claims of these reports name."""
    facilities: set[str] = set()
    for chunk in in_chunks(sorted(report_ids)):
        query = select(_CLAIM.c.facility_id).where(_CLAIM.c.report_id.in_(chunk)).distinct()
        facilities.update(f for f in db.scalars(query) if f)
    return facilities


def refresh_origins(session: Session, report_ids: Iterable[str], keys: Iterable[str] = ()) -> set[str]:
    """Recompute the origins a write of `report_ids` can change, in the caller's transaction.

    Returns the facilities whose claims' origins changed: their support must be refreshed.
    """
    session.flush()
    db = session.connection()
    links = Links(db)
    affected = _affected(links, report_ids, keys)
    stored = _stored_origins(db, affected)
    origins = _settle(db, links, affected, stored)
    return _facilities_of(db, [report_id for report_id, old in stored.items() if origins[report_id] != old])


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


def settle_pending_reports(db: Connection, rows: Sequence[dict[str, Any]]) -> tuple[dict[str, str], set[str]]:
    """The origins of report rows about to be inserted (a batch's), and of the stored reports they change.

    The walk `refresh_origins` makes for a write, made once for every row of the batch, the rows counted
    as stored; links are read a set at a time. The rows can then go in with their `origin_id`, and their
    claims with their support, settled: nothing is updated after the insert. Stored reports whose origin
    changes (one whose body a new report shares, should the new one come first) are written here.
    Returns the origin of each row's report (by id) and the facilities whose stored claims' origins
    changed, whose support must follow.
    """
    links = Links(db, rows)
    ids = [row["id"] for row in rows]
    affected = _affected(links, ids, [row["body_key"] for row in rows])
    stored = _stored_origins(db, affected.difference(ids))
    origins = _settle(db, links, affected, stored)
    relinked = [report_id for report_id, old in stored.items() if origins[report_id] != old]
    return {report_id: origins[report_id] for report_id in ids}, _facilities_of(db, relinked)


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
