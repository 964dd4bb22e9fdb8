"""Sorting from allow-lists, keyset cursors and the list envelope's paging arithmetic."""

import base64
import binascii
import json
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from urllib.parse import parse_qsl

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Mapped, Session
from starlette.datastructures import URL

from api.errors import InvalidQuery
from api.ingest.version import current_data_version

Kind = Literal["str", "int", "float", "date"]


@dataclass(frozen=True)
class SortKey:
    """A column a list may be sorted on, and the Python type of its values (for cursors)."""

    column: Mapped[Any]
    kind: Kind


@dataclass(frozen=True)
class Sort:
    """A validated `sort` parameter: which key, and descending or not."""

    name: str
    key: SortKey
    descending: bool

    @property
    def token(self) -> str:
        """The parameter as the client wrote it, e.g. `-workers`."""
        return ("-" if self.descending else "") + self.name


def parse_sort(raw: str | None, allowed: dict[str, SortKey], default: str = "id") -> Sort:
    """Validate `sort=FIELD` or `sort=-FIELD` against an allow-list (unknown fields are a 422)."""
    text = raw or default
    descending = text.startswith("-")
    name = text[1:] if descending else text
    key = allowed.get(name)
    if key is None:
        known = ", ".join(sorted(allowed))
        raise InvalidQuery(
            f"Cannot sort on {name!r}; sort on one of: {known} (prefix '-' for descending).",
            [{"loc": ["query", "sort"], "msg": f"unknown sort field {name!r}; allowed: {known}"}],
        )
    return Sort(name, key, descending)


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended: its last row's sort value and id, and how many rows came before.

    It also carries the total of matches, with the data version and the filters it was counted under,
    so that following `next` does not count every match again while nothing has changed.
    """

    sort: str
    value: Any
    last_id: str | int
    position: int
    total: int | None = None
    counted_under: str | None = None

    def encode(self) -> str:
        """Serialize to an opaque URL-safe token."""
        fields = [self.sort, _to_json(self.value), self.last_id, self.position]
        if self.total is not None:
            fields += [self.total, self.counted_under]
        raw = json.dumps(fields, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _to_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _invalid_cursor(reason: str) -> InvalidQuery:
    return InvalidQuery(
        f"Invalid cursor: {reason}. Follow the `next` link as given, or start again without `cursor`.",
        [{"loc": ["query", "cursor"], "msg": reason}],
    )


def decode_cursor(token: str, sort: Sort, id_kind: Kind = "str") -> Cursor:
    """Decode a cursor made by `Cursor.encode` for the same sort, refusing anything else with 422."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fields = json.loads(raw)
        sort_token, value, last_id, position = fields[:4]
        total, counted_under = fields[4:] if len(fields) == 6 else (None, None)
        if len(fields) not in (4, 6):
            raise ValueError
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise _invalid_cursor("not a cursor this server made") from None
    if sort_token != sort.token:
        raise _invalid_cursor(f"made for sort={sort_token!r}, not sort={sort.token!r}")
    if last_id is None or not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise _invalid_cursor("not a cursor this server made")
    if (
        not isinstance(total, int)
        or isinstance(total, bool)
        or total < 0
        or not isinstance(counted_under, str)
    ):
        total, counted_under = None, None  # recount rather than trust a total of unknown origin
    return Cursor(
        sort_token,
        _from_json(value, sort.key.kind),
        _from_json(last_id, id_kind),
        position,
        total,
        counted_under,
    )


