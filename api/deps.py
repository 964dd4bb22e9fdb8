"""FastAPI dependencies: the engine, the reader (reads in worker threads), the check of query parameters."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi._compat import field_annotation_is_sequence
from sqlalchemy import Connection, Engine
from sqlalchemy.pool import QueuePool

from api.errors import InvalidQuery

P = ParamSpec("P")
T = TypeVar("T")


async def get_engine(request: Request) -> Engine:
    """The engine the app was created with."""
    engine: Engine = request.app.state.engine
    return engine


class Reader:
    """Runs a route's reading on a pooled connection of its own: on the event loop, or in a worker thread.

    Reads that are index look-ups of a few rows (`inline`) run on the loop: a thread hop and the GIL
    handed back and forth would cost them more than the query. Reads that may run long (`__call__`:
    full-text search, figures as of a date, aggregates) run in a worker thread, so that the loop stays
    free to answer others meanwhile; at most `limit` of them run at once (`LABORWATCH_READ_THREADS`),
    the rest wait their turn in arrival order.
    """

    def __init__(self, engine: Engine, limit: int) -> None:
        self.engine = engine
        self.limiter = anyio.CapacityLimiter(limit)

    async def __call__(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(db, *args, **kwargs)` with a read connection: every query of it sees one snapshot."""

        def run() -> T:
            with self.engine.connect() as db:
                return work(db, *args, **kwargs)

        return await anyio.to_thread.run_sync(run, limiter=self.limiter)

    async def inline(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(db, *args, **kwargs)` with a read connection right here, on the event loop.

        Only when the pool can give a connection at once: waiting for one would stop the whole loop, so
        a read that would wait is run in a worker thread instead.
        """
        if not self._connection_free():
            return await self(work, *args, **kwargs)
        with self.engine.connect() as db:
            return work(db, *args, **kwargs)

    def _connection_free(self) -> bool:
        """Whether the pool holds an idle connection or may open another (QueuePool; others: yes)."""
        pool = self.engine.pool
        if not isinstance(pool, QueuePool):
            return True
        limit = pool._max_overflow
        return pool.checkedin() > 0 or limit < 0 or pool.overflow() < limit


async def get_reader(request: Request) -> Reader:
    """The app's reader (made in its lifespan)."""
    reader: Reader = request.app.state.reader
    return reader


@dataclass(frozen=True)
class QueryNames:
    """The query parameters a route takes, and those of them that take several values (lists)."""

    allowed: frozenset[str]
    repeatable: frozenset[str]


_query_names_of: dict[int, QueryNames] = {}


def _query_params(dependant: Any) -> list[Any]:
    params = list(dependant.query_params)
    for sub in dependant.dependencies:
        params += _query_params(sub)
    return params


def query_names(route: Any) -> QueryNames:
    """The query parameter names of a route (through all its dependencies), read once per route."""
    key = id(route)
    if key not in _query_names_of:
        dependant = getattr(route, "dependant", None)
        params = _query_params(dependant) if dependant is not None else []
        _query_names_of[key] = QueryNames(
            frozenset(param.alias for param in params),
            frozenset(
                param.alias for param in params if field_annotation_is_sequence(param.field_info.annotation)
            ),
        )
    return _query_names_of[key]


async def check_query(request: Request) -> None:
    """Refuse unknown query parameters, a scalar parameter given twice, and NUL in the query or path.

    A misspelt filter (`contry=RU`) would otherwise be ignored silently and answer every row, and of
    `dry_run=true&dry_run=false` the last would win. Only list parameters may be repeated (OpenAPI
    shows them as arrays).
    """
    names = query_names(request.scope.get("route"))
    for name, value in request.path_params.items():
        if "\x00" in str(value):
            raise InvalidQuery(
                "Paths must not contain NUL characters.",
                [{"loc": ["path", name], "msg": "contains a NUL character"}],
            )
    seen: set[str] = set()
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise InvalidQuery(
                "Query parameters must not contain NUL characters.",
                [{"loc": ["query", name.replace("\x00", "")], "msg": "contains a NUL character"}],
            )
        if name not in names.allowed:
            takes = ", ".join(sorted(names.allowed)) or "no query parameters"
            raise InvalidQuery(
                f"Unknown query parameter {name!r}; this endpoint takes: {takes}.",
                [{"loc": ["query", name], "msg": "unknown query parameter"}],
            )
        if name in seen and name not in names.repeatable:
            raise InvalidQuery(
                f"Query parameter {name!r} is given more than once; it takes one value.",
                [{"loc": ["query", name], "msg": "given more than once; give it once"}],
            )
        seen.add(name)


ReadDep = Annotated[Reader, Depends(get_reader)]
EngineDep = Annotated[Engine, Depends(get_engine)]
