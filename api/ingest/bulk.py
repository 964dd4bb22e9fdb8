"""Bulk ingest of bundle files and folders: each bundle atomic and idempotent, refusals collected."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine

from api.db import write_session
from api.errors import LaborwatchError
from api.ingest.loader import BUNDLE_SUFFIXES, load_bundle, read_bundle_file
from api.ingest.seed import bundle_paths


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


def ingest_file(engine: Engine, path: Path, actor: str) -> IngestOutcome:
    """Load one bundle file in its own transaction; a refusal leaves nothing of it behind."""
    try:
        bundle = read_bundle_file(path)
        with write_session(engine) as session:
            result = load_bundle(session, bundle, base_dir=path.parent, actor=actor)
    except LaborwatchError as exc:
        return IngestOutcome(path, "refused", reason=exc.detail)
    return IngestOutcome(path, result.status, result.report_id)


def ingest(
    engine: Engine, items: list[Path | IngestOutcome], actor: str, advance: Callable[[], None] = lambda: None
) -> list[IngestOutcome]:
    """Ingest every expanded item in order, calling `advance` after each (for a progress bar)."""
    outcomes = []
    for item in items:
        outcomes.append(item if isinstance(item, IngestOutcome) else ingest_file(engine, item, actor))
        advance()
    return outcomes