def _from_json(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    try:
        if kind == "date":
            return date.fromisoformat(value)
        if (
            kind == "int"
            and isinstance(value, int)
            and not isinstance(value, bool)
            and -(2**31) <= value < 2**31
        ):
            return value
        if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
            if math.isfinite(number):
                return number
        if kind == "str" and isinstance(value, str) and "\x00" not in value:
            value.encode("utf-8")  # a lone surrogate cannot be sent to the database
            return value
    except (TypeError, ValueError, OverflowError, UnicodeEncodeError):
        pass
    raise _invalid_cursor("not a cursor this server made")


def order_by(sort: Sort, id_column: Mapped[Any]) -> list[Any]:
    """ORDER BY for a sort: missing values last either way, then the id as the tie-breaker."""
    column = sort.key.column
    if sort.key.column is id_column:
        return [id_column.desc() if sort.descending else id_column.asc()]
    return [column.is_(None).asc(), column.desc() if sort.descending else column.asc(), id_column.asc()]


def after_cursor(sort: Sort, id_column: Mapped[Any], cursor: Cursor) -> ColumnElement[bool]:
    """WHERE clause selecting the rows that come after the cursor in `order_by(sort, ...)` order."""
    column = sort.key.column
    if column is id_column:
        return id_column < cursor.last_id if sort.descending else id_column > cursor.last_id
    if cursor.value is None:
        return and_(column.is_(None), id_column > cursor.last_id)
    beyond = column < cursor.value if sort.descending else column > cursor.value
    return or_(beyond, and_(column == cursor.value, id_column > cursor.last_id), column.is_(None))


@dataclass
class Page:
    """One page of rows, ready for the envelope."""

    rows: list[Any]
    total: int
    limit: int
    offset: int
    next: str | None


def fetch_page(
    session: Session,
    query: Select[Any],
    *,
    url: URL,
    sort: Sort,
    id_column: Mapped[Any],
    limit: int,
    offset: int,
    cursor_token: str | None,
    id_kind: Kind = "str",
) -> Page:
    """Run `query` for one page: by `offset`, or after a keyset `cursor` (then `offset` must be 0).

    The total of matches is counted on the first page and carried in the cursor; a later page counts
    again only when the data or the filters differ from when it was counted.
    """
    paged = query.add_columns(sort.key.column.label("_sort"), id_column.label("_id"))
    paged = paged.order_by(*order_by(sort, id_column))
    position = offset
    counted_under = f"{current_data_version(session)}:{_filters_key(url)}"
    total: int | None = None
    if cursor_token:
        if offset:
            raise InvalidQuery(
                "Give either `cursor` or `offset`, not both.",
                [{"loc": ["query", "offset"], "msg": "offset cannot be combined with cursor"}],
            )
        cursor = decode_cursor(cursor_token, sort, id_kind)
        paged = paged.where(after_cursor(sort, id_column, cursor))
        position = cursor.position
        if cursor.counted_under == counted_under:
            total = cursor.total
    else:
        paged = paged.offset(offset)
    if total is None:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.execute(paged.limit(limit + 1)).all())
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]._mapping
        cursor = Cursor(sort.token, last["_sort"], last["_id"], position + limit, total, counted_under)
        next_url = str(url.remove_query_params("offset").include_query_params(cursor=cursor.encode()))
    return Page(rows, total, limit, position, next_url)


def _filters_key(url: URL) -> str:
    """A digest of the path, filters and sort (not the paging), to tell whether a carried total applies."""
    pairs = parse_qsl(url.query, keep_blank_values=True)
    params = sorted((name, value) for name, value in pairs if name not in ("cursor", "offset", "limit"))
    return f"{zlib.crc32(json.dumps([url.path, params]).encode()):08x}"


def iter_batches(
    session: Session, query: Select[Any], *, sort: Sort, id_column: Mapped[Any], batch_size: int = 1000
) -> Iterator[list[Any]]:
    """Yield every row of `query` in `sort` order, a keyset batch at a time, so memory stays flat."""
    keyed = query.add_columns(sort.key.column.label("_sort"), id_column.label("_id"))
    keyed = keyed.order_by(*order_by(sort, id_column))
    cursor: Cursor | None = None
    while True:
        batch_query = keyed if cursor is None else keyed.where(after_cursor(sort, id_column, cursor))
        rows = list(session.execute(batch_query.limit(batch_size)).all())
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        last = rows[-1]._mapping
        cursor = Cursor(sort.token, last["_sort"], last["_id"], 0)
        session.expunge_all()
