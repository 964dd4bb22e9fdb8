"""The support rule in one home: which worker figures agree, which conflict, how many independent sources.

Contract section 8.3 and docs/evidence.md. Two `worker_count` claims of one facility are comparable when
both are undated, or both are dated within `WINDOW_DAYS` of each other; comparable claims agree when their
ranges overlap (`[value, high or value]`, widened to `[0.8 low, 1.2 high]` when approximate), and conflict
otherwise. Disputed and retracted claims neither agree nor conflict, and their own `sources` is 0.
`sources` counts the distinct report origins of a claim and of the claims agreeing with it.

`support_of` is a pure function of the claims (the migration that introduced support uses it too);
`refresh_support` stores its answer for the facilities a write touched, writing only the rows it changes.
"""

import bisect
import json
import math
from collections.abc import Iterable, Mapping, Sequence
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


# The rough cost of a step of a walk in id order, in units of one element of a filtering comprehension:
# it chooses how `_Window` gathers the listed ids.
LOOP_STEP = 3
# Up to this many active figures, `support_of` compares every pair rather than sweeping windows.
PAIRWISE_UP_TO = 64
# An origin with at most this many figures in a window is outlined in the window's pooled bounds; one
# with more keeps sorted bounds of its own, looked at for each question (there are few such origins).
FEW = 16


