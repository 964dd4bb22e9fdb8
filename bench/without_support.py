"""`laborwatch` with origins and support switched off: the baseline of what keeping support in step costs.

`python -m bench.without_support ingest FOLDER` runs `laborwatch ingest FOLDER` with the loader as it was
before support (issue 19): no report origins settled, no support computed; the rest of the loader, the
figure refresh included, as shipped. `make bench` (bench/compare.py) and bench/evidence.py use it; it
imports nothing more than the command itself, so that its start-up costs what the command's does.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from api.cli import app as cli
from api.facilities import figures
from api.ingest import loader


@contextmanager
def support_switched_off(*, origins: bool = True) -> Iterator[None]:
    """The loader as it was before support: no support computed, and (`origins`) no origins walked."""
    kept = vars(figures)["refresh_support"], vars(loader)["settle_new_report"]
    setattr(figures, "refresh_support", lambda _session, _ids: None)  # noqa: B010 - a module's name
    if origins:
        setattr(loader, "settle_new_report", lambda *_args: set())  # noqa: B010
    try:
        yield
    finally:
        setattr(figures, "refresh_support", kept[0])  # noqa: B010
        setattr(loader, "settle_new_report", kept[1])  # noqa: B010


def main() -> None:
    """Run the `laborwatch` command line (its arguments from `sys.argv`) with support switched off."""
    with support_switched_off():
        cli()


if __name__ == "__main__":
    main()
