"""Bulk row inserts of the write path: COPY on PostgreSQL, multi-row INSERTs on SQLite, no ORM, no RETURNING.

Measured on `laborwatch ingest` (bench/README.md): SQLAlchemy's multi-row `INSERT ... VALUES ...
RETURNING` spent most of PostgreSQL's ingest in psycopg splitting each long statement into its
parameters (no two statements alike, so none cached), and on SQLite a third of the write in compiling
and processing parameters. Here the rows go in through the driver's cursor on the caller's connection,
inside its transaction (and savepoint): a refused bundle still leaves nothing behind.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, partial
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

# At most this many rows per SQLite statement (and below its limit of bound variables): every statement
# that fires an FTS5 trigger flushes the full-text index, so fewer, larger statements are faster.
SQLITE_ROWS_PER_STATEMENT = 500
# SQLite's default limit of host parameters in one statement since 3.32 (999 before).
SQLITE_MAX_VARIABLES = 32_766


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (each with the keys of the first) into `table` in the connection's transaction.

    A database error comes out as SQLAlchemy's (`DataError`, `IntegrityError`, ...), as from `execute`.
    """
    if not rows:
        return
    names = [column.name for column in table.columns if column.name in rows[0]]
    dialect = connection.dialect
    if dialect.name == "postgresql":
        columns = ", ".join(_quoted(dialect, name) for name in names)
        statement = f"COPY {_quoted(dialect, table)} ({columns}) FROM STDIN"
        _run(connection, statement, lambda cursor: _copy(cursor, statement, names, rows))
    elif dialect.name == "sqlite":
        per_statement = max(1, min(SQLITE_ROWS_PER_STATEMENT, SQLITE_MAX_VARIABLES // len(names)))
        values = _sqlite_values(dialect, table, names, rows)
        for start in range(0, len(rows), per_statement):
            count = min(per_statement, len(rows) - start)
            statement = _sqlite_insert(dialect, table, tuple(names), count)
            flat = values[start * len(names) : (start + count) * len(names)]
            _run(connection, statement, partial(_execute, statement, flat))
    else:  # any other database: SQLAlchemy's own executemany
        connection.execute(insert(table), list(rows))


def _copy(cursor: Any, statement: str, names: list[str], rows: Sequence[Mapping[str, Any]]) -> None:
    pick = itemgetter(*names)
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(pick(row) if len(names) > 1 else (pick(row),))


def _execute(statement: str, parameters: list[Any], cursor: Any) -> None:
    cursor.execute(statement, parameters)


def _run(connection: Connection, statement: str, work: Callable[[Any], None]) -> None:
    """Run `work` with a driver cursor of the connection, turning driver errors into SQLAlchemy's."""
    dialect = connection.dialect
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        work(cursor)
    except dialect.loaded_dbapi.Error as error:
        base = dialect.loaded_dbapi.Error
        raise DBAPIError.instance(statement, None, error, base, dialect=dialect) from error
    finally:
        cursor.close()


def _sqlite_values(
    dialect: Dialect, table: Table, names: list[str], rows: Sequence[Mapping[str, Any]]
) -> list[Any]:
    """The rows' values in one flat list, converted as SQLAlchemy converts them for SQLite (dates as text)."""
    pick = itemgetter(*names)  # one name: the value itself, not a tuple
    flat = [pick(row) for row in rows] if len(names) == 1 else [v for row in rows for v in pick(row)]
    for position, processor in _bind_processors(dialect, table, tuple(names)):
        flat[position :: len(names)] = [
            value if value is None else processor(value) for value in flat[position :: len(names)]
        ]
    return flat


def _quoted(dialect: Dialect, name: str | Table) -> str:
    preparer = dialect.identifier_preparer
    return preparer.format_table(name) if isinstance(name, Table) else preparer.quote(name)


@cache
def _bind_processors(dialect: Dialect, table: Table, names: tuple[str, ...]) -> list[tuple[int, Any]]:
    """The columns (by position) whose values SQLAlchemy converts for the driver, and the conversion.

    Through the public `dialect_impl(...).bind_processor(...)`; cached here, once per table and columns.
    """
    found = []
    for position, name in enumerate(names):
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            found.append((position, processor))
    return found


@cache
def _sqlite_insert(dialect: Dialect, table: Table, names: tuple[str, ...], count: int) -> str:
    columns = ", ".join(_quoted(dialect, name) for name in names)
    row = "(" + ", ".join("?" * len(names)) + ")"
    # Names come from the table's own columns, never from input: nothing a client sends is spliced in.
    return f"INSERT INTO {_quoted(dialect, table)} ({columns}) VALUES " + ", ".join([row] * count)  # noqa: S608


@dataclass(frozen=True)
class FullText:
    """An FTS5 table kept by triggers on its content table: the insert trigger, as migration 0014 made it.

    `key` is the content table's ingest order (new rows have a larger one); `rowid` the column each
    full-text row is keyed by, which a row inserted without one gets as minus its `key`.
    """

    table: str
    fts: str
    key: str
    rowid: str
    column: str

    @property
    def trigger(self) -> str:
        """The insert trigger's name."""
        return f"{self.fts}_insert"

    @property
    def trigger_sql(self) -> str:
        """The insert trigger, as `sqlite_master` holds it."""
        # Names from the dataclass, never from input.
        fill = (
            f"UPDATE {self.table} SET {self.rowid} = -new.{self.key} "  # noqa: S608
            f"WHERE {self.key} = new.{self.key} AND new.{self.rowid} IS NULL"
        )
        insert = (
            f"INSERT INTO {self.fts}(rowid, {self.column}) "  # noqa: S608
            f"VALUES (coalesce(new.{self.rowid}, -new.{self.key}), new.{self.column})"
        )
        return f"CREATE TRIGGER {self.trigger} AFTER INSERT ON {self.table} BEGIN {fill}; {insert}; END"


CLAIM_FTS = FullText("claim", "claim_fts", "pk", "id_order", "search_text")


@contextmanager
def fts_after(connection: Connection, index: FullText) -> Iterator[None]:
    """On SQLite, the full-text rows of what the block inserts, added by one statement after it.

    The insert trigger fires once per row, and each statement that fires it flushes FTS5's pending
    terms; one `INSERT ... SELECT` of the new rows after the block builds the same index entries for a
    fraction of the time. The trigger is dropped for the block and created again after it, inside the
    caller's transaction: other connections never see it missing (the write lock is held, and DDL is
    transactional in SQLite), and should the block fail, the caller's rollback brings everything back.
    Elsewhere (PostgreSQL, or a trigger not as migration 0014 made it) the block runs as it is.
    """
    stored = None
    if connection.dialect.name == "sqlite":
        stored = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (index.trigger,)
        ).scalar()
    if stored is None or " ".join(stored.split()) != index.trigger_sql:
        yield
        return
    # Names from the dataclass above, never from input.
    last = connection.exec_driver_sql(f"SELECT coalesce(max({index.key}), 0) FROM {index.table}").scalar()  # noqa: S608
    connection.exec_driver_sql(f"DROP TRIGGER {index.trigger}")
    try:
        yield
        connection.exec_driver_sql(
            f"UPDATE {index.table} SET {index.rowid} = -{index.key} "  # noqa: S608
            f"WHERE {index.key} > ? AND {index.rowid} IS NULL",
            (last,),
        )
        connection.exec_driver_sql(
            f"INSERT INTO {index.fts}(rowid, {index.column}) "  # noqa: S608
            f"SELECT {index.rowid}, {index.column} FROM {index.table} WHERE {index.key} > ?",
            (last,),
        )
    finally:
        connection.exec_driver_sql(stored)
