"""Sorting from allow-lists, keyset cursors, and reading a page or every row in a sort's order."""

import base64
import binascii
import json
import math
from collections.abc import Callable, Generator
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select

from api.db.engine import restart_statement_clock
from api.errors import InvalidQuery

Kind = Literal["str", "int", "float", "date"]
# Integers a cursor may carry: what a 32-bit database integer holds. Larger ones are no id or count of
# ours, and past 64 bits neither the drivers nor orjson (the page's `offset`) take them.
MAX_INTEGER = 2**31


@dataclass(frozen=True)
class SortKey:
    """A column a list may be sorted on (named as the list's query selects it) and its values' type."""

    column: str
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
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError):
        # RecursionError: JSON nested deeper than the parser recurses (a cursor of `[[[[...`)
        raise _invalid_cursor("not a cursor this server made") from None
    if sort_token != sort.token:
        raise _invalid_cursor(f"made for sort={sort_token!r}, not sort={sort.token!r}")
    if last_id is None or not _count(position):
        raise _invalid_cursor("not a cursor this server made")
    if not _count(total) or not isinstance(counted_under, str):
        total, counted_under = None, None  # recount rather than trust a total of unknown origin
    return Cursor(
        sort_token,
        _from_json(value, sort.key.kind),
        _from_json(last_id, id_kind),
        position,
        total,
        counted_under,
    )


