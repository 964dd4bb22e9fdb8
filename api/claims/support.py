"""The support rule in one home: which worker figures agree, which conflict, how many independent sources.

Contract section 8.3 and docs/evidence.md. Two `worker_count` claims of one facility are comparable when
both are undated, or both are dated within `WINDOW_DAYS` of each other; comparable claims agree when their
ranges overlap (`[value, high or value]`, widened to `[0.8 low, 1.2 high]` when approximate), and conflict
otherwise. Disputed and retracted claims neither agree nor conflict, and their own `sources` is 0.
`sources` counts the distinct report origins of a claim and of the claims agreeing with it.

`support_of` is a pure function of the claims (the migration that introduced support uses it too);
`refresh_support` stores its answer for the facilities a write touched, writing only the rows it changes.
"""

import heapq
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.orm import Session

from api.kit.inlist import in_chunks
from api.vocabulary import Status
from models import Claim, Report

# How far apart two dated figures may be and still speak of the same time.
WINDOW_DAYS = 365
# How much an approximate figure ("about 70") is widened each way before ranges are compared.
APPROXIMATE_LOW = 0.8
APPROXIMATE_HIGH = 1.2
# At most this many ids in `agreeing` and in `conflicting`; the counts give how many there are in all.
MAX_LISTED = 100
# Claims with these statuses take no part: an analyst's verdict steps them aside.
SIDELINED = (Status.disputed.value, Status.retracted.value)


@dataclass(frozen=True)
class Figure:
    """What the rule reads of one `worker_count` claim."""

    id: str
    value: float
    high: float | None
    approximate: bool
    dated_on: date | None
    status: str
    origin: str


@dataclass(frozen=True)
class Support:
    """What the rule says of one claim (stored in the claim's `support_*` columns)."""

    sources: int
    agreeing: tuple[str, ...]
    agreeing_count: int
    conflicting: tuple[str, ...]
    conflicting_count: int
    conflicting_sources: int


NO_SUPPORT = Support(0, (), 0, (), 0, 0)


def claim_range(figure: Figure) -> tuple[float, float]:
    """The range a figure stands for: `[value, high or value]`, widened when approximate."""
    low, high = figure.value, figure.high if figure.high is not None else figure.value
    if figure.approximate:
        return low * APPROXIMATE_LOW, high * APPROXIMATE_HIGH
    return low, high


def _windows(active: Sequence[Figure]) -> Iterator[tuple[int, list[int]]]:
    """Each active figure's index with the indexes of the figures comparable with it, itself included.

    Undated figures are all comparable with one another; dated ones with those within the window, found
    by moving two pointers along the figures sorted by date, never by comparing every pair of dates.
    Yielded one figure at a time, so memory stays linear however dense a window is.
    """
    undated = [i for i, figure in enumerate(active) if figure.dated_on is None]
    days = {i: figure.dated_on.toordinal() for i, figure in enumerate(active) if figure.dated_on is not None}
    dated = sorted(days, key=days.__getitem__)
    for i in undated:
        yield i, undated
    ordinals = [days[i] for i in dated]
    low = high = 0
    for position, i in enumerate(dated):
        while ordinals[low] < ordinals[position] - WINDOW_DAYS:
            low += 1
        high = max(high, position)
        while high + 1 < len(dated) and ordinals[high + 1] <= ordinals[position] + WINDOW_DAYS:
            high += 1
        yield i, dated[low : high + 1]


def support_of(figures: Iterable[Figure]) -> dict[str, Support]:
    """The support of every `worker_count` claim of one facility, by claim id."""
    figures = list(figures)
    result = {figure.id: NO_SUPPORT for figure in figures if figure.status in SIDELINED}
    active = [figure for figure in figures if figure.status not in SIDELINED]
    ranges = [claim_range(figure) for figure in active]
    lows = [low for low, _high in ranges]
    highs = [high for _low, high in ranges]
    ids = [figure.id for figure in active]
    origins = [figure.origin for figure in active]
    for i, window in _windows(active):
        low, high = ranges[i]
        # Plain comprehensions over the window: the inner loop of the rule, kept in C as far as it goes.
        agreeing = [j for j in window if lows[j] <= high and highs[j] >= low and j != i]
        agreed = set(agreeing)
        conflicting = [j for j in window if j not in agreed and j != i]
        result[ids[i]] = Support(
            sources=len({origins[i], *(origins[j] for j in agreeing)}),
            agreeing=_first_ids([ids[j] for j in agreeing]),
            agreeing_count=len(agreeing),
            conflicting=_first_ids([ids[j] for j in conflicting]),
            conflicting_count=len(conflicting),
            conflicting_sources=len({origins[j] for j in conflicting}),
        )
    return result


def _first_ids(ids: list[str]) -> tuple[str, ...]:
    """The `MAX_LISTED` smallest ids, in order (a plain sort when there are no more than that)."""
    return tuple(sorted(ids) if len(ids) <= MAX_LISTED else heapq.nsmallest(MAX_LISTED, ids))


def _id_list(ids: tuple[str, ...]) -> str:
    return json.dumps(list(ids)) if ids else "[]"


def support_columns(support: Support | None) -> dict[str, Any]:
    """The claim columns that store `support` (all None for a claim that has none)."""
    if support is None:
        return dict.fromkeys(SUPPORT_COLUMNS)
    return {
        "support_sources": support.sources,
        "support_agreeing": _id_list(support.agreeing),
        "support_agreeing_count": support.agreeing_count,
        "support_conflicting": _id_list(support.conflicting),
        "support_conflicting_count": support.conflicting_count,
        "support_conflicting_sources": support.conflicting_sources,
    }


