"""Bounded work, measured: the write lock of a pathological bundle, `as_of` reads, reads under 20 exports.

Three parts, each on SQLite and (with `--database-url`) PostgreSQL:

- `lock`: a bundle of about 145 kB whose claims each name one occurrence of the quote "workers" in a body
  that holds it thousands of times. It is posted (as a dry run, then for real) in-process while a small
  write is posted 0.05 s later; the harness reports how long the write transaction was held (from the
  engine's begin to its commit or rollback) and how long the small write took, with its status.
- `reads`: on a corpus of 3,000 reports (`bench.corpus`: 300,000 claims, 30,000 facilities) served by
  `laborwatch serve` with no statement limit, the `as_of` reads: a page sorted by workers, the CSV
  export sorted by workers, a `min_workers` page and `/v1/stats`; the median of `--runs`.
- `exports`: on the same server, an ordinary read (`/v1/claims?limit=50`) timed every 0.25 s while 20
  full facility exports (CSV, 30,000 rows each) run at once from one client; statuses are counted.

Run `python -m bench.bounded --help`. Nothing here is imported by `api` or `models`.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event

from api.app import create_app
from api.auth.keys import create_key
from api.db.engine import WRITE_OPTION, make_engine, write_session
from api.db.migrate import migrate
from api.settings import Settings
from bench.corpus import build_corpus, create_schema, drop_schema, schema_url, sqlite_url
from bench.server import machine, running_server

OCCURRENCES = 4_000
AS_OF = "2024-06-30"
EXPORTS = 20


# --- lock ---------------------------------------------------------------------------------------------


def pathological_bundle(report_id: str, occurrences: int = OCCURRENCES) -> dict[str, Any]:
    """A body with "workers" at `occurrences` places, and one claim naming each place."""
    body = " ".join(f"Site {n} employs workers on shift." for n in range(occurrences))
    facility = {"id": "bench-lock-site", "name": "Bench site", "kind": "factory", "country": "RU"}
    claims = [
        {
            "facility": facility["id"],
            "predicate": "worker_count",
            "value": n + 1,
            "unit": "workers",
            "quote": "workers",
            "occurrence": n + 1,
        }
        for n in range(occurrences)
    ]
    report = {
        "id": report_id,
        "title": "Pathological bundle",
        "publisher": "Bench",
        "published_on": "2024-01-01",
        "language": "en",
        "body": body,
    }
    return {"report": report, "facilities": [facility], "claims": claims}


def small_bundle(report_id: str) -> dict[str, Any]:
    """A one-claim bundle: the ordinary write that waits for the lock."""
    body = "A small workshop employs 12 workers."
    facility = {"id": f"{report_id}-site", "name": "Small workshop", "kind": "workshop", "country": "RU"}
    claim = {"facility": facility["id"], "predicate": "worker_count", "value": 12, "quote": "12 workers"}
    report = {"id": report_id, "title": "Small", "publisher": "Bench", "language": "en", "body": body}
    return {"report": report, "facilities": [facility], "claims": [claim | {"unit": "workers"}]}


@dataclass
class LockTimes:
    """The write transactions an engine ran, in seconds each."""

    held: list[float] = field(default_factory=list)

    def watch(self, engine: Engine) -> None:
        """Time every write transaction of `engine`, from its begin to its commit or rollback."""
        started: dict[int, float] = {}

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            if connection.get_execution_options().get(WRITE_OPTION, False):
                started[id(connection)] = time.perf_counter()

        def _end(connection: Any) -> None:
            begun = started.pop(id(connection), None)
            if begun is not None:
                self.held.append(time.perf_counter() - begun)

        event.listen(engine, "commit", _end)
        event.listen(engine, "rollback", _end)


def measure_lock(url: str, dry_run: bool, occurrences: int, caps_raised: bool) -> dict[str, Any]:
    """Post the pathological bundle and, 0.05 s later, a small one; time the lock and the small write."""
    overrides: dict[str, Any] = {"database_url": url}
    if caps_raised:  # let the bundle through, to time its placement and write
        overrides |= {"max_claims_per_bundle": occurrences, "max_quote_occurrences": occurrences}
    settings = Settings(**overrides)  # a checkout without the caps ignores them
    engine = make_engine(settings, read_limit=True)
    migrate(engine)
    with write_session(engine) as session:
        key = create_key(session, "bench")
    times = LockTimes()
    times.watch(engine)
    outcome: dict[str, Any] = {}
    suffix = f"{int(dry_run)}{int(caps_raised)}"
    with TestClient(create_app(settings, engine)) as client:
        client.headers["Authorization"] = f"Bearer {key}"

        def big() -> None:
            began = time.perf_counter()
            response = client.post(
                "/v1/reports",
                params={"dry_run": str(dry_run).lower()},
                json=pathological_bundle(f"bench-lock-{suffix}", occurrences),
            )
            outcome["big"] = (response.status_code, time.perf_counter() - began)

        thread = threading.Thread(target=big)
        thread.start()
        time.sleep(0.05)
        began = time.perf_counter()
        response = client.post("/v1/reports", json=small_bundle(f"bench-small-{suffix}"))
        outcome["small"] = (response.status_code, time.perf_counter() - began)
        thread.join()
    engine.dispose()
    return {
        "dry_run": dry_run,
        "caps_raised": caps_raised,
        "big_status": outcome["big"][0],
        "big_seconds": outcome["big"][1],
        "small_status": outcome["small"][0],
        "small_seconds": outcome["small"][1],
        "longest_lock_seconds": max(times.held, default=0.0),
    }


# --- reads and exports ----------------------------------------------------------------------------------


AS_OF_READS = {
    "page sorted by workers": f"/v1/facilities?as_of={AS_OF}&sort=-workers",
    "CSV export sorted by workers": f"/v1/facilities?as_of={AS_OF}&sort=-workers&format=csv",
    "min_workers page": f"/v1/facilities?as_of={AS_OF}&min_workers=100",
    "stats": f"/v1/stats?as_of={AS_OF}",
}


def measure_reads(base_url: str, runs: int) -> dict[str, dict[str, Any]]:
    """The median seconds of each `as_of` read (and its status), `runs` times each."""
    found: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=base_url, timeout=900) as client:
        for name, path in AS_OF_READS.items():
            seconds: list[float] = []
            status = 0
            for _ in range(runs):
                began = time.perf_counter()
                response = client.get(path)
                seconds.append(time.perf_counter() - began)
                status = response.status_code
            found[name] = {"status": status, "seconds": statistics.median(seconds)}
    return found


def measure_exports(base_url: str, exports: int = EXPORTS) -> dict[str, Any]:
    """Time an ordinary read every 0.25 s while `exports` full facility exports run at once."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    done = threading.Event()

    def export() -> None:
        with httpx.stream("GET", f"{base_url}/v1/facilities?format=csv", timeout=900) as response:
            for _chunk in response.iter_bytes():
                pass
            with lock:
                statuses[response.status_code] += 1

    with httpx.Client(base_url=base_url, timeout=900) as client:
        alone = [_timed(client, "/v1/claims?limit=50") for _ in range(5)]
        threads = [threading.Thread(target=export) for _ in range(exports)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()

        def wait_for_exports() -> None:
            for thread in threads:
                thread.join()
            done.set()

        waiter = threading.Thread(target=wait_for_exports)
        waiter.start()
        during: list[float] = []
        read_statuses: Counter[int] = Counter()
        while not done.is_set():
            seconds, status = _timed_status(client, "/v1/claims?limit=50")
            during.append(seconds)
            read_statuses[status] += 1
            time.sleep(0.25)
        waiter.join()
        return {
            "exports": exports,
            "export_statuses": dict(statuses),
            "exports_seconds": time.perf_counter() - began,
            "read_alone_ms": statistics.median(alone) * 1000,
            "read_during_median_ms": statistics.median(during) * 1000,
            "read_during_max_ms": max(during) * 1000,
            "read_statuses_during": dict(read_statuses),
        }


def _timed(client: httpx.Client, path: str) -> float:
    seconds, status = _timed_status(client, path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    return seconds


def _timed_status(client: httpx.Client, path: str) -> tuple[float, int]:
    began = time.perf_counter()
    response = client.get(path)
    return time.perf_counter() - began, response.status_code


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the servers started inside (they copy the environment)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def corpus_url(backend: str, args: argparse.Namespace, work: Path) -> str:
    """The 3,000-report corpus on `backend`, built unless `--sqlite-corpus` / `--schema` holds one."""
    if backend == "sqlite":
        path: Path = args.sqlite_corpus or work / "corpus.db"
        if not path.exists():
            engine = create_engine(sqlite_url(path))
            build_corpus(engine, 300_000, claims_per_report=100, claims_per_facility=10, progress=print)
            engine.dispose()
        return sqlite_url(path)
    url = schema_url(args.database_url, args.schema)
    if not args.reuse_schema:
        create_schema(args.database_url, args.schema)
        engine = create_engine(url)
        build_corpus(engine, 300_000, claims_per_report=100, claims_per_facility=10, progress=print)
        engine.dispose()
    return url


def main(argv: list[str] | None = None) -> int:
    """Run the parts asked for and print their figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--parts", default="lock,reads,exports", help="Comma-separated: lock, reads, exports."
    )
    parser.add_argument("--database-url", help="A PostgreSQL server to measure too (its own schemas).")
    parser.add_argument("--schema", default="bench_bounded", help="PostgreSQL schema of the corpus.")
    parser.add_argument("--reuse-schema", action="store_true", help="The corpus schema is built already.")
    parser.add_argument("--sqlite-corpus", type=Path, help="A SQLite corpus file to use (built if missing).")
    parser.add_argument("--occurrences", type=int, default=OCCURRENCES)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="A setting for the served corpus, e.g. LABORWATCH_MAX_EXPORTS_PER_CLIENT=20 (repeatable).",
    )
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    backends = ["sqlite"] + (["postgresql"] if args.database_url else [])
    figures: dict[str, Any] = {"machine": machine()}
    with tempfile.TemporaryDirectory(prefix="lw-bounded-") as folder:
        work = Path(folder)
        for backend in backends:
            result: dict[str, Any] = figures.setdefault(backend, {})
            if "lock" in parts:
                result["lock"] = []
                for dry_run in (True, False):
                    for caps_raised in (False, True):
                        if backend == "sqlite":
                            url = sqlite_url(work / f"lock-{int(dry_run)}{int(caps_raised)}.db")
                        else:
                            schema = f"bench_lock_{int(dry_run)}{int(caps_raised)}"
                            create_schema(args.database_url, schema)
                            url = schema_url(args.database_url, schema)
                        try:
                            measured = measure_lock(url, dry_run, args.occurrences, caps_raised)
                        finally:
                            if backend == "postgresql":
                                drop_schema(args.database_url, schema)
                        print(backend, json.dumps(measured), flush=True)
                        result["lock"].append(measured)
            if parts & {"reads", "exports"}:
                url = corpus_url(backend, args, work)
                served_env = dict(item.split("=", 1) for item in args.server_env)
                with (
                    environment(LABORWATCH_STATEMENT_TIMEOUT_MS="0", **served_env),
                    running_server(url, work / f"serve-{backend}.log") as (_pid, base_url),
                ):
                    if "reads" in parts:
                        result["reads"] = measure_reads(base_url, args.runs)
                        print(backend, json.dumps(result["reads"]), flush=True)
                    if "exports" in parts:
                        result["exports"] = measure_exports(base_url)
                        print(backend, json.dumps(result["exports"]), flush=True)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