def _count(value: Any) -> bool:
    """Whether a cursor field is a count of rows as this server writes them (a database integer)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_INTEGER


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
            and -MAX_INTEGER <= value < MAX_INTEGER
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


class Keyset:
    """A query in a sort's order, with the WHERE clause that resumes it after a cursor.

    The sort column and the id are found among the query's selected columns by name, so a list whose
    figure is computed (`as_of`) sorts and resumes on the computed column like on a stored one.
    """

    def __init__(self, query: Select[Any], sort: Sort, id_column: str) -> None:
        self.query = query
        self.sort = sort
        self.id_name = id_column
        self.column: ColumnElement[Any] = query.selected_columns[sort.key.column]
        self.id: ColumnElement[Any] = query.selected_columns[id_column]
        self.by_id = sort.key.column == id_column

    def ordered(self) -> Select[Any]:
        """The query ordered by the sort: missing values last either way, then the id as the tie-breaker."""
        if self.by_id:
            return self.query.order_by(self.id.desc() if self.sort.descending else self.id.asc())
        column = self.column
        return self.query.order_by(
            column.is_(None).asc(), column.desc() if self.sort.descending else column.asc(), self.id.asc()
        )

    def after(self, cursor: "Cursor") -> ColumnElement[bool]:
        """WHERE clause selecting the rows that come after the cursor in `ordered()` order."""
        if self.by_id:
            return self.id < cursor.last_id if self.sort.descending else self.id > cursor.last_id
        column = self.column
        if cursor.value is None:
            return and_(column.is_(None), self.id > cursor.last_id)
        beyond = column < cursor.value if self.sort.descending else column > cursor.value
        return or_(beyond, and_(column == cursor.value, self.id > cursor.last_id), column.is_(None))

    def cursor_after(
        self, row: Any, position: int, total: int | None = None, counted_under: str | None = None
    ) -> "Cursor":
        """The cursor that resumes after `row`, the `position`-th match."""
        mapping = row._mapping
        return Cursor(
            self.sort.token,
            mapping[self.sort.key.column],
            mapping[self.id_name],
            position,
            total,
            counted_under,
        )


class KeyOrderedKeyset(Keyset):
    """A keyset sorted by id, read in the order of `key`: an integer column that sorts as the id does.

    `bound(last_id)` gives a key every id after `last_id` (before it, descending) has reached, or None
    when it cannot tell: the cursor's condition on the id is then kept alone.
    """

    def __init__(
        self,
        query: Select[Any],
        sort: Sort,
        id_column: str,
        key: ColumnElement[Any],
        bound: Callable[[Any], int | None],
    ) -> None:
        super().__init__(query, sort, id_column)
        if not self.by_id:
            raise ValueError("a key ordered keyset is sorted by id")
        self.key = key
        self.bound = bound

    def ordered(self) -> Select[Any]:
        """The query in the key's order, which is the id's."""
        return self.query.order_by(self.key.desc() if self.sort.descending else self.key.asc())

    def after(self, cursor: "Cursor") -> ColumnElement[bool]:
        """The id's condition, and the key's bound that lets the read start there."""
        beyond = super().after(cursor)
        bound = self.bound(cursor.last_id)
        if bound is None:
            return beyond
        return and_(self.key <= bound if self.sort.descending else self.key >= bound, beyond)


# The column of a page's statement that carries the total of matches (PostgreSQL, see `fetch_page`).
TOTAL_COLUMN = "laborwatch_total"


@dataclass
class Page:
    """One page of rows, and the cursor of the next page (None on the last page)."""

    rows: list[Any]
    total: int
    limit: int
    offset: int
    next: Cursor | None
    counted: bool = False  # whether `total` was counted here (not carried by the cursor, nor known)


def fetch_page(
    db: Connection,
    keyset: Keyset,
    *,
    limit: int,
    offset: int,
    cursor_token: str | None,
    counted_under: str,
    id_kind: Kind = "str",
    counting: Select[Any] | None = None,
    reread: Callable[[int], Keyset | None] | None = None,
    known_total: int | None = None,
) -> Page:
    """Read one page: by `offset`, or after a keyset `cursor` (then `offset` must be 0).

    The total of matches is counted on the first page and carried in the cursor with `counted_under`
    (the data version and the filters); a later page counts again only when that differs. `counting`
    counts the matches more cheaply than the query can (it must give the same number); `reread(total)`
    may name another keyset over the same rows and order that reads this page faster, knowing the total.
    On PostgreSQL a count is a column of the page's own statement (one round trip, not two; `reread` is
    then not asked), and only an empty page counts apart. `known_total` is the total when the caller
    knows it already (counted under the same data version and filters): nothing is counted then.
    """
    cursor: Cursor | None = None
    position = offset
    total: int | None = None
    if cursor_token:
        if offset:
            raise InvalidQuery(
                "Give either `cursor` or `offset`, not both.",
                [{"loc": ["query", "offset"], "msg": "offset cannot be combined with cursor"}],
            )
        cursor = decode_cursor(cursor_token, keyset.sort, id_kind)
        position = cursor.position
        if cursor.counted_under == counted_under:
            total = cursor.total
    if total is None:
        total = known_total
    counted = total is None
    if counting is None:
        counting = select(func.count()).select_from(keyset.query.order_by(None).subquery())
    in_page = total is None and db.dialect.name == "postgresql"
    if total is None and not in_page:
        total = db.execute(counting).scalar() or 0
    if reread is not None and total is not None:
        keyset = reread(total) or keyset
    paged = keyset.ordered()
    paged = paged.where(keyset.after(cursor)) if cursor is not None else paged.offset(offset)
    paged = paged.limit(limit + 1)
    if total is None:
        rows, total = _page_and_total(db, paged, counting)
    else:
        rows = list(db.execute(paged).all())
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        following = keyset.cursor_after(rows[-1], position + limit, total, counted_under)
    return Page(rows, total, limit, position, following, counted)


def _page_and_total(db: Connection, paged: Select[Any], counting: Select[Any]) -> tuple[list[Any], int]:
    """A page's rows and the total of matches in one statement: the total as a last column, cut off."""
    width = len(paged.selected_columns)
    frozen = db.execute(paged.add_columns(counting.scalar_subquery().label(TOTAL_COLUMN))).freeze()
    totals = frozen().scalars(width).all()
    rows = list(frozen().columns(*range(width)).all())
    total = int(totals[0]) if totals else int(db.execute(counting).scalar() or 0)  # an empty page: apart
    return rows, total


def iter_batches(db: Connection, keyset: Keyset, batch_size: int = 1000) -> Generator[list[Any]]:
    """Yield every row of the keyset's query in its order, a batch at a time, so memory stays flat.

    One statement, streamed (a server-side cursor on PostgreSQL): a sort on a computed column (the
    figure `as_of` a date) is computed once, not once per batch. Each fetch has the statement time
    limit to itself.
    """
    result = db.execution_options(stream_results=True, max_row_buffer=batch_size).execute(keyset.ordered())
    cursor = result.cursor  # the driver's: a psycopg server-side cursor on PostgreSQL
    try:
        while rows := list(result.fetchmany(batch_size)):
            yield rows
            restart_statement_clock(db)
    finally:
        result.close()
        if not getattr(cursor, "closed", True):
            # Its CLOSE failed (the database ended the session, or is out of reach): the connection is
            # broken, so it is discarded, and the cursor, its connection gone, marked closed.
            db.invalidate()
            with suppress(Exception):
                cursor.close()
