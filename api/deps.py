"""FastAPI dependencies: the engine, the reader (reads in worker threads), the check of query parameters."""

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from copy import copy
from dataclasses import dataclass
from functools import partial
from types import UnionType
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar, Union, get_args, get_origin

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine
from sqlalchemy.pool import QueuePool
from starlette.requests import ClientDisconnect
from starlette.types import Receive

from api.errors import InvalidQuery

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger("laborwatch")


async def get_engine(request: Request) -> Engine:
    """The engine the app was created with."""
    engine: Engine = request.app.state.engine
    return engine


# Worker threads for the blocking clean-up of reads and exports (a cancel request, a cursor's close and
# ROLLBACK): a few, apart from the reads' own threads, so a clean-up never waits behind slow reads.
CLEANUP_THREADS = 4
# How long a PostgreSQL cancel request may take (psycopg's own default is 30 s): past it, the statement
# is left to its time limit. Short, since it holds a clean-up thread and the end of the read waits on it.
CANCEL_TIMEOUT_S = 2.0


class _Running:
    """The database connection a read runs on in its worker thread, so that another thread can stop it.

    A cancel is sent from a clean-up thread, never the event loop (on PostgreSQL it is a network round
    trip), and without the lock held. The read's own thread, on finishing, waits for a cancel under way
    (at most `CANCEL_TIMEOUT_S`) and then discards the connection rather than return it to the pool: a
    cancel arriving late can then never stop another request's statement on the same connection.
    """

    def __init__(self, cleanup: anyio.CapacityLimiter) -> None:
        self._cleanup = cleanup
        self._lock = threading.Lock()
        self._dbapi: Any = None
        self._stopped = threading.Event()  # set once a cancel sent (if any) has returned
        self._stopped.set()
        self._sent = False  # a cancel was sent on the connection: it is not given back to the pool
        self.cancelled = False

    @contextmanager
    def on(self, db: Connection) -> Iterator[None]:
        """Mark `db` as the connection to cancel while the block runs."""
        with self._lock:
            self._dbapi = db.connection.dbapi_connection
        try:
            yield
        finally:
            with self._lock:
                self._dbapi = None
                sent = self._sent
            if sent:
                self._stopped.wait(CANCEL_TIMEOUT_S + 1)
                db.invalidate()

    async def cancel(self) -> None:
        """Stop the statement running now, if any: PostgreSQL's cancel request, SQLite's interrupt."""
        with self._lock:
            self.cancelled = True
            dbapi = self._dbapi
            if dbapi is None:
                return
            self._sent = True
            self._stopped.clear()
        try:
            await anyio.to_thread.run_sync(partial(_stop, dbapi), limiter=self._cleanup)
        finally:
            self._stopped.set()


def _stop(dbapi: Any) -> None:
    """Send the cancel of the statement running on `dbapi` (in a clean-up thread)."""
    try:
        cancel_safe = getattr(dbapi, "cancel_safe", None)
        if cancel_safe is not None:
            cancel_safe(timeout=CANCEL_TIMEOUT_S)
        else:
            dbapi.interrupt()  # sqlite3: safe to call from another thread
    except Exception:  # a failed cancel leaves the statement to its time limit
        log.warning("could not cancel the statement of a disconnected client")


