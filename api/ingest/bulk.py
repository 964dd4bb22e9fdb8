"""Bulk ingest of bundle files and folders: each bundle atomic and idempotent, refusals collected."""

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine

from api.db import write_session
from api.errors import LaborwatchError
from api.ingest.bundle import Bundle
from api.ingest.loader import BUNDLE_SUFFIXES, load_bundle, read_bundle_file
from api.ingest.seed import bundle_paths

# Below this many files, starting worker processes costs more than parsing in-line.
PARALLEL_FROM = 32


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


def parse_file(path: Path) -> tuple[Bundle | None, str | None]:
    """Read and validate one bundle file: the bundle, or the reason it is refused (picklable either way)."""
    try:
        return read_bundle_file(path), None
    except LaborwatchError as exc:
        return None, exc.detail


def write_bundle(engine: Engine, path: Path, bundle: Bundle, actor: str) -> IngestOutcome:
    """Load one parsed bundle in its own transaction; a refusal leaves nothing of it behind."""
    try:
        with write_session(engine) as session:
            result = load_bundle(session, bundle, base_dir=path.parent, actor=actor)
    except LaborwatchError as exc:
        return IngestOutcome(path, "refused", reason=exc.detail)
    return IngestOutcome(path, result.status, result.report_id)


def default_jobs() -> int:
    """How many processes parse bundles by default: the machine's cores, at most four."""
    return min(4, os.cpu_count() or 1)


def _parsed(paths: list[Path], jobs: int) -> Iterator[tuple[Bundle | None, str | None]]:
    """Parse bundles in order; with many files and `jobs` > 1, in worker processes while the caller writes."""
    workers = jobs
    if len(paths) < PARALLEL_FROM or workers < 2:
        yield from map(parse_file, paths)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(parse_file, paths, chunksize=8)


def ingest(
    engine: Engine,
    items: list[Path | IngestOutcome],
    actor: str,
    advance: Callable[[], None] = lambda: None,
    jobs: int | None = None,
) -> list[IngestOutcome]:
    """Ingest every expanded item in order, calling `advance` after each (for a progress bar).

    Parsing and validation (CPU-bound, independent per file) overlap with the writes, which stay in
    one process and in order, one transaction per bundle.
    """
    paths = [item for item in items if isinstance(item, Path)]
    parsed = _parsed(paths, default_jobs() if jobs is None else jobs)
    outcomes = []
    for item in items:
        if isinstance(item, IngestOutcome):
            outcomes.append(item)
        else:
            bundle, reason = next(parsed)
            if bundle is None:
                outcomes.append(IngestOutcome(item, "refused", reason=reason))
            else:
                outcomes.append(write_bundle(engine, item, bundle, actor))
        advance()
    return outcomes