class _Window:
    """The figures comparable with a claim, kept as sorted bounds, so that most questions are bisections.

    Members are figure indexes; figures are ranked by id, so the smallest indexes are the smallest ids.
    Ranges are never inverted (a bundle refuses a negative value and a `high` below `value`), so a member
    that does not agree with `[a, b]` either starts above `b` or ends below `a`, never both: the members
    agreeing are those starting at or below `b` less those ending below `a`, two bisections.

    Origins are counted the same way, from an outline of each origin's members: its parts (the union of
    its ranges, split where no range joins them), the gaps between parts, and its core (from its highest
    low to its lowest high). An origin agrees when one of its parts meets `[a, b]`, counted as the parts
    that meet it less the gaps lying inside it; it has no conflicting member when its core meets `[a, b]`
    (or, a core inverted, lies inside it). Only gaps and inverted cores starting within `[a, b]` are
    read one by one. Answers are kept per range until the window changes (undated figures, and dated
    ones of one day, share their window).
    """

    def __init__(self, ranges: Sequence[tuple[float, float]], origins: Sequence[str]) -> None:
        self.lows = [low for low, _high in ranges]
        self.highs = [high for _low, high in ranges]
        self.origins = origins
        self._empty()

    def _empty(self) -> None:
        """No members."""
        self.members: list[int] = []
        # Members sorted by low (the lows and the indexes side by side), and by high likewise.
        self.by_low: tuple[list[float], list[int]] = ([], [])
        self.by_high: tuple[list[float], list[int]] = ([], [])
        self.widths: list[float] = []
        # Each origin's members' ranges; the outlines of those with few, pooled; sorted bounds of the rest.
        self.held: dict[str, list[tuple[float, float]]] = {}
        self.parts: tuple[list[float], list[float]] = ([], [])
        self.gaps: list[tuple[float, float]] = []
        self.cores: tuple[list[float], list[float]] = ([], [])
        self.inverted: list[tuple[float, float]] = []
        self.many: dict[str, tuple[list[float], list[float]]] = {}
        self.answers: dict[tuple[float, float], tuple[Any, ...]] = {}

    def change(self, entering: Sequence[int], leaving: Sequence[int]) -> None:
        """Let figures into the window and out of it: one by one, or (many at once) by sorting afresh."""
        if len(entering) + len(leaving) <= len(self.members) // 4 + 16:
            for index in leaving:
                self._remove(index)
            for index in entering:
                self._add(index)
            self.answers.clear()
            return
        members = set(self.members).difference(leaving)
        members.update(entering)
        self._empty()
        self._fill(sorted(members))

    def _fill(self, members: list[int]) -> None:
        """Build an empty window of the members given (sorted) at once."""
        lows, highs, origins = self.lows, self.highs, self.origins
        self.members = members
        by_low = sorted(members, key=lows.__getitem__)
        by_high = sorted(members, key=highs.__getitem__)
        self.by_low = ([lows[j] for j in by_low], by_low)
        self.by_high = ([highs[j] for j in by_high], by_high)
        self.widths = sorted(highs[j] - lows[j] for j in members)
        for j in members:
            self.held.setdefault(origins[j], []).append((lows[j], highs[j]))
        parts, cores = [], []
        for origin, ranges in self.held.items():
            if len(ranges) > FEW:
                self.many[origin] = (sorted(low for low, _ in ranges), sorted(high for _, high in ranges))
                continue
            outline, gaps, core = _outline(ranges)
            parts += outline
            self.gaps += gaps
            if core[0] <= core[1]:
                cores.append(core)
            else:
                self.inverted.append((core[1], core[0]))
        self.parts = (sorted(low for low, _ in parts), sorted(high for _, high in parts))
        self.cores = (sorted(low for low, _ in cores), sorted(high for _, high in cores))
        self.gaps.sort()
        self.inverted.sort()

    def _add(self, index: int) -> None:
        """Let a figure into the window."""
        low, high = self.lows[index], self.highs[index]
        bisect.insort(self.members, index)
        for (keys, indexes), key in ((self.by_low, low), (self.by_high, high)):
            at = bisect.bisect_right(keys, key)
            keys.insert(at, key)
            indexes.insert(at, index)
        bisect.insort(self.widths, high - low)
        origin = self.origins[index]
        ranges = self.held.setdefault(origin, [])
        self._unmark(origin, ranges)
        ranges.append((low, high))
        self._mark(origin, ranges)

    def _remove(self, index: int) -> None:
        """Let a figure out of the window."""
        low, high = self.lows[index], self.highs[index]
        del self.members[bisect.bisect_left(self.members, index)]
        for (keys, indexes), key in ((self.by_low, low), (self.by_high, high)):
            at = indexes.index(index, bisect.bisect_left(keys, key), bisect.bisect_right(keys, key))
            del keys[at], indexes[at]
        del self.widths[bisect.bisect_left(self.widths, high - low)]
        origin = self.origins[index]
        ranges = self.held[origin]
        self._unmark(origin, ranges)
        ranges.remove((low, high))
        if ranges:
            self._mark(origin, ranges)
        else:
            del self.held[origin]

    def _mark(self, origin: str, ranges: list[tuple[float, float]]) -> None:
        """Enter an origin's members in the pooled outlines, or in sorted bounds of its own."""
        if len(ranges) > FEW:
            self.many[origin] = (sorted(low for low, _ in ranges), sorted(high for _, high in ranges))
            return
        outline, gaps, (top, bottom) = _outline(ranges)
        for part in outline:
            _insort_pair(self.parts, *part)
        for gap in gaps:
            bisect.insort(self.gaps, gap)
        if top <= bottom:
            _insort_pair(self.cores, top, bottom)
        else:
            bisect.insort(self.inverted, (bottom, top))

    def _unmark(self, origin: str, ranges: list[tuple[float, float]]) -> None:
        """Take an origin's members out of the pooled outlines (or drop its own sorted bounds)."""
        if not ranges:
            return
        if len(ranges) > FEW:
            del self.many[origin]
            return
        outline, gaps, (top, bottom) = _outline(ranges)
        for part in outline:
            _remove_pair(self.parts, *part)
        for gap in gaps:
            del self.gaps[bisect.bisect_left(self.gaps, gap)]
        if top <= bottom:
            _remove_pair(self.cores, top, bottom)
        else:
            del self.inverted[bisect.bisect_left(self.inverted, (bottom, top))]

    def support(self, index: int, ids: Sequence[str]) -> Support:
        """The support of a member of the window (every member of which is comparable with it)."""
        span = self.lows[index], self.highs[index]
        answer = self.answers.get(span)
        if answer is None:
            answer = self.answers[span] = self._weigh(*span, ids)
        agree, agreeing, agreeing_ids, conflicting, sources, conflicting_sources = answer
        # The figure agrees with itself: one more is listed than shown, the figure itself left out.
        if index in agreeing:
            at = agreeing.index(index)
            shown = agreeing_ids[:at] + agreeing_ids[at + 1 :]
        else:
            shown = agreeing_ids[:MAX_LISTED]
        return Support(sources, shown, agree - 1, conflicting, len(self.members) - agree, conflicting_sources)

    def _weigh(self, a: float, b: float, ids: Sequence[str]) -> tuple[Any, ...]:
        """Of the members against `[a, b]`: how many agree, the first agreeing and conflicting, origins."""
        size = len(self.members)
        low_keys, low_members = self.by_low
        high_keys, high_members = self.by_high
        # Members starting at or below b: by_low's first `starts`; ending below a: by_high's first `ends`.
        starts = bisect.bisect_right(low_keys, b)
        ends = bisect.bisect_left(high_keys, a)
        agree = starts - ends
        conflict = size - agree
        # Gathering every agreeing member costs a filtered pass over those starting below a but no
        # further below than the widest member is wide (or those ending above b, as far above); walking
        # the members in id order costs about want * size / agree steps.
        below = bisect.bisect_left(low_keys, a)
        above = bisect.bisect_right(high_keys, b)
        widest = self.widths[-1] if self.widths else 0.0
        slack = widest + (abs(a) + abs(b) + widest) * 1e-9  # rounding of the widths, generously
        from_low = bisect.bisect_left(low_keys, a - slack, 0, below)
        to_high = bisect.bisect_right(high_keys, b + slack, above)
        want = min(MAX_LISTED + 1, agree)
        if min(below - from_low, to_high - above) <= LOOP_STEP * want * (size + 1) / (agree + 1):
            agreeing = sorted(self._agreeing(a, b, (from_low, below, starts), (ends, above, to_high)))[:want]
        else:
            agreeing = self._first(want, (size + 1) / (agree + 1), a, b, agreeing=True)
        want = min(MAX_LISTED, conflict)
        if conflict <= LOOP_STEP * want * (size + 1) / (conflict + 1):
            conflicting = sorted(low_members[starts:] + high_members[:ends])[:want]
        else:
            conflicting = self._first(want, (size + 1) / (conflict + 1), a, b, agreeing=False)
        sources, conflicting_sources = self._origins(a, b)
        named = ids.__getitem__
        agreeing_ids, conflicting_ids = tuple(map(named, agreeing)), tuple(map(named, conflicting))
        return agree, agreeing, agreeing_ids, conflicting_ids, sources, conflicting_sources

    def _origins(self, a: float, b: float) -> tuple[int, int]:
        """How many distinct origins have a member agreeing with `[a, b]`, and how many a conflicting one."""
        part_lows, part_highs = self.parts
        core_lows, core_highs = self.cores
        sources = (
            bisect.bisect_right(part_lows, b) - bisect.bisect_left(part_highs, a) - _inside(self.gaps, a, b)
        )
        agreeing_only = bisect.bisect_right(core_lows, b) - bisect.bisect_left(core_highs, a)
        conflicting_sources = len(self.held) - len(self.many) - agreeing_only - _inside(self.inverted, a, b)
        for lows, highs in self.many.values():
            hits = bisect.bisect_right(lows, b) - bisect.bisect_left(highs, a)
            sources += hits > 0
            conflicting_sources += hits < len(lows)
        return sources, conflicting_sources

    def _agreeing(
        self, a: float, b: float, by_low: tuple[int, int, int], by_high: tuple[int, int, int]
    ) -> list[int]:
        """Every member agreeing with `[a, b]`, by the shorter of two passes.

        Those starting within it, and those starting below a (from `by_low`'s first place on) that end
        at or above it; or those ending within it, and those ending above b (up to `by_high`'s last
        place) that start at or below it.
        """
        lows, highs = self.lows, self.highs
        (from_low, below, starts), (ends, above, to_high) = by_low, by_high
        if below - from_low <= to_high - above:
            members = self.by_low[1]
            return members[below:starts] + [j for j in members[from_low:below] if highs[j] >= a]
        members = self.by_high[1]
        return members[ends:above] + [j for j in members[above:to_high] if lows[j] <= b]

    def _first(self, want: int, spacing: float, a: float, b: float, *, agreeing: bool) -> list[int]:
        """The first `want` members in id order that agree with `[a, b]` (or conflict with it).

        Read in runs, each twice the last, the first about as long as `want` of them should take.
        """
        lows, highs, members = self.lows, self.highs, self.members
        found: list[int] = []
        start, step = 0, max(64, int(want * spacing * 1.25))
        while len(found) < want and start < len(members):
            run = members[start : start + step]
            if agreeing:
                found += [j for j in run if lows[j] <= b and highs[j] >= a]
            else:
                found += [j for j in run if lows[j] > b or highs[j] < a]
            start, step = start + step, step * 2
        return found[:want]


