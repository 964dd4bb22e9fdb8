"""Bulk ingest of bundle files and folders: each bundle atomic and idempotent, refusals collected."""

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from api.db.engine import write_session
from api.errors import LaborwatchError, ReportExists
from api.ingest.batch import BatchWrite
from api.ingest.loader import (
    BUNDLE_SUFFIXES,
    BundleLimits,
    Deferred,
    PreparedBundle,
    load_prepared,
    prepare_bundle,
    read_bundle_file,
)
from api.ingest.seed import bundle_paths
from api.kit.processes import exit_with_parent

# Below this many files, starting worker processes costs more than parsing in-line.
PARALLEL_FROM = 32
# Files the workers may have prepared ahead of the writer: a batch's worth, so that the next batch is
# prepared while one is written (with a few dozen, the workers sat idle through each batch's write and
# the writer then waited for most of the next batch), and memory stays bounded when writing is slower.
AHEAD_BUNDLES = 200
# A batch of bundles shares one transaction (one commit, one figure refresh): it holds this many bundles,
# or those prepared within this many seconds, whichever comes first. A crash loses at most one batch,
# which a rerun adds again. Every bundle of a batch is prepared (parsed, quotes placed) before its
# transaction begins, so other writers wait for the batch's database work only.
BATCH_BUNDLES = 200
BATCH_SECONDS = 5.0


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one bundle file."""

    path: Path
    status: Literal["added", "unchanged", "refused"]
    report_id: str | None = None
    reason: str | None = None


def expand(paths: Iterable[Path]) -> list[Path | IngestOutcome]:
    """Bundle files named directly or found in folders (sorted); unusable paths come back as refusals."""
    found: list[Path | IngestOutcome] = []
    for path in paths:
        if path.is_dir():
            found.extend(bundle_paths(path))
        elif not path.exists():
            found.append(IngestOutcome(path, "refused", reason="no such file or folder"))
        elif path.suffix not in BUNDLE_SUFFIXES:
            found.append(
                IngestOutcome(path, "refused", reason=f"not a bundle file ({', '.join(BUNDLE_SUFFIXES)})")
            )
        else:
            found.append(path)
    return found


def prepare_file(limits: BundleLimits, path: Path) -> PreparedBundle | str:
    """Read, validate and place the quotes of one bundle file: the prepared bundle, or why it is refused.

    Needs no database, so it runs in worker processes; what it returns is picklable either way.
    """
    try:
        return prepare_bundle(read_bundle_file(path), path.parent, limits)
    except LaborwatchError as exc:
        return exc.detail


def default_jobs() -> int:
    """How many processes parse bundles by default: the machine's cores, at most four."""
    return min(4, os.cpu_count() or 1)


def _prepared(paths: list[Path], jobs: int, limits: BundleLimits) -> Iterator[PreparedBundle | str]:
    """Prepare bundles in order; with many files and `jobs` > 1, in worker processes as the caller writes."""
    prepare = partial(prepare_file, limits)
    if len(paths) < PARALLEL_FROM or jobs < 2:
        yield from map(prepare, paths)
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=exit_with_parent, initargs=(os.getpid(),)) as pool:
        ahead: deque[Future[PreparedBundle | str]] = deque()
        remaining = iter(paths)
        for path in remaining:
            ahead.append(pool.submit(prepare, path))
            if len(ahead) >= max(AHEAD_BUNDLES, jobs):
                break
        while ahead:
            result = ahead.popleft().result()
            for path in remaining:
                ahead.append(pool.submit(prepare, path))
                break
            yield result


# One item to ingest: refused already, or a prepared bundle and its file.
Piece = IngestOutcome | tuple[Path, PreparedBundle]


def _load_one(
    session: Session,
    path: Path,
    prepared: PreparedBundle,
    actor: str,
    deferred: Deferred,
    batch: BatchWrite | None = None,
) -> IngestOutcome:
    """Load one bundle under a savepoint of the batch's transaction: a refusal rolls back it alone.

    With `batch`, the bundle is only checked and its rows kept for the batch's bulk insert.
    """
    # Checked against a batch, a bundle writes nothing: no savepoint to roll back, no round trips.
    try:
        with session.begin_nested() if batch is None else nullcontext():
            result = load_prepared(session, prepared, actor=actor, deferred=deferred, batch=batch)
    except ReportExists as exc:
        return IngestOutcome(path, "refused", exc.report_id, exc.with_hint())
    except LaborwatchError as exc:
        return IngestOutcome(path, "refused", reason=exc.detail)
    except DataError:
        # The savepoint is rolled back: the rest of the batch goes on.
        return IngestOutcome(path, "refused", reason="a value does not fit what the database stores")
    return IngestOutcome(path, result.status, result.report_id)


def _load_set_wise(
    session: Session, batch: list[Piece], actor: str, deferred: Deferred
) -> list[IngestOutcome] | None:
    """Check every bundle of the batch against set-wise look-ups, then insert their rows table by table.

    Returns None, with nothing written, when the database refuses the rows (a value it cannot store, a
    row another writer stored meanwhile): the caller then writes the bundles one by one.
    """
    bundles = [piece[1] for piece in batch if not isinstance(piece, IngestOutcome)]
    outcomes: list[IngestOutcome] = []
    try:
        with session.begin_nested():
            rows = BatchWrite.look_up(session.connection(), bundles)
            for piece in batch:
                if isinstance(piece, IngestOutcome):
                    outcomes.append(piece)
                else:
                    outcomes.append(_load_one(session, piece[0], piece[1], actor, deferred, rows))
            rows.write(session.connection())
            deferred.supported |= rows.supported
            deferred.facility_ids |= rows.relinked
    except (DataError, IntegrityError):
        return None
    return outcomes