class Reader:
    """Runs a route's reading on a pooled connection of its own: on the event loop, or in a worker thread.

    Reads that are index look-ups of a few rows (`inline`) run on the loop: a thread hop and the GIL
    handed back and forth would cost them more than the query. Reads that may run long (`__call__`:
    full-text search, figures as of a date, aggregates) run in a worker thread, so that the loop stays
    free to answer others meanwhile; at most `limit` of them run at once (`LABORWATCH_READ_THREADS`),
    the rest wait their turn in arrival order. A reader made `for_request` watches the client meanwhile:
    when it disconnects, the statement running for it is cancelled (the database would otherwise go on
    with it until its time limit) and `ClientDisconnect` is raised.
    """

    def __init__(self, engine: Engine, limit: int) -> None:
        self.engine = engine
        self.limiter = anyio.CapacityLimiter(limit)
        self.cleanup = anyio.CapacityLimiter(CLEANUP_THREADS)
        self.receive: Receive | None = None

    def for_request(self, request: Request) -> "Reader":
        """Return this reader `request`'s client for a disconnect while a read runs in a thread."""
        bound = copy(self)
        bound.receive = request.receive
        return bound

    async def __call__(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(db, *args, **kwargs)` with a read connection: every query of it sees one snapshot."""

        def run(running: _Running) -> T:
            with self.engine.connect() as db, running.on(db):
                return work(db, *args, **kwargs)

        return await self._in_thread(run)

    async def opened(self, work: Callable[[Connection], T]) -> T:
        """Run `work(db)` in a worker thread like a read, but leave `db` open when it succeeds.

        For a streamed export: `work` reads the first rows and returns what will read the others and
        close the connection. If `work` fails, the connection is closed here.
        """

        def run(running: _Running) -> T:
            db = self.engine.connect()
            try:
                with running.on(db):
                    return work(db)
            except BaseException:
                db.close()
                raise

        return await self._in_thread(run)

    async def _in_thread(self, work: Callable[[_Running], T]) -> T:
        """Run `work` in a worker thread; when the client disconnects meanwhile, cancel its statement."""
        running = _Running(self.cleanup)
        run = partial(work, running)
        if self.receive is None:
            return await anyio.to_thread.run_sync(run, limiter=self.limiter)
        receive = self.receive

        async def watch(scope: anyio.CancelScope) -> None:
            while (await receive())["type"] != "http.disconnect":
                pass  # a GET's empty body: the route has read all it needs
            await running.cancel()
            scope.cancel()  # a read still waiting for its thread does not start

        result: list[T] = []
        failure: list[Exception] = []
        async with anyio.create_task_group() as group:
            group.start_soon(watch, group.cancel_scope)
            try:  # kept out of the task group, which would wrap it in an ExceptionGroup
                result.append(await anyio.to_thread.run_sync(run, limiter=self.limiter))
            except Exception as exc:
                failure.append(exc)
            group.cancel_scope.cancel()
        if failure:
            if running.cancelled:
                raise ClientDisconnect from failure[0]
            raise failure[0]
        if not result:  # cancelled while it waited for a thread
            raise ClientDisconnect
        return result[0]  # finished before the cancel took: its owner (a response) cleans up

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
    """The app's reader (made in its lifespan), watching this request's client for a disconnect."""
    reader: Reader = request.app.state.reader
    return reader.for_request(request)


# How many values a filter that takes several (`country=RU&country=CN`: any of them) is given at most.
MAX_FILTER_VALUES = 50
ANY_OF = (
    f"Repeat the parameter to match any of several values (`?{{name}}={{a}}&{{name}}={{b}}`), at most "
    f"{MAX_FILTER_VALUES}; values are not split on commas."
)


def any_of_text(name: str, first: str, second: str) -> str:
    """The OpenAPI sentence of a filter that takes several values, with an example of its repetition."""
    return ANY_OF.format(name=name, a=first, b=second)


def distinct(values: Sequence[T] | None, normal: Callable[[T], T] = lambda value: value) -> tuple[T, ...]:
    """The values a filter was given, each once (normalised first), in the order given; none: ()."""
    return tuple(dict.fromkeys(normal(value) for value in values or ()))


@dataclass(frozen=True)
class QueryNames:
    """The query parameters a route takes, and those of them that take several values (lists)."""

    allowed: frozenset[str]
    repeatable: frozenset[str]


# Kept on the route object itself: routes are unhashable, and an id() could be reused by a later app's.
_QUERY_NAMES_ATTRIBUTE = "_laborwatch_query_names"


def _query_params(dependant: Any) -> list[Any]:
    params = list(dependant.query_params)
    for sub in dependant.dependencies:
        params += _query_params(sub)
    return params


def _takes_several(annotation: Any) -> bool:
    """Whether a parameter's type is a list (or set, tuple), possibly optional: it may be repeated."""
    if get_origin(annotation) in (Union, UnionType):
        return any(_takes_several(arm) for arm in get_args(annotation) if arm is not type(None))
    return get_origin(annotation) in (list, set, frozenset, tuple, Sequence)


def query_names(route: Any) -> QueryNames:
    """The query parameter names of a route (through all its dependencies), read once per route."""
    names: QueryNames | None = getattr(route, _QUERY_NAMES_ATTRIBUTE, None)
    if names is None:
        dependant = getattr(route, "dependant", None)
        params = _query_params(dependant) if dependant is not None else []
        names = QueryNames(
            frozenset(param.alias for param in params),
            frozenset(param.alias for param in params if _takes_several(param.field_info.annotation)),
        )
        if route is not None:
            setattr(route, _QUERY_NAMES_ATTRIBUTE, names)
    return names


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
