"""`laborwatch` with origins and support switched off: the baseline of what keeping support in step costs.

`python -m bench.without_support ingest FOLDER` runs `laborwatch ingest FOLDER` with the loader as it was
before support (issue 19): no report origins settled, no support computed; the rest of the loader, the
figure refresh included, as shipped. `make bench` (bench/compare.py) and bench/evidence.py use it; it
imports nothing more than the command itself, so that its start-up costs what the command's does.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from api.cli import app as cli
from api.facilities import figures
from api.ingest import batch, loader


def _unsupported(_connection: Any, rows: Any, _origins: Any) -> tuple[list[Any], set[str]]:
    """A batch's claim rows as they come, support left out (in place of `with_support`)."""
    return list(rows), set()


@contextmanager
def support_switched_off(*, origins: bool = True) -> Iterator[None]:
    """The loader as it was before support: no support computed, and (`origins`) no origins walked.

    Every place the loader computes support or settles origins, bundle by bundle and batch by batch.
    """
    switched: list[tuple[ModuleType, str, Any]] = [
        (figures, "refresh_support", lambda _session, _ids: None),
        (batch, "with_support", _unsupported),
    ]
    if origins:
        switched += [
            (loader, "settle_new_report", lambda *_args: set()),
            (batch, "settle_pending_reports", lambda *_args: ({}, set())),
        ]
    kept = [(module, name, vars(module)[name]) for module, name, _ in switched]
    for module, name, replacement in switched:
        setattr(module, name, replacement)
    try:
        yield
    finally:
        for module, name, original in kept:
            setattr(module, name, original)


def main() -> None:
    """Run the `laborwatch` command line (its arguments from `sys.argv`) with support switched off."""
    with support_switched_off():
        cli()


if __name__ == "__main__":
    main()
