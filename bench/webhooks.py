"""The cost of following changes: ingest with 10 webhooks registered against none, and delivery throughput.

`python -m bench.webhooks [--scale S] [--database-url URL] [--events N]` prints two tables:

1. the same synthetic bundles (bench/bundles.py) written one report per transaction, as `POST
   /v1/reports` writes them, into a fresh database with no webhook and into one with 10 (each matching
   every change, so each write also writes 10 outbox rows); the bundles are prepared beforehand, so the
   figures are the write transactions alone; the best of `--rounds` interleaved rounds;
2. N events delivered by one deliverer (`api.webhooks.delivery`, 8 workers) to a real receiver on a local
   port (Python's threaded HTTP server answering 204), events per second from the first claim to the
   last recorded attempt.

SQLite always; PostgreSQL too with `--database-url` (a schema of its own, dropped afterwards).
"""

import argparse
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from api.db.engine import make_engine, write_session
from api.db.migrate import migrate
from api.ingest.loader import load_prepared, prepare_bundle, read_bundle_file
from api.settings import Settings
from api.webhooks.delivery import Deliverer
from api.webhooks.secrets import new_secret, seal
from bench.bundles import CorpusSize, write_bundles
from models import Webhook, WebhookEvent
from models.base import utc_now


@contextmanager
def database(kind: str, folder: Path, pg_url: str | None) -> Iterator[Settings]:
    """Settings on a new, migrated database: a SQLite file in `folder`, or a PostgreSQL schema."""
    name = f"bench_hooks_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url) if kind != "sqlite" and pg_url else None
    if admin is None:
        url = f"sqlite:///{folder / (name + '.db')}"
    else:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        separator = "&" if "?" in str(pg_url) else "?"
        url = f"{pg_url}{separator}options=-csearch_path%3D{name}"
    settings = Settings(database_url=url, webhook_key="bench", webhook_allow_private=True)
    engine = make_engine(settings)
    migrate(engine)
    engine.dispose()
    try:
        yield settings
    finally:
        if admin is not None:
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
            admin.dispose()


def register(settings: Settings, count: int, url: str) -> None:
    """`count` webhooks matching every change, straight into the table."""
    engine = make_engine(settings)
    with write_session(engine) as session:
        for number in range(count):
            secret = seal(settings, new_secret())
            session.add(Webhook(id=f"wh_bench_{number}", url=url, filters={}, secret=secret))
    engine.dispose()


def ingest_seconds(settings: Settings, prepared: list[Any]) -> float:
    """Seconds to write every prepared bundle, one transaction each."""
    engine = make_engine(settings)
    started = time.perf_counter()
    for bundle in prepared:
        with write_session(engine) as session:
            load_prepared(session, bundle, actor="bench")
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


class _Quiet(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def delivery_rate(settings: Settings, events: int, url: str) -> tuple[float, int]:
    """Events per second one deliverer sends to the receiver at `url`, and how many it delivered."""
    engine = make_engine(settings)
    with write_session(engine) as session:
        session.execute(sa.text("DELETE FROM webhook_event"))
        session.execute(sa.text("DELETE FROM webhook"))
        for number in range(10):
            session.add(
                Webhook(id=f"wh_rate_{number}", url=url, filters={}, secret=seal(settings, new_secret()))
            )
        session.flush()
        now = utc_now()
        rows = [
            {"webhook_id": f"wh_rate_{n % 10}", "change_id": n, "payload": {"type": "bench", "change_id": n},
             "state": "pending", "attempts": 0, "created_at": now, "next_attempt_at": now}
            for n in range(events)
        ]  # fmt: skip
        session.execute(sa.insert(WebhookEvent), rows)
    deliverer = Deliverer(engine, settings)
    started = time.perf_counter()
    deliverer.start()
    delivered = 0
    while time.perf_counter() - started < 300:
        with engine.connect() as connection:
            delivered = connection.execute(
                sa.text("SELECT count(*) FROM webhook_event WHERE state = 'delivered'")
            ).scalar_one()
        if delivered >= events:
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    deliverer.stop()
    engine.dispose()
    return events / seconds, delivered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--scale", type=float, default=0.05, help="corpus size (bench/bundles.py); 0.05: 50 reports"
    )
    parser.add_argument("--events", type=int, default=1000, help="events to deliver for the throughput")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to measure too")
    parser.add_argument("--rounds", type=int, default=3, help="ingest rounds (the best of them is shown)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-hooks-"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        info = write_bundles(work / "bundles", CorpusSize.scaled(args.scale))
        prepared = [prepare_bundle(read_bundle_file(path)) for path in sorted(info.folder.glob("*.json"))]
        kinds = ["sqlite"] + (["postgresql"] if args.database_url else [])
        print(f"ingest of {info.bundles} reports ({info.size.claims} claims), one transaction each")
        print("| database | no webhook | 10 webhooks | cost |")
        print("|---|---|---|---|")
        for kind in kinds:
            # Interleaved rounds, the best of each: the first write of a run pays for warm caches.
            figures: dict[int, list[float]] = {0: [], 10: []}
            for _ in range(args.rounds):
                for hooks in (0, 10):
                    with database(kind, work, args.database_url) as settings:
                        register(settings, hooks, url)
                        figures[hooks].append(ingest_seconds(settings, prepared))
            none, ten = min(figures[0]), min(figures[10])
            print(f"| {kind} | {none:.2f} s | {ten:.2f} s | {100 * (ten - none) / none:+.1f} % |")
        print(f"\ndelivery of {args.events} events to a local receiver (10 webhooks, one deliverer)")
        print("| database | events/s | delivered |")
        print("|---|---|---|")
        for kind in kinds:
            with database(kind, work, args.database_url) as settings:
                rate, delivered = delivery_rate(settings, args.events, url)
            print(f"| {kind} | {rate:.0f} | {delivered} |")
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
