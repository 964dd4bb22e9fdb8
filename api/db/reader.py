"""Reading the database for a request: the engine, and the reader that runs reads inline or in threads."""

import logging
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import copy
from functools import partial
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine
from sqlalchemy.pool import QueuePool
from starlette.requests import ClientDisconnect
from starlette.types import Receive

from api.edge.clients import client_of
from api.edge.limits import HeavyReadSlots
from api.errors import LaborwatchError

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


class ReadsBusy(LaborwatchError):
    """No read slot came free within `LABORWATCH_QUEUE_TIMEOUT_S`: the process is busy, try again."""

    status = 503


class Reader:
    """Runs a route's reading on a pooled connection of its own: on the event loop, or in a worker thread.

    Reads that are index look-ups of a few rows (`inline`) run on the loop: a thread hop and the GIL
    handed back and forth would cost them more than the query. Reads that may run long (`__call__`:
    full-text search, figures as of a date, aggregates, histories, big pages) run in a worker thread, so
    that the loop stays free to answer others meanwhile; at most `limit` of them run at once
    (`LABORWATCH_READ_THREADS`), the rest wait their turn in arrival order. A cheap read that cannot have
    a connection at once runs in a thread too, but among `cheap_limit` slots of its own, so that it never
    queues behind heavy reads.

    Every wait is bounded: a read that gets no slot within `queue_timeout_s` is answered 503
    (`ReadsBusy`), and one client address may hold at most its share of the heavy slots, running or
    waiting (`heavy_slots`, 429 past it). A reader made `for_request` watches the client meanwhile: when
    it disconnects, the statement running for it is cancelled (the database would otherwise go on with
    it until its time limit) and `ClientDisconnect` is raised.
    """

    def __init__(
        self,
        engine: Engine,
        limit: int,
        max_overflow: int = -1,
        *,
        cheap_limit: int | None = None,
        queue_timeout_s: float = math.inf,
        heavy_slots: HeavyReadSlots | None = None,
    ) -> None:
        self.engine = engine
        self.max_overflow = max_overflow  # the pool's, as configured (`LABORWATCH_POOL_MAX_OVERFLOW`)
        self.limiter = anyio.CapacityLimiter(limit)
        self.cheap = anyio.CapacityLimiter(cheap_limit or limit)
        # The threads themselves: as many as both kinds of slot, so a read holding a slot never waits.
        self.threads = anyio.CapacityLimiter(limit + (cheap_limit or limit))
        self.cleanup = anyio.CapacityLimiter(CLEANUP_THREADS)
        self.queue_timeout_s = queue_timeout_s
        self.heavy_slots = heavy_slots
        self.receive: Receive | None = None
        self.client: str | None = None

    def for_request(self, request: Request, client: str | None = None) -> "Reader":
        """Return this reader `request`'s client for a disconnect while a read runs in a thread."""
        bound = copy(self)
        bound.receive = request.receive
        bound.client = client
        return bound

    async def __call__(
        self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(db, *args, **kwargs)` with a read connection: every query of it sees one snapshot."""

        def run(running: _Running) -> T:
            with self.engine.connect() as db, running.on(db):
                return work(db, *args, **kwargs)

        return await self._heavy(run)

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

        return await self._heavy(run)

    async def _heavy(self, work: Callable[[_Running], T]) -> T:
        """Run `work` among the heavy slots, within this client's share of them."""
        release = None
        if self.heavy_slots is not None and self.client is not None:
            release = self.heavy_slots.take(self.client)
        try:
            return await self._in_thread(work, self.limiter)
        finally:
            if release is not None:
                release()

    async def _slot(self, slots: anyio.CapacityLimiter) -> None:
        """Wait for one of `slots`, at most `queue_timeout_s`: past it, `ReadsBusy` (503)."""
        with anyio.move_on_after(self.queue_timeout_s) as waited:
            await slots.acquire()
        if waited.cancelled_caught:
            raise ReadsBusy(
                f"The server is busy: no read slot came free within {self.queue_timeout_s:g} s; try again."
            )

    async def _run(self, run: Callable[[], T], slots: anyio.CapacityLimiter) -> T:
        """Run `run` in a worker thread once it has one of `slots` (bounded wait), then give it back."""
        await self._slot(slots)
        try:
            return await anyio.to_thread.run_sync(run, limiter=self.threads)
        finally:
            slots.release()

    async def _in_thread(self, work: Callable[[_Running], T], slots: anyio.CapacityLimiter) -> T:
        """Run `work` in a worker thread; when the client disconnects meanwhile, cancel its statement."""
        running = _Running(self.cleanup)
        run = partial(work, running)
        if self.receive is None:
            return await self._run(run, slots)
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
                result.append(await self._run(run, slots))
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

        Only on SQLite (in-process), and only when the pool can give a connection at once: waiting for
        one would stop the whole loop, so a read that would wait is run in a worker thread instead, among
        the cheap reads' own slots, as is every read on PostgreSQL.
        """
        if self.engine.dialect.name == "postgresql":
            # Each statement waits on the network: on the loop, that wait would stop every other request
            # (measured: 24 list pages a second at 32 connections). In a worker thread it overlaps them.
            # Each statement its own transaction, as under READ COMMITTED already: no BEGIN and no
            # ROLLBACK, two of the few round trips of a short read (a page's count is in its statement,
            # see `api.kit.paging.fetch_page`).
            def run(running: _Running) -> T:
                with self.engine.connect() as db, running.on(db):
                    db.execution_options(isolation_level="AUTOCOMMIT")
                    return work(db, *args, **kwargs)

            return await self._in_thread(run, self.cheap)
        if not self._connection_free():

            def run(running: _Running) -> T:
                with self.engine.connect() as db, running.on(db):
                    return work(db, *args, **kwargs)

            return await self._in_thread(run, self.cheap)
        with self.engine.connect() as db:
            return work(db, *args, **kwargs)

    def connection_free(self) -> bool:
        """Whether a read could have a connection now without waiting (what `/health` reads by)."""
        return self._connection_free()

    def _connection_free(self) -> bool:
        """Whether the pool holds an idle connection or may open another (QueuePool; others: yes).

        `max_overflow` is the one the pool was made with (`api.db.engine`): the pool does not expose it.
        """
        pool = self.engine.pool
        if not isinstance(pool, QueuePool):
            return True
        limit = self.max_overflow
        return pool.checkedin() > 0 or limit < 0 or pool.overflow() < limit


async def get_reader(request: Request) -> Reader:
    """The app's reader (made in its lifespan), watching this request's client for a disconnect."""
    reader: Reader = request.app.state.reader
    return reader.for_request(request, client_of(request.scope, request.app.state.settings.trusted_proxies))


ReadDep = Annotated[Reader, Depends(get_reader)]
EngineDep = Annotated[Engine, Depends(get_engine)]
