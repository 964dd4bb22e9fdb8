"""Loading the bundles that ship under `seeds/` (used by `laborwatch seed` and `serve`)."""

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, func, select

from api.db.engine import read_session, write_session
from api.errors import InvalidBundle
from api.ingest.loader import BUNDLE_SUFFIXES, LoadResult, load_prepared, prepare_bundle, read_bundle_file
from models import Report


def bundle_paths(folder: Path) -> Iterator[Path]:
    """Every bundle file under `folder`, in a stable order."""
    yield from sorted(path for path in folder.rglob("*") if path.is_file() and path.suffix in BUNDLE_SUFFIXES)


def load_bundle_file(engine: Engine, path: Path) -> LoadResult:
    """Load one bundle file in its own transaction (all of it or nothing)."""
    prepared = prepare_bundle(read_bundle_file(path), path.parent)  # before the write lock is taken
    with write_session(engine) as session:
        return load_prepared(session, prepared)


def seed(engine: Engine, folder: Path) -> list[LoadResult]:
    """Load every bundle under `folder`; bundles already stored unchanged are left as they are."""
    if not folder.is_dir():
        raise InvalidBundle(f"The seeds folder {folder} does not exist; set LABORWATCH_SEEDS_DIR.")
    return [load_bundle_file(engine, path) for path in bundle_paths(folder)]


def is_empty(engine: Engine) -> bool:
    """Tell whether the database holds no report yet."""
    with read_session(engine) as session:
        return not session.scalar(select(func.count()).select_from(Report))