def _outline(
    ranges: list[tuple[float, float]],
) -> tuple[list[tuple[float, float]], list[tuple[float, float]], tuple[float, float]]:
    """An origin's parts (its ranges joined where they meet), the gaps between them, and its core.

    The core runs from the highest low to the lowest high: inverted (top above bottom) when two of the
    ranges do not meet.
    """
    ordered = sorted(ranges)
    parts = [ordered[0]]
    for low, high in ordered[1:]:
        last_low, last_high = parts[-1]
        if low <= last_high:
            parts[-1] = (last_low, max(last_high, high))
        else:
            parts.append((low, high))
    gaps = [(parts[n][1], parts[n + 1][0]) for n in range(len(parts) - 1)]
    return parts, gaps, (max(low for low, _ in ranges), min(high for _, high in ranges))


def _inside(spans: list[tuple[float, float]], a: float, b: float) -> int:
    """How many of the sorted `(start, end)` spans (start below end) lie within `[a, b]`."""
    count = 0
    for start, end in spans[bisect.bisect_left(spans, (a, -math.inf)) :]:
        if start > b:
            break
        count += end <= b
    return count


def _insort_pair(bounds: tuple[list[float], list[float]], low: float, high: float) -> None:
    """Insert a range into sorted lows and sorted highs."""
    bisect.insort(bounds[0], low)
    bisect.insort(bounds[1], high)


