"""IN lists of any length, sent a bounded chunk at a time: a driver takes at most 65,535 parameters."""

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement

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


def is_any_of(column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """`column` equals one of `values` (a filter's few values, never more than one chunk): `=` for one."""
    if len(values) == 1:
        equal: ColumnElement[bool] = column == values[0]
        return equal
    return column.in_(values)
