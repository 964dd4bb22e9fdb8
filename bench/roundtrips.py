"""The hot reads' cost per request, in-process: CPU ms, statements, pooled checkouts, server transactions.

`python -m bench.roundtrips DATABASE_URL [--requests list,detail,first] [-n 1000]` serves the app on a
database that holds a corpus (`make bench`'s bundles ingested with `laborwatch ingest`), calls it through
httpx's ASGI transport (no HTTP parsing, no network) one request at a time, and prints one line per
request kind: the process's CPU time per request (`time.process_time`, robust on a shared machine), the
statements the engine sent, the connections it took from its pool and, on PostgreSQL, the transactions
the server counted for the database (`pg_stat_database`, so use a database nothing else reads) per request.
With a checkout first on `PYTHONPATH` it measures that checkout the same way.
"""

import argparse
import asyncio
import time
from typing import Any

import httpx
from sqlalchemy import create_engine, event, make_url, text

from api.app import create_app
from api.settings import Settings

LIST = "/v1/facilities?country=RU&city=Irkutsk&limit=50"
PATHS = {"list": [LIST], "first": ["/v1/claims?limit=10"]}
WARM_UP = 50


def server_transactions(url: str) -> int:
    """Transactions PostgreSQL has counted for the URL's database so far (0 on SQLite)."""
    if make_url(url).get_backend_name() != "postgresql":
        return 0
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as db:
            db.execute(text("SELECT pg_stat_clear_snapshot()"))
            counted = (
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
            )
            total = db.execute(text(counted)).scalar()
    finally:
        engine.dispose()
    return int(total or 0)


async def measure(url: str, kind: str, requests: int) -> str:
    """One line of figures for `requests` requests of `kind` (list, detail or first)."""
    app = create_app(Settings(database_url=url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            paths = PATHS.get(kind, [])
            if kind == "detail":
                items = (await client.get(LIST)).json()["items"][:5]
                paths = [f"/v1/facilities/{item['id']}" for item in items]
            counts = {"statements": 0, "checkouts": 0}

            @event.listens_for(app.state.engine, "before_cursor_execute")
            def _statement(*_args: Any) -> None:
                counts["statements"] += 1

            @event.listens_for(app.state.engine, "checkout")
            def _checkout(*_args: Any) -> None:
                counts["checkouts"] += 1

            async def run(count: int) -> None:
                for i in range(count):
                    response = await client.get(paths[i % len(paths)])
                    if response.status_code != 200:
                        raise SystemExit(f"{paths[i % len(paths)]} answered {response.status_code}")

            await run(WARM_UP)
            counts.update(statements=0, checkouts=0)
            before = server_transactions(url)
            cpu = time.process_time()
            await run(requests)
            cpu = time.process_time() - cpu
            await asyncio.sleep(1.0)  # the server's statistics are flushed at most once a second
            transactions = (server_transactions(url) - before) / requests
    backend = make_url(url).get_backend_name()
    line = (
        f"{kind:6} {backend:10} n={requests}: CPU {cpu / requests * 1000:.2f} ms/req, "
        f"statements {counts['statements'] / requests:.2f}/req, "
        f"checkouts {counts['checkouts'] / requests:.2f}/req"
    )
    return line + (f", server transactions {transactions:.2f}/req" if backend == "postgresql" else "")


def main(argv: list[str] | None = None) -> int:
    """Print the figures of each request kind asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("database_url", help="a database holding a corpus")
    parser.add_argument("--requests", default="list,detail,first", help="some of list, detail, first")
    parser.add_argument("-n", type=int, default=1000, help="requests of each kind (default 1000)")
    args = parser.parse_args(argv)
    for kind in args.requests.split(","):
        print(asyncio.run(measure(args.database_url, kind, args.n)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
