"""The cost of keeping support in step (docs/evidence.md): ingest with and without it, `min_sources` reads.

`python -m bench.evidence --scale 0.1` writes the `make bench` corpus (bench/bundles.py: lineage and
ranges included) and ingests it into fresh databases with the real command, in this process, twice:
with origins and support kept in step (as shipped) and with both switched off (the rest of the loader
unchanged), alternating `--rounds` times; it prints claims/s of each. Then it reads `/v1/facilities`
with and without `min_sources=2` (and `/v1/claims` likewise) through the ASGI app, `--reads` times each,
and prints the median time of a page.

`python -m bench.evidence --probe 20000` measures instead crowded facilities, as an outside probe built
one: 20,000 worker figures each, dated over 30 years or undated (`--undated N` sizes those apart), one
report per figure (a share of them reprints) or reports carrying 100 figures each. It ingests them with
support switched off, then times `support_of` alone, the recompute of a facility's stored support
(`refresh_facility_figures`, all rows written, then again with nothing to write), and two writes that
touch the facility: a claim disputed and a new report of one figure.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from datetime import date, timedelta
from functools import partial
from io import StringIO
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, Table, create_engine, select, text

from api.app import create_app
from api.claims.curation import update_claim
from api.claims.support import Figure, support_of
from api.cli import app as cli
from api.db.engine import make_engine, write_session
from api.facilities import figures
from api.ingest.loader import load_bundle, parse_bundle
from api.settings import Settings, get_settings
from bench import bundles
from bench.corpus import create_schema, drop_schema, schema_url
from bench.without_support import support_switched_off
from models import Claim, Report

DEFAULT_PROBE_SEED = 20261207


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


# The crowded facility's shapes: (name, dated, figures per report).
PROBE_SHAPES = (
    ("dated, one report per figure", True, 1),
    ("dated, 100 figures per report", True, 100),
    ("undated, one report per figure", False, 1),
    ("undated, 100 figures per report", False, 100),
)
PROBE_YEARS = 30
REPRINT_SHARE = 0.15


def probe_bundles(folder: Path, facility: str, figures: int, dated: bool, per_report: int, seed: int) -> None:
    """Bundles giving `figures` worker figures to one facility, `per_report` to a report, as JSON files.

    Values cluster around a few hundred workers (a third approximate, a tenth ranges), so most figures
    agree with many others and conflict with some; a share of reports declare a reprinted parent.
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = date(1995, 1, 1)
    reports = (figures + per_report - 1) // per_report
    for number in range(reports):
        report_id = f"{facility}-r{number:05}"
        sentences, claims = [], []
        for line in range(min(per_report, figures - number * per_report)):
            value = rng.choice((40, 60, 70, 80, 100, 150, 200, 300, 500)) + rng.randint(0, 9)
            sentence = f"Count {number:05}-{line:03} gave {value} workers."
            claim: dict[str, Any] = {
                "facility": facility,
                "predicate": "worker_count",
                "value": value,
                "unit": "workers",
                "approximate": rng.random() < 0.3,
                "quote": sentence,
            }
            if rng.random() < 0.1:
                claim["high"] = value + rng.randint(5, 60)
            if dated:
                end = start + timedelta(days=rng.randrange(PROBE_YEARS * 365))
                claim["period"] = {"end": end.isoformat()}
            sentences.append(sentence)
            claims.append(claim)
        report: dict[str, Any] = {
            "id": report_id,
            "title": f"Invented count {number}",
            "publisher": "Invented Wire",
            "published_on": None,
            "body": " ".join(sentences),
        }
        if number and rng.random() < REPRINT_SHARE:
            parent = f"{facility}-r{rng.randrange(number):05}"
            report["derived_from"] = {"report": parent, "relation": "reprint"}
        bundle = {
            "report": report,
            "facilities": [{"id": facility, "name": f"Invented works {facility}", "country": "RU"}],
            "claims": claims,
        }
        (folder / f"{report_id}.json").write_text(json.dumps(bundle), encoding="utf-8")


def timed(action: Callable[[], Any]) -> str:
    """Seconds `action` takes, of wall time and of this process's CPU (the steadier on a shared machine)."""
    started, cpu = time.perf_counter(), time.process_time()
    action()
    return f"{time.perf_counter() - started:.2f} s ({time.process_time() - cpu:.2f} s CPU)"


_CLAIM: Table = Claim.__table__  # type: ignore[attr-defined]
_REPORT: Table = Report.__table__  # type: ignore[attr-defined]