SUPPORT_COLUMNS = (
    "support_sources",
    "support_agreeing",
    "support_agreeing_count",
    "support_conflicting",
    "support_conflicting_count",
    "support_conflicting_sources",
)


def support_record(row: Any) -> dict[str, Any] | None:
    """The public `support` of a claim row (None when the claim is not a worker figure)."""
    if row.support_sources is None:
        return None
    return {
        "sources": row.support_sources,
        "agreeing": json.loads(row.support_agreeing or "[]"),
        "agreeing_count": row.support_agreeing_count or 0,
        "conflicting": json.loads(row.support_conflicting or "[]"),
        "conflicting_count": row.support_conflicting_count or 0,
    }


_CLAIM: Table = Claim.__table__  # type: ignore[attr-defined]
_REPORT: Table = Report.__table__  # type: ignore[attr-defined]
_STORE = (
    update(_CLAIM)
    .where(_CLAIM.c.id == bindparam("key"))
    .values({name: bindparam(name) for name in SUPPORT_COLUMNS})
)


def refresh_support(session: Session, facility_ids: Iterable[str]) -> None:
    """Store the support of the claims of the facilities named, in the caller's transaction.

    Reads each facility's worker figures once (with their reports' origins; the index on claim
    (facility_id, predicate, dated_on) serves it), applies the rule, and updates only the claims whose
    stored support differs; claims of other predicates keep none.
    """
    connection = session.connection()
    c, r = _CLAIM.c, _REPORT.c
    stored = [c[name] for name in SUPPORT_COLUMNS]
    for chunk in in_chunks(sorted(set(facility_ids))):
        rows = connection.execute(
            select(
                c.id,
                c.facility_id,
                c.predicate,
                c.value_number,
                c.high,
                c.approximate,
                c.dated_on,
                c.status,
                r.origin_id,
                *stored,
            )
            .join(_REPORT, r.id == c.report_id)
            # Only worker figures ever hold support: a claim's predicate never changes once stored.
            .where(c.facility_id.in_(chunk), c.predicate == "worker_count")
        ).all()
        by_facility: dict[str, list[Figure]] = {}
        for row in rows:
            if row.value_number is not None:
                figure = Figure(
                    row.id, row.value_number, row.high, bool(row.approximate), row.dated_on, row.status,
                    row.origin_id or "",
                )  # fmt: skip
                by_facility.setdefault(row.facility_id, []).append(figure)
        computed: dict[str, Support] = {}
        for figures in by_facility.values():
            computed.update(support_of(figures))
        changed = []
        for row in rows:
            wanted = support_columns(computed.get(row.id))
            if any(getattr(row, name) != value for name, value in wanted.items()):
                changed.append({"key": row.id, **wanted})
        if changed:
            connection.execute(_STORE, changed)


def with_support(
    connection: Connection, rows: Sequence[dict[str, Any]], origins: Mapping[str, str]
) -> tuple[list[dict[str, Any]], set[str]]:
    """New claim rows with their support filled in, before they are inserted; stored claims' updated.

    The rule runs over the stored worker figures of the rows' facilities and the rows' own, each row's
    origin taken from `origins` (report id -> origin; the report itself when absent). The stored claims
    whose support the new ones change are updated here; the new rows come back with theirs, with the
    facilities whose support is thus current. A bulk load so writes each new claim once, where inserting
    it bare and then storing its support wrote it twice (on PostgreSQL an UPDATE writes a new row version
    and every index entry again, the full-text vector computed anew). Should the batch's lineage then
    give a report another origin than `origins` said, `refresh_origins` names the facilities to refresh.
    """
    new: dict[str, list[Figure]] = {}
    for row in rows:
        if row["predicate"] == "worker_count" and row["value_number"] is not None and row["facility_id"]:
            origin = origins.get(row["report_id"], row["report_id"])
            figure = Figure(
                row["id"], row["value_number"], row["high"], bool(row["approximate"]), row["dated_on"],
                row["status"], origin,
            )  # fmt: skip
            new.setdefault(row["facility_id"], []).append(figure)
    c, r = _CLAIM.c, _REPORT.c
    computed: dict[str, Support] = {}
    changed: list[dict[str, Any]] = []
    for chunk in in_chunks(sorted(new)):
        stored: dict[str, list[Figure]] = {}
        columns = (c.id, c.facility_id, c.value_number, c.high, c.approximate, c.dated_on, c.status)
        query = (
            select(*columns, r.origin_id, *(c[name] for name in SUPPORT_COLUMNS))
            .join(_REPORT, r.id == c.report_id)
            .where(c.facility_id.in_(chunk), c.predicate == "worker_count")
        )
        found = connection.execute(query).all()
        for f in found:
            if f.value_number is not None:
                figure = Figure(
                    f.id, f.value_number, f.high, bool(f.approximate), f.dated_on, f.status, f.origin_id or ""
                )
                stored.setdefault(f.facility_id, []).append(figure)
        for facility_id in chunk:
            computed.update(support_of([*stored.get(facility_id, ()), *new[facility_id]]))
        for f in found:
            wanted = support_columns(computed.get(f.id))
            if any(getattr(f, name) != value for name, value in wanted.items()):
                changed.append({"key": f.id, **wanted})
    if changed:
        connection.execute(_STORE, changed)
    return [row | support_columns(computed.get(row["id"])) for row in rows], set(new)