class _Statistics:
    """Keeps PostgreSQL's planner statistics in step with a bulk load, at a cost of O(log n) ANALYZEs.

    Autovacuum analyzes a table some time after it changed; a bulk load into a new database can run for
    minutes before then, and the planner, taking the claim table for empty, recomputes each batch's
    facility figures with a sequential scan of all claims per facility. ANALYZE runs in the batch's
    transaction (it counts that transaction's own rows), whenever the claims written since the last one
    outnumber those the statistics know of: the table has at least doubled.
    """

    # The columns the batch's look-ups and figure refresh filter and join on. Naming them leaves out the
    # texts and full-text vectors (and any index expression), whose statistics took most of ANALYZE's
    # time (a `to_tsvector` of every sampled row, when the index was on that expression); autovacuum
    # gathers those later.
    TABLES = (
        "claim (id, facility_id, predicate, status, dated_on, report_id), report_facility, "
        "report (id, published_on), facility (id)"
    )

    def __init__(self, engine: Engine) -> None:
        self.enabled = engine.dialect.name == "postgresql"
        self.known: float | None = None
        self.written = 0

    def update(self, session: Session, claims_written: int) -> None:
        """Note the claims a batch wrote; re-analyze when the statistics fall too far behind."""
        if not self.enabled:
            return
        self.written += claims_written
        if self.known is None:
            self.known = max(
                0.0,
                session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'claim'::regclass")) or 0.0,
            )
        if self.written > self.known:
            session.execute(text(f"ANALYZE {self.TABLES}"))
            self.known += self.written
            self.written = 0


def _work(items: list[Path | IngestOutcome], prepared: Iterator[PreparedBundle | str]) -> Iterator[Piece]:
    """Each item in order: refused already, or a prepared bundle to write."""
    for item in items:
        if isinstance(item, IngestOutcome):
            yield item
            continue
        ready = next(prepared)
        yield IngestOutcome(item, "refused", reason=ready) if isinstance(ready, str) else (item, ready)


def _batches(work: Iterator[Piece]) -> Iterator[list[Piece]]:
    """Group the pieces in order into batches, each prepared in full before it is written."""
    batch: list[Piece] = []
    started = time.monotonic()
    for piece in work:
        if not batch:
            started = time.monotonic()
        batch.append(piece)
        if len(batch) >= BATCH_BUNDLES or time.monotonic() - started >= BATCH_SECONDS:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_batch(
    engine: Engine, batch: list[Piece], actor: str, statistics: _Statistics
) -> list[IngestOutcome]:
    """Write one batch of prepared bundles in one transaction; the outcomes, once it committed.

    Set-wise first (`_load_set_wise`); should the database refuse the batch's rows, bundle by bundle,
    each under a savepoint of its own, so that only the bundles at fault are refused.
    """
    deferred = Deferred()
    with write_session(engine) as session:
        written = _load_set_wise(session, batch, actor, deferred)
        if written is None:
            deferred = Deferred()
            written = [
                piece if isinstance(piece, IngestOutcome) else _load_one(session, *piece, actor, deferred)
                for piece in batch
            ]
        added = {outcome.path for outcome in written if outcome.status == "added"}
        claims_written = sum(
            len(piece[1].claim_rows)
            for piece in batch
            if not isinstance(piece, IngestOutcome) and piece[0] in added
        )
        statistics.update(session, claims_written)
        deferred.finish(session)
    return written


def ingest(
    engine: Engine,
    items: list[Path | IngestOutcome],
    actor: str,
    advance: Callable[[], None] = lambda: None,
    jobs: int | None = None,
    limits: BundleLimits | None = None,
) -> list[IngestOutcome]:
    """Ingest every expanded item in order, calling `advance` after each (for a progress bar).

    Parsing, validation and quote placement (CPU-bound, independent per file) run in worker processes
    while this one writes, in order. Bundles are written in batches, one transaction each, with a
    savepoint per bundle so that a refused bundle leaves nothing behind and the rest of its batch lands;
    facility figures and the audit log are written once per batch. An outcome is returned only once its
    batch committed. `limits` (default: the process-wide settings) cap each bundle's work, as the API's.
    """
    paths = [item for item in items if isinstance(item, Path)]
    chosen = limits or BundleLimits.of()
    work = _work(items, _prepared(paths, default_jobs() if jobs is None else jobs, chosen))
    statistics = _Statistics(engine)
    outcomes: list[IngestOutcome] = []
    for batch in _batches(work):
        if all(isinstance(piece, IngestOutcome) for piece in batch):  # refused: no transaction needed
            written = [piece for piece in batch if isinstance(piece, IngestOutcome)]
        else:
            written = _write_batch(engine, batch, actor, statistics)
        for outcome in written:
            outcomes.append(outcome)
            advance()
    return outcomes
