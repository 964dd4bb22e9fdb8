"""Starting the server: migrate and seed once, then serve from this process or from several workers."""

import os
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.db.engine import make_engine
from api.db.migrate import migrate
from api.edge.protocol import protocol_for
from api.edge.requestlog import log_config
from api.ingest.seed import is_empty, seed
from api.kit.processes import exit_with_parent
from api.settings import Settings, get_settings

WORKER_FACTORY = "api.cli.serve:worker_app"
# The serving process's id, handed to its workers: a worker that read `os.getppid()` after its parent was
# killed would take init for its parent and serve on, an orphan.
PARENT_ENV = "LABORWATCH_SERVE_PARENT"


def prepare(settings: Settings, echo: Callable[[str], None]) -> None:
    """Migrate the database and seed it when it holds no report (once, before any worker starts).

    The engine used has no statement time limit, so a long migration is not cut short; it is closed
    before serving, and every server process then opens its own.
    """
    engine = make_engine(settings)
    try:
        migrate(engine)
        if is_empty(engine):
            for result in seed(engine, settings.seeds_dir):
                echo(f"seeded {result.report_id} ({len(result.claim_ids)} claims)")
    finally:
        engine.dispose()


def run(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve with uvicorn: in this process when `workers` is 1, else from `workers` worker processes.

    Workers are started afresh (not forked), so each reads the settings from the environment and the
    `.env` file itself and builds its own app and connection pool; the app keeps no state of its own
    between requests, so any worker can answer any request.
    """
    options = server_options(settings, workers)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, **options)
        return
    os.environ[PARENT_ENV] = str(os.getpid())
    uvicorn.run(WORKER_FACTORY, factory=True, host=host, port=port, workers=workers, **options)


def loop_for(workers: int) -> str:
    """The event loop of `laborwatch serve --workers N`: asyncio's for one process, uvloop for several.

    One process on uvloop served some connections seconds late while others went on (at 32 connections,
    p99 10 to 20 times the median on the list and the detail, against about 2 times on asyncio's loop, for
    the same CPU time a request). Several workers on asyncio's loop do not share the load: a worker woken
    by the listening socket accepts every pending connection at once, so under keep-alive one worker
    serves most of them (the filtered list at 32 connections, 2 workers: 324 req/s with the workers at 22%
    and 65% of a core, against 573 req/s at 64% each on uvloop). See docs/performance.md, "Tail latency".
    """
    return "asyncio" if workers == 1 else "uvloop"


def server_options(settings: Settings, workers: int = 1) -> dict[str, Any]:
    """The uvicorn settings of laborwatch: its protocol and timeouts, JSON logs, no `server` header.

    Proxy headers are off: the client address comes from `LABORWATCH_TRUSTED_PROXIES` only. The app
    logs each request itself (`api.requestlog`), so uvicorn's access log is off.

    The event loop depends on the number of worker processes (`loop_for`).
    """
    return {
        "http": protocol_for(settings),
        "loop": loop_for(workers),
        "proxy_headers": False,
        "server_header": False,
        "access_log": False,
        "log_config": log_config(),
        "timeout_keep_alive": settings.keep_alive_timeout_s,
    }


def worker_app() -> FastAPI:
    """The app of one worker process: settings from the environment, its own engine, and no orphans."""
    exit_with_parent(int(os.environ.get(PARENT_ENV) or os.getppid()))
    return create_app(get_settings())