def _remove_pair(bounds: tuple[list[float], list[float]], low: float, high: float) -> None:
    """Remove a range from sorted lows and sorted highs (equal values are interchangeable)."""
    del bounds[0][bisect.bisect_left(bounds[0], low)]
    del bounds[1][bisect.bisect_left(bounds[1], high)]


def support_of(figures: Iterable[Figure]) -> dict[str, Support]:
    """The support of every `worker_count` claim of one facility, by claim id.

    The undated figures form one window; the dated ones are swept in date order, each figure entering
    the window when the sweep comes within `WINDOW_DAYS` of its date and leaving when it falls behind.
    Counts cost bisections; the listed ids and distinct origins are gathered by whichever of a few ways
    is cheapest for the window (docs/performance.md gives the worst case). A facility of a few figures
    (most of them) is read pair by pair instead: the same answers, without building the windows.
    """
    figures = list(figures)
    result = {figure.id: NO_SUPPORT for figure in figures if figure.status in SIDELINED}
    active = sorted((figure for figure in figures if figure.status not in SIDELINED), key=lambda f: f.id)
    ranges = [claim_range(figure) for figure in active]
    if len(active) <= PAIRWISE_UP_TO:
        result.update(_by_pairs(active, ranges))
        return result
    ids = [figure.id for figure in active]
    origins = [figure.origin for figure in active]
    undated = _Window(ranges, origins)
    undated.change([index for index, figure in enumerate(active) if figure.dated_on is None], [])
    for index in undated.members:
        result[ids[index]] = undated.support(index, ids)
    days = {i: figure.dated_on.toordinal() for i, figure in enumerate(active) if figure.dated_on is not None}
    order = sorted(days, key=days.__getitem__)
    window = _Window(ranges, origins)
    behind = ahead = 0
    for index in order:
        entering, leaving = [], []
        while ahead < len(order) and days[order[ahead]] <= days[index] + WINDOW_DAYS:
            entering.append(order[ahead])
            ahead += 1
        while days[order[behind]] < days[index] - WINDOW_DAYS:
            leaving.append(order[behind])
            behind += 1
        if entering or leaving:
            window.change(entering, leaving)
        result[ids[index]] = window.support(index, ids)
    return result