def read_figures(engine: Engine, facility: str) -> list[Figure]:
    """The facility's worker figures as the support rule reads them."""
    c, r = _CLAIM.c, _REPORT.c
    query = (
        select(c.id, c.value_number, c.high, c.approximate, c.dated_on, c.status, r.origin_id)
        .join(_REPORT, r.id == c.report_id)
        .where(c.facility_id == facility, c.predicate == "worker_count")
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        Figure(row.id, row.value_number, row.high, bool(row.approximate), row.dated_on, row.status,
               row.origin_id or "")
        for row in rows
    ]  # fmt: skip


def recompute(engine: Engine, facility: str) -> None:
    """Recompute the facility's counts, figure and support in one write."""
    with write_session(engine) as session:
        figures.refresh_facility_figures(session, [facility])


def dispute(engine: Engine, claim_id: str) -> None:
    """An editor disputes one claim (its facility's support follows, in the same write)."""
    with write_session(engine) as session:
        update_claim(session, claim_id, {"status": "disputed"}, "bench")


def new_report(engine: Engine, facility: str) -> None:
    """A new report of one figure about the facility."""
    sentence = "A late count gave 75 workers."
    bundle = {
        "report": {"id": f"{facility}-new", "title": "Invented late count", "publisher": "Invented Wire",
                   "published_on": "2024-06-01", "body": sentence},
        "facilities": [{"id": facility, "name": f"Invented works {facility}", "country": "RU"}],
        "claims": [{"facility": facility, "predicate": "worker_count", "value": 75, "unit": "workers",
                    "quote": sentence}],
    }  # fmt: skip
    with write_session(engine) as session:
        load_bundle(session, parse_bundle(bundle))


def measure_facility(engine: Engine, facility: str, shape: str) -> None:
    """Print the cost of support on one crowded facility: the rule alone, the recompute, two writes."""
    read = read_figures(engine, facility)
    pure = timed(partial(support_of, read))
    first, again = timed(partial(recompute, engine, facility)), timed(partial(recompute, engine, facility))
    write = timed(partial(dispute, engine, min(figure.id for figure in read)))
    post = timed(partial(new_report, engine, facility))
    origins = len({figure.origin for figure in read})
    print(
        f"  {shape} ({len(read):,} figures, {origins:,} origins): support_of {pure}, "
        f"recompute {first}, again {again}, a claim disputed {write}, a new report {post}"
    )


def probe(figure_count: int, undated_count: int, work: Path, backend: str, base_url: str) -> None:
    """Build the crowded facilities and print the cost of support on each."""
    folder = work / "probe"
    facilities = []
    for index, (shape, dated, per_report) in enumerate(PROBE_SHAPES):
        facility = f"probe-{index}"
        count = figure_count if dated else undated_count
        probe_bundles(folder, facility, count, dated, per_report, seed=DEFAULT_PROBE_SEED + index)
        facilities.append((facility, shape))
    name = f"evidence_probe_{os.getpid()}"
    url = fresh_url(backend, work, name, base_url)
    with support_switched_off(origins=False):
        wall, _cpu = ingest(folder, url)
    print(f"{backend}: {len(PROBE_SHAPES)} crowded facilities ingested in {wall:.0f} s (support off)")
    engine = make_engine(Settings(database_url=url))
    try:
        for facility, shape in facilities:
            measure_facility(engine, facility, shape)
    finally:
        engine.dispose()
        if backend == "postgresql":
            drop_schema(base_url, name)


def main(argv: list[str] | None = None) -> int:
    """Run the measurement and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=0.1, help="Corpus size relative to make bench's.")
    parser.add_argument("--rounds", type=int, default=2, help="Ingests of each kind, alternating.")
    parser.add_argument("--reads", type=int, default=100, help="Reads of each page.")
    parser.add_argument("--postgres", default=None, help="Also measure on this PostgreSQL URL.")
    parser.add_argument(
        "--probe", type=int, default=0, help="Measure crowded facilities of N figures instead."
    )
    parser.add_argument(
        "--undated", type=int, default=0, help="Figures of the undated ones (default: --probe)."
    )
    args = parser.parse_args(argv)
    if args.probe:
        with tempfile.TemporaryDirectory(prefix="lw-evidence-") as tmp:
            print(f"machine load (1, 5, 15 min): {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
            for backend in ["sqlite"] + (["postgresql"] if args.postgres else []):
                probe(args.probe, args.undated or args.probe, Path(tmp), backend, args.postgres or "")
            print(f"machine load (1, 5, 15 min): {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
        return 0
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
