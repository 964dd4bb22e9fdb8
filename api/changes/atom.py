"""The change feed as Atom 1.0 (RFC 4287): the newest changes matching the filters, one entry each.

Entries are written from the change feed's own shaped entries (`CHANGES.shape`), never from raw rows,
so whatever the feed withholds from a reader the Atom feed withholds too. Titles are said in words
from those entries, the facilities' names and the figures the report gives.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Connection, select
from sqlmodel import col

from api.changes.listing import CHANGES, ChangeFilters, merge_family
from api.kit.schemas import as_number, iso_moment
from api.vocabulary import PREDICATES
from api.wording import claim_in_words
from models import ChangeSubject, Claim, DataVersion, Facility

ATOM_MEDIA_TYPE = "application/atom+xml"
ATOM_SIZE = 50  # the newest this many changes matching
WORKER_COUNT = "worker_count"

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _names(db: Connection, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = db.execute(select(col(Facility.id), col(Facility.name)).where(col(Facility.id).in_(sorted(ids))))
    return {row[0]: row[1] for row in rows}


def _subjects(db: Connection, change_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if not change_ids:
        return found
    rows = db.execute(
        select(col(ChangeSubject.change_id), col(ChangeSubject.facility_id))
        .where(col(ChangeSubject.change_id).in_(change_ids), col(ChangeSubject.facility_id).is_not(None))
        .order_by(col(ChangeSubject.facility_id))
    )
    for change_id, facility_id in rows:
        if facility_id is not None:
            found.setdefault(change_id, []).append(facility_id)
    return found


# What a title says of one worker figure: (facility id, value, high end or None, approximate).
Figure = tuple[str, Any, Any, bool]


def _figures(db: Connection, report_ids: set[str]) -> dict[str, list[Figure]]:
    """The worker figures each report gives now, in claim order."""
    found: dict[str, list[Figure]] = {}
    if not report_ids:
        return found
    rows = db.execute(
        select(
            col(Claim.report_id),
            col(Claim.facility_id),
            col(Claim.value_number),
            col(Claim.high),
            col(Claim.approximate),
        )
        .where(
            col(Claim.report_id).in_(sorted(report_ids)),
            col(Claim.predicate) == WORKER_COUNT,
            col(Claim.facility_id).is_not(None),
            col(Claim.value_number).is_not(None),
        )
        .order_by(col(Claim.report_id), col(Claim.id))
    )
    for report_id, facility_id, value, high, approximate in rows:
        if facility_id is not None:
            figure = (facility_id, as_number(value), as_number(high), approximate)
            found.setdefault(report_id, []).append(figure)
    return found


def _named(ids: Sequence[str], names: dict[str, str]) -> str:
    shown = [names.get(i, i) for i in ids]
    if len(shown) > 2:
        return f"{shown[0]} and {len(shown) - 1} other facilities"
    return " and ".join(shown)


def change_title(
    entry: dict[str, Any],
    facility_ids: Sequence[str],
    names: dict[str, str],
    figures: Sequence[Figure],
) -> str:
    """A change in words, for a person reading a feed: "New figure for X: about 70 workers"."""
    action, after, before = entry["action"], entry.get("after") or {}, entry.get("before") or {}
    if action in ("report.create", "report.replace") and figures:
        facility_id, value, high, approximate = figures[0]
        word = "New figure" if action == "report.create" else "Revised figure"
        more = f" (and {len(figures) - 1} more)" if len(figures) > 1 else ""
        said = claim_in_words(WORKER_COUNT, value, PREDICATES[WORKER_COUNT].unit, approximate, high)
        return f"{word} for {names.get(facility_id, facility_id)}: {said}{more}"
    if action in ("report.create", "report.replace"):
        word = "New report" if action == "report.create" else "Report revised"
        about = f" on {_named(facility_ids, names)}" if facility_ids else ""
        title = after.get("title")
        return f"{word}{about}: {title}" if title else f"{word}{about} ({entry['entity_id']})"
    if action == "report.delete":
        about = f" on {_named(facility_ids, names)}" if facility_ids else ""
        return f"Report {entry['entity_id']}{about} withdrawn"
    if action == "claim.update":
        about = f" on {_named(facility_ids, names)}" if facility_ids else ""
        said = ", ".join(
            f"{name} now {value}" for name, value in after.items() if isinstance(value, str | int)
        )
        return f"Claim {entry['entity_id']}{about} corrected" + (f": {said}" if said else "")
    if action == "facility.merge":
        into = after.get("merged_into", "")
        old = (before.get("merged") or {}).get("name") or entry["entity_id"]
        return f"{old} merged into {names.get(into, into)}"
    return f"{action}: {entry['entity_type']} {entry['entity_id']}"


def _link(base: str, entry: dict[str, Any], facility_ids: Sequence[str], report_id: str | None) -> str:
    """The explorer page of the thing changed."""
    kind, thing = entry["entity_type"], entry["entity_id"]
    if kind == "report" and entry["action"] != "report.delete":
        return f"{base}/reports/{quote(thing, safe='')}"
    if kind == "claim" and report_id:
        return f"{base}/reports/{quote(report_id, safe='')}#about-{quote(thing, safe='')}"
    if kind == "facility":
        into = (entry.get("after") or {}).get("merged_into") or thing
        return f"{base}/facilities/{quote(into, safe='')}"
    if facility_ids:
        return f"{base}/facilities/{quote(facility_ids[0], safe='')}"
    return f"{base}/reports"


def render_atom(
    db: Connection, filters: ChangeFilters, rows: Sequence[Any], *, base: str, self_url: str, title: str
) -> str:
    """The Atom document of `rows` (the newest changes matching `filters`, newest first)."""
    entries = CHANGES.shape(db, rows)  # the feed's one shaping, withholding included
    ids = [entry["id"] for entry in entries]
    subjects = _subjects(db, ids)
    names = _names(
        db,
        {i for listed in subjects.values() for i in listed}
        | {(entry.get("after") or {}).get("merged_into") or "" for entry in entries},
    )
    reports = {entry["entity_id"] for entry in entries if entry["entity_type"] == "report"}
    figures = _figures(db, reports)
    claim_ids = [entry["entity_id"] for entry in entries if entry["entity_type"] == "claim"]
    of_claims = select(col(Claim.id), col(Claim.report_id)).where(col(Claim.id).in_(claim_ids))
    claim_reports = {row[0]: row[1] for row in db.execute(of_claims)}
    family = merge_family(db, filters.facility_id) if filters.facility_id else set()
    shown = []
    for entry in entries:
        facility_ids = subjects.get(entry["id"], [])
        own = [f for f in figures.get(entry["entity_id"], []) if entry["entity_type"] == "report"]
        if family:  # a facility's feed speaks of that facility's figure first
            own.sort(key=lambda figure: figure[0] not in family)
        words = change_title(entry, facility_ids, names, own)
        shown.append(
            {
                **entry,
                "title": words,
                "link": _link(base, entry, facility_ids, claim_reports.get(entry["entity_id"])),
                "summary": f"{entry['action']} of {entry['entity_type']} {entry['entity_id']} by "
                f"{entry['key_name']} (change {entry['id']}). {words}",
            }
        )
    if entries:
        updated = entries[0]["at"]
    else:
        changed = db.execute(select(col(DataVersion.changed_at))).scalar()
        updated = iso_moment(changed) if changed is not None else "1970-01-01T00:00:00Z"
    feed = {"id": self_url, "title": title, "updated": updated, "self": self_url, "alternate": f"{base}/"}
    return _TEMPLATES.get_template("changes.atom").render(feed=feed, entries=shown)