def _by_pairs(active: Sequence[Figure], ranges: Sequence[tuple[float, float]]) -> dict[str, Support]:
    """`support_of` for a few figures (sorted by id, none sidelined), comparing every pair once.

    The same answers as the sweep; for the few worker figures most facilities have, cheaper than
    building a window's sorted bounds.
    """
    days = [None if figure.dated_on is None else figure.dated_on.toordinal() for figure in active]
    agreeing: list[list[int]] = [[] for _ in active]
    conflicting: list[list[int]] = [[] for _ in active]
    for i, (low, high) in enumerate(ranges):
        day = days[i]
        for j in range(i + 1, len(active)):
            other = days[j]
            if day is None:
                if other is not None:
                    continue
            elif other is None or abs(day - other) > WINDOW_DAYS:
                continue
            other_low, other_high = ranges[j]
            pairs = agreeing if other_low <= high and low <= other_high else conflicting
            pairs[i].append(j)
            pairs[j].append(i)
    result = {}
    for i, figure in enumerate(active):
        agree, conflict = agreeing[i], conflicting[i]  # in index order: each pair appended in turn
        result[figure.id] = Support(
            len({figure.origin, *(active[j].origin for j in agree)}),
            tuple(active[j].id for j in agree[:MAX_LISTED]),
            len(agree),
            tuple(active[j].id for j in conflict[:MAX_LISTED]),
            len(conflict),
            len({active[j].origin for j in conflict}),
        )
    return result


def _id_list(ids: tuple[str, ...]) -> str:
    return json.dumps(list(ids)) if ids else "[]"


def support_columns(support: Support | None) -> dict[str, Any]:
    """The claim columns that store `support` (all None for a claim that has none; not to be changed)."""
    if support is None:
        return _NO_SUPPORT_COLUMNS
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
_NO_SUPPORT_COLUMNS: dict[str, Any] = dict.fromkeys(SUPPORT_COLUMNS)


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


def _stored_figures(
    connection: Connection, facility_ids: Sequence[str]
) -> tuple[list[Any], dict[str, list[Figure]]]:
    """The stored worker-figure claims of these facilities (with their support columns), and their figures.

    One read (with the reports' origins; the index on claim (facility_id, predicate, dated_on) serves it);
    the figures are grouped by facility, claims without a number left out of them.
    """
    c, r = _CLAIM.c, _REPORT.c
    columns = (c.id, c.facility_id, c.value_number, c.high, c.approximate, c.dated_on, c.status)
    rows = connection.execute(
        select(*columns, r.origin_id, *(c[name] for name in SUPPORT_COLUMNS))
        .join(_REPORT, r.id == c.report_id)
        # Only worker figures ever hold support: a claim's predicate never changes once stored.
        .where(c.facility_id.in_(facility_ids), c.predicate == "worker_count")
    ).all()
    by_facility: dict[str, list[Figure]] = {}
    for row in rows:
        if row.value_number is not None:
            figure = Figure(
                row.id, row.value_number, row.high, bool(row.approximate), row.dated_on, row.status,
                row.origin_id or "",
            )  # fmt: skip
            by_facility.setdefault(row.facility_id, []).append(figure)
    return list(rows), by_facility


def _changed(rows: Iterable[Any], computed: Mapping[str, Support]) -> list[dict[str, Any]]:
    """The `_STORE` parameters of the stored claims among `rows` whose support differs from `computed`."""
    changed = []
    for row in rows:
        wanted = support_columns(computed.get(row.id))
        if any(getattr(row, name) != value for name, value in wanted.items()):
            changed.append({"key": row.id, **wanted})
    return changed


def refresh_support(session: Session, facility_ids: Iterable[str]) -> None:
    """Store the support of the claims of the facilities named, in the caller's transaction.

    Reads each facility's worker figures once, applies the rule, and updates only the claims whose
    stored support differs; claims of other predicates keep none.
    """
    connection = session.connection()
    for chunk in in_chunks(sorted(set(facility_ids))):
        rows, by_facility = _stored_figures(connection, chunk)
        computed: dict[str, Support] = {}
        for figures in by_facility.values():
            computed.update(support_of(figures))
        changed = _changed(rows, computed)
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
    and every index entry again, the full-text vector computed anew). `origins` are settled before the
    insert (`settle_pending_reports`), so the support computed here is final.
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
    computed: dict[str, Support] = {}
    changed: list[dict[str, Any]] = []
    for chunk in in_chunks(sorted(new)):
        found, stored = _stored_figures(connection, chunk)
        for facility_id in chunk:
            computed.update(support_of([*stored.get(facility_id, ()), *new[facility_id]]))
        changed += _changed(found, computed)
    if changed:
        connection.execute(_STORE, changed)
    return [row | support_columns(computed.get(row["id"])) for row in rows], set(new)
