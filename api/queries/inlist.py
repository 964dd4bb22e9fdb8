"""IN lists of any length, sent a bounded chunk at a time: a driver takes at most 65,535 parameters."""

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

# Values per IN list: far below psycopg's (and PostgreSQL's) 65,535 bound parameters per statement and
# SQLite's 32,766 host parameters, so that the rest of a statement's parameters fit beside them.
IN_CHUNK = 1000


def in_chunks(values: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """`values` a list of at most `size` (default `IN_CHUNK`, read at each call) at a time, for `.in_()`."""
    items = list(values)
    step = size or IN_CHUNK
    for start in range(0, len(items), step):
        yield items[start : start + step]
