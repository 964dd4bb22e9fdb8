"""The cost of keeping support in step (docs/evidence.md): ingest with and without it, `min_sources` reads.

`python -m bench.evidence --scale 0.1` writes the `make bench` corpus (bench/bundles.py: lineage and
ranges included) and ingests it into fresh databases with the real command, in this process, twice:
with origins and support kept in step (as shipped) and with both switched off (the rest of the loader
unchanged), alternating `--rounds` times; it prints claims/s of each. Then it reads `/v1/facilities`
with and without `min_sources=2` (and `/v1/claims` likewise) through the ASGI app, `--reads` times each,
and prints the median time of a page.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from api.cli import app as cli
from api.db.engine import make_engine
from api.settings import Settings, get_settings
from bench import bundles
from bench.corpus import create_schema, drop_schema, schema_url
from bench.without_support import support_switched_off


def ingest(folder: Path, url: str) -> tuple[float, float]:
    """Seconds `laborwatch ingest FOLDER` takes into the database at `url` (migration included).

    Wall time, and CPU time of this process, the writer (bundles are prepared in worker processes
    meanwhile): the CPU time is the steadier figure on a shared machine, and where support costs.
    """
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        with redirect_stdout(StringIO()):
            cli(["ingest", str(folder)], standalone_mode=False)
    finally:
        get_settings.cache_clear()
    return time.perf_counter() - started, time.process_time() - cpu


def fresh_url(backend: str, work: Path, name: str, base_url: str) -> str:
    """A new empty database: a SQLite file under `work`, or a new PostgreSQL schema."""
    if backend == "sqlite":
        return f"sqlite:///{work / (name + '.db')}"
    create_schema(base_url, name)
    return schema_url(base_url, name)


def page_times(client: TestClient, path: str, params: dict[str, Any], reads: int) -> float:
    """Median milliseconds of one page (after one warm-up)."""
    client.get(path, params=params)
    times = []
    for _ in range(reads):
        started = time.perf_counter()
        response = client.get(path, params=params)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(response.text)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    """Run the measurement and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=0.1, help="Corpus size relative to make bench's.")
    parser.add_argument("--rounds", type=int, default=2, help="Ingests of each kind, alternating.")
    parser.add_argument("--reads", type=int, default=100, help="Reads of each page.")
    parser.add_argument("--postgres", default=None, help="Also measure on this PostgreSQL URL.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lw-evidence-") as tmp:
        work = Path(tmp)
        corpus = bundles.write_bundles(work / "bundles", bundles.CorpusSize.scaled(args.scale))
        claims = corpus.size.claims
        print(f"corpus: {corpus.bundles:,} bundles, {claims:,} claims (lineage and ranges included)")
        backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
        last_url = ""
        for backend in backends:
            runs: dict[str, list[tuple[float, float]]] = {"without support": [], "with support": []}
            for round_ in range(args.rounds):
                for mode, seconds in runs.items():
                    name = f"evidence_{mode.split()[0]}_{round_}_{os.getpid()}"
                    url = fresh_url(backend, work, name, args.postgres or "")
                    if mode == "without support":
                        with support_switched_off():
                            seconds.append(ingest(corpus.folder, url))
                    else:
                        seconds.append(ingest(corpus.folder, url))
                    if backend == "sqlite" and mode == "with support":
                        last_url = url
                    elif backend == "postgresql":
                        drop_schema(args.postgres or "", name)
            for mode, seconds in runs.items():
                wall = claims / min(wall for wall, _cpu in seconds)
                cpu = claims / min(cpu for _wall, cpu in seconds)
                print(
                    f"{backend:10} ingest {mode:16} {wall:8,.0f} claims/s wall, {cpu:8,.0f} claims per "
                    f"writer CPU second (best of {len(seconds)})"
                )
        engine = make_engine(Settings(database_url=last_url))
        with create_engine(last_url).connect() as connection:
            shown = connection.execute(
                text("SELECT count(*) FROM facility WHERE workers_sources >= 2")
            ).scalar()
        print(f"facilities with at least 2 sources: {shown:,}")
        with TestClient(create_app(Settings(database_url=last_url), engine)) as client:
            for path, base in (("/v1/facilities", {}), ("/v1/claims", {"predicate": "worker_count"})):
                plain = page_times(client, path, {**base, "limit": 50}, args.reads)
                filtered = page_times(client, path, {**base, "limit": 50, "min_sources": 2}, args.reads)
                print(
                    f"{path:15} page of 50: plain {plain:6.2f} ms, min_sources=2 {filtered:6.2f} ms "
                    f"({filtered / plain:.2f}x)"
                )
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
