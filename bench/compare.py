"""`make bench`: bundles, `laborwatch ingest` (SQLite, PostgreSQL), wrk on laborwatch, Datasette, Starlette.

Run `python -m bench.compare [--scale 1] [--duration 8] [--connections 32] ...`; `--help` lists the options.
Everything it starts (ingest commands, servers, wrk) is stopped when it ends, also on Ctrl-C or an error,
and the PostgreSQL schema it creates is always dropped.
"""

import argparse
import importlib.util
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from sqlalchemy import create_engine, text

from api.cli.serve import loop_for
from api.settings import PROJECT_ROOT
from bench import bundles, report, servers
from bench.corpus import create_schema, drop_schema, schema_url, sqlite_url
from bench.load import LoadResult, LoadSettings, WrkMissing, find_wrk, run_wrk, wrk_version
from bench.server import machine, tree_cpu_seconds

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DB_NAME = "laborwatch"  # the file's stem is Datasette's database name in its URLs
DETAIL_IDS = 5
PAGE_LIMIT = 10
DEEP_PAGE = 10_000
SEARCH = "Irkutsk hours"  # narrow: about 1.7% of the claims match
BROAD_SEARCH = "working hours"  # broad: about 7% of the claims match
LIST_FILTER = {"country": "RU", "city": "Irkutsk"}
MIN_SOURCES = 2
REQUESTS = ("list", "sources", "detail", "search", "broad", "first", "deep")
# `laborwatch` with origins and support switched off, the rest of the loader as shipped: the baseline of
# the cost of keeping support in step on ingest.
WITHOUT_SUPPORT = (sys.executable, "-m", "bench.without_support")
DATABASES = ("sqlite", "postgresql")
# uvicorn's (loop, http) for Datasette: its own default stack (`pip install datasette` brings neither uvloop
# nor httptools, so uvicorn's "auto" falls back to these), and laborwatch's stack (the loop `laborwatch
# serve` asks for, and httptools, its dependency).
# Datasette is one process: the loop of one laborwatch process.
DATASETTE_STACKS = {"own": ("asyncio", "h11"), "same": (loop_for(1), "httptools")}
DATASETTE_LABELS = {
    "own": "Datasette, own stack (asyncio, h11)",
    "same": f"Datasette, laborwatch's stack ({loop_for(1)}, httptools)",
}


@dataclass
class Figures:
    """Everything one run measured, as the report and the JSON file show it."""

    started_at: str
    machine: dict[str, str]
    options: dict[str, Any]
    corpus: dict[str, Any] = field(default_factory=dict)
    ingest: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The same ingest with origins and support switched off, by database (`--support-baseline`).
    ingest_without_support: dict[str, dict[str, Any]] = field(default_factory=dict)
    matches: dict[str, int] = field(default_factory=dict)  # laborwatch's `total` of some requests
    urls: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # request paths, by server kind
    servers: dict[str, dict[str, Any]] = field(default_factory=dict)  # each configuration: label, stack
    loads: dict[str, dict[str, LoadResult]] = field(default_factory=dict)
    deep_page: int = 0
    notes: list[str] = field(default_factory=list)


def say(message: str) -> None:
    """Progress on stderr, so that stdout is the table alone."""
    print(message, file=sys.stderr, flush=True)


def _terminate(signum: int, _frame: FrameType | None) -> None:
    say(f"stopped by signal {signum}: cleaning up")
    raise SystemExit(128 + signum)  # runs every `finally`, which stops what we started


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run every step, print the table and rewrite docs/performance.md."""
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    try:
        wrk = find_wrk()
    except WrkMissing as exc:
        say(str(exc))
        return 2
    if importlib.util.find_spec("datasette") is None:
        say("Datasette is not installed: `make bench` installs it (pip install -e '.[dev,bench]').")
        return 2
    settings = LoadSettings(
        threads=args.threads, connections=args.connections, seconds=args.duration, warmup_seconds=args.warmup
    )
    facts = machine()
    facts["wrk"] = wrk_version(wrk)
    for package in ("datasette", "uvicorn", "uvloop", "httptools", "h11"):
        facts[package] = _version(package)
    facts["load_before"] = _load_average()
    figures = Figures(
        started_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=facts,
        options={
            "scale": args.scale,
            "threads": args.threads,
            "connections": args.connections,
            "duration": args.duration,
            "warmup": args.warmup,
            "laborwatch_workers": args.laborwatch_workers,
            "postgres_workers": args.postgres_workers,
            "requests": args.requests,
            "support_baseline": args.support_baseline,
            "ingest_rounds": args.ingest_rounds,
            "datasette_stacks": args.datasette_stacks,
            "bare_workers": args.bare_workers,
            "datasette_immutable": not args.datasette_mutable,
        },
    )
    with ExitStack() as cleanup:
        work = _work_dir(args, cleanup)
        corpus = _bundles(args, work)
        figures.corpus = {"reports": corpus.size.reports, "facilities": corpus.size.facilities}
        figures.corpus["claims"] = corpus.size.claims
        db_file = work / f"{DB_NAME}.db"
        baseline = args.support_baseline
        for round_ in range(args.ingest_rounds):
            if "sqlite" in baseline:
                _best(figures.ingest_without_support, "sqlite", ingest_sqlite_without_support(corpus, work))
            _best(figures.ingest, "sqlite", ingest_sqlite(corpus, db_file, work, round_ + 1))
        postgres_url: str | None = None
        if args.skip_postgres:
            figures.notes.append("PostgreSQL ingest and reads skipped (--skip-postgres).")
        else:
            keep = bool(args.postgres_workers)
            for round_ in range(args.ingest_rounds):
                last = round_ == args.ingest_rounds - 1
                if "postgresql" in baseline:
                    without, _url = ingest_postgres(
                        corpus, args.database_url, work, figures, command=WITHOUT_SUPPORT
                    )
                    _best(figures.ingest_without_support, "postgresql", without)
                result, postgres_url = ingest_postgres(
                    corpus, args.database_url, work, figures, cleanup if keep and last else None
                )
                _best(figures.ingest, "postgresql", result)
        _checkpoint(db_file)
        read_benchmarks(args, wrk, settings, db_file, work, corpus, figures, postgres_url)
    figures.machine["load_after"] = _load_average()
    table = report.markdown(figures)
    print(table)
    if not args.no_docs:
        report.rewrite_docs(args.docs, figures, table)
        say(f"results written into {args.docs}")
    if args.json is not None:
        args.json.write_text(json.dumps(report.as_json(figures), indent=2), encoding="utf-8")
        say(f"raw figures written to {args.json}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="make bench BENCH_ARGS=...", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="corpus size; 1 = 1,000 reports, 10,000 "
                        "facilities, 100,000 claims (default 1; 10 for a million claims)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=bundles.DEFAULT_SEED, help="corpus seed")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of wrk per request (default 8)")
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="seconds of wrk warm-up per request (default 1)"
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument(
        "--laborwatch-workers",
        type=_counts,
        default=[1, 2],
        metavar="N,N",
        help="`laborwatch serve --workers N`, one configuration each (default 1,2)",
    )
    parser.add_argument(
        "--postgres-workers",
        type=_counts,
        default=[1, 2],
        metavar="N,N",
        help="`laborwatch serve --workers N` on the PostgreSQL schema ingest filled, one configuration each "
        "(default 1,2; empty: none, and the schema is dropped right after ingest)",
    )
    parser.add_argument(
        "--requests",
        type=_requests,
        default=list(REQUESTS),
        metavar="R,R",
        help=f"the requests loaded, of {','.join(REQUESTS)} (default all; with --scale 10, "
        "list,detail,search,broad,deep keeps a run of a million claims within reason)",
    )
    parser.add_argument(
        "--datasette-stacks",
        type=_stacks,
        default=list(DATASETTE_STACKS),
        metavar="S,S",
        help="own: Datasette on asyncio and h11, what `pip install datasette` alone runs; same: on "
        f"{loop_for(1)} and httptools, laborwatch's stack (default own,same; empty: no Datasette)",
    )
    parser.add_argument(
        "--bare-workers",
        type=_counts,
        default=[1, 2],
        metavar="N,N",
        help="bare Starlette's workers, one configuration each (default 1,2; empty: none)",
    )
    parser.add_argument(
        "--support-baseline",
        type=_databases,
        default=list(DATABASES),
        metavar="DB,DB",
        help="also ingest with origins and support switched off into these databases of sqlite,postgresql, "
        "for the cost of keeping support in step (default both; empty: none)",
    )
    parser.add_argument(
        "--ingest-rounds",
        type=_rounds,
        default=1,
        metavar="N",
        help="ingests of each kind, alternating without and with support; the best is shown (default 1)",
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
                        help="PostgreSQL for ingest, reads (a schema of its own, dropped after)")  # fmt: skip
    parser.add_argument("--skip-postgres", action="store_true", help="leave PostgreSQL out (ingest, reads)")
    parser.add_argument("--corpus-dir", type=Path, help="keep bundles (and the SQLite file) here, and reuse "
                        "bundles of the same scale and seed next time")  # fmt: skip
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (bundles, SQLite, logs)"
    )
    parser.add_argument("--deep-page", type=int, default=DEEP_PAGE, help="page reached through `next`")
    parser.add_argument("--datasette-mutable", action="store_true", help="serve Datasette without -i")
    parser.add_argument("--docs", type=Path, default=PROJECT_ROOT / "docs" / "performance.md")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/performance.md")
    parser.add_argument("--json", type=Path, help="also write the raw figures as JSON")
    return parser


def _counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if any(count < 1 for count in counts):
        raise argparse.ArgumentTypeError("worker counts are 1 or more")
    return counts


def _requests(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [request for request in chosen if request not in REQUESTS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"requests are some of {', '.join(REQUESTS)}")
    return chosen


def _rounds(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("rounds are 1 or more")
    return int(text)


def _databases(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    if any(database not in DATABASES for database in chosen):
        raise argparse.ArgumentTypeError(f"databases are some of {', '.join(DATABASES)}")
    return chosen


def _stacks(text: str) -> list[str]:
    stacks = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [stack for stack in stacks if stack not in DATASETTE_STACKS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown stack {unknown[0]!r}: own or same")
    return stacks


def _work_dir(args: argparse.Namespace, cleanup: ExitStack) -> Path:
    if args.corpus_dir is not None:
        args.corpus_dir.mkdir(parents=True, exist_ok=True)
        return Path(args.corpus_dir).resolve()
    work = Path(tempfile.mkdtemp(prefix="laborwatch-bench-"))
    if args.keep:
        say(f"working in {work} (kept)")
    else:
        cleanup.callback(_remove_tree, work)
    return work


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _bundles(args: argparse.Namespace, work: Path) -> bundles.CorpusInfo:
    size = bundles.CorpusSize.scaled(args.scale)
    folder = work / f"bundles-{size.reports}-{size.facilities}-{size.claims}-{args.seed}"
    reused = bundles.reuse_bundles(folder, size, args.seed)
    if reused is not None:
        say(f"reusing {reused.bundles:,} bundles in {folder}")
        return reused
    _remove_tree(folder)
    say(f"writing {size.reports:,} bundles ({size.facilities:,} facilities, {size.claims:,} claims)...")
    info = bundles.write_bundles(folder, size, args.seed)
    say(f"  {info.seconds:.1f} s")
    return info


def _run_ingest(
    folder: Path, database_url: str, log_path: Path, command: tuple[str, ...] = servers.LABORWATCH
) -> tuple[float, float]:
    """`laborwatch ingest FOLDER` (or `command` ... `ingest FOLDER`) as a subprocess.

    Its wall time, and the CPU time of the command and its parsing workers (the harness runs nothing
    else meanwhile; a database server's CPU is not counted), in seconds: on a shared machine the CPU
    time is the steadier figure.
    """
    started, cpu = time.perf_counter(), _children_cpu()
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
            [*command, "ingest", str(folder)],
            cwd=PROJECT_ROOT,
            env=servers.server_env(database_url),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so that stopping it stops its parsing workers too
        )
        try:
            returncode = process.wait()
        finally:
            servers.stop(process)
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"laborwatch ingest failed ({returncode}):\n{tail}")
    return seconds, cpu


def _children_cpu() -> float:
    """User and system CPU seconds of the subprocesses that have ended (and of theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ingest_figures(times: tuple[float, float], claims: int, stored: int, expected: int) -> dict[str, Any]:
    if stored != expected:
        raise RuntimeError(f"ingest stored {stored} claims, the bundles hold {expected}")
    seconds, cpu = times
    return {
        "seconds": seconds,
        "claims": claims,
        "claims_per_second": claims / seconds,
        "cpu_seconds": cpu,
        "claims_per_cpu_second": claims / cpu if cpu else None,
    }


def _best(results: dict[str, dict[str, Any]], database: str, result: dict[str, Any]) -> None:
    """Fold one ingest round into `results[database]`: the least wall time and the least CPU time."""
    if not result:
        return
    kept = results.get(database)
    if kept is None:
        results[database] = result | {"rounds": 1}
        return
    kept["rounds"] += 1
    if result["seconds"] < kept["seconds"]:
        kept.update(seconds=result["seconds"], claims_per_second=result["claims_per_second"])
    if result["cpu_seconds"] < kept["cpu_seconds"]:
        kept.update(cpu_seconds=result["cpu_seconds"], claims_per_cpu_second=result["claims_per_cpu_second"])


def _remove_sqlite(db_file: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)


def ingest_sqlite(corpus: bundles.CorpusInfo, db_file: Path, work: Path, round_: int = 1) -> dict[str, Any]:
    """Ingest the bundles into a fresh SQLite file (the read benchmarks' corpus)."""
    _remove_sqlite(db_file)
    say(f"ingest into SQLite ({corpus.size.claims:,} claims, round {round_})...")
    times = _run_ingest(corpus.folder, sqlite_url(db_file), work / "ingest-sqlite.log")
    stored = _sqlite_claims(db_file)
    result = _ingest_figures(times, corpus.size.claims, stored, corpus.size.claims)
    _said(result)
    return result


def ingest_sqlite_without_support(corpus: bundles.CorpusInfo, work: Path) -> dict[str, Any]:
    """The same ingest with origins and support switched off, into a SQLite file removed afterwards."""
    db_file = work / "without-support.db"
    _remove_sqlite(db_file)
    say("ingest into SQLite, origins and support switched off...")
    try:
        times = _run_ingest(
            corpus.folder, sqlite_url(db_file), work / "ingest-sqlite-without-support.log", WITHOUT_SUPPORT
        )
        stored = _sqlite_claims(db_file)
    finally:
        _remove_sqlite(db_file)
    result = _ingest_figures(times, corpus.size.claims, stored, corpus.size.claims)
    _said(result)
    return result


def _sqlite_claims(db_file: Path) -> int:
    with sqlite3.connect(db_file) as connection:
        stored = int(connection.execute("SELECT count(*) FROM claim").fetchone()[0])
    connection.close()
    return stored


def ingest_postgres(
    corpus: bundles.CorpusInfo,
    base_url: str,
    work: Path,
    figures: Figures,
    keep: ExitStack | None = None,
    command: tuple[str, ...] = servers.LABORWATCH,
) -> tuple[dict[str, Any], str | None]:
    """Ingest the bundles into a fresh schema of the PostgreSQL database, then drop the schema.

    With `keep`, the schema is dropped only when `keep` closes (the read benchmarks serve it), and its
    URL is returned; it is vacuumed and analyzed first, as autovacuum would soon after a load. `command`
    is the `laborwatch` command run (WITHOUT_SUPPORT: origins and support switched off).
    """
    try:
        engine = create_engine(base_url, connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            figures.machine["postgresql"] = str(connection.scalar(text("SHOW server_version")))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: no PostgreSQL here
        figures.notes.append(f"PostgreSQL skipped: cannot connect ({type(exc).__name__}).")
        say(figures.notes[-1])
        return {}, None
    schema = f"bench_ingest_{uuid.uuid4().hex[:10]}"
    create_schema(base_url, schema)
    dropped = False
    try:
        plain = command == servers.LABORWATCH
        switched = "" if plain else ", origins and support switched off"
        say(f"ingest into PostgreSQL schema {schema}{switched}...")
        url = schema_url(base_url, schema)
        log = work / f"ingest-postgresql{'' if plain else '-without-support'}.log"
        times = _run_ingest(corpus.folder, url, log, command)
        engine = create_engine(url)
        with engine.connect() as connection:
            stored = int(connection.scalar(text("SELECT count(*) FROM claim")) or 0)
        if keep is not None:  # what autovacuum does soon after a load (VACUUM runs outside a transaction)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        engine.dispose()
        if keep is not None:
            keep.callback(drop_schema, base_url, schema)
            dropped = True  # by `keep`, at the end of the run
    finally:
        if not dropped:
            drop_schema(base_url, schema)
    result = _ingest_figures(times, corpus.size.claims, stored, corpus.size.claims)
    _said(result)
    return result, url if keep is not None else None


def _said(result: dict[str, Any]) -> None:
    say(
        f"  {result['seconds']:.1f} s, {result['claims_per_second']:,.0f} claims/s; "
        f"{result['cpu_seconds']:.1f} s of CPU (the command and its workers)"
    )


def _checkpoint(db_file: Path) -> None:
    """Move everything from the WAL into the file, so that Datasette's immutable mode sees all of it."""
    with sqlite3.connect(db_file) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


@dataclass(frozen=True)
class ServerConfig:
    """One server configuration under load: which server, how many workers, which loop/http."""

    key: str  # the key of figures.loads: "laborwatch-1", "datasette-own", "bare-2", ...
    kind: str  # "laborwatch", "Datasette" or "bare"
    label: str
    workers: int = 1
    stack: tuple[str, str] | None = None  # uvicorn's (loop, http) when set explicitly
    database: str = "sqlite"  # laborwatch's: the SQLite file, or "postgresql" (the ingested schema)


def server_configs(args: argparse.Namespace, figures: Figures, postgres: bool = False) -> list[ServerConfig]:
    """The configurations of this run, in the order they run (laborwatch on PostgreSQL when `postgres`)."""
    configs: list[ServerConfig] = []
    lw_workers = args.laborwatch_workers
    pg_workers = args.postgres_workers if postgres else []
    if any(workers > 1 for workers in lw_workers + pg_workers) and not servers.serve_takes_workers():
        figures.notes.append("`laborwatch serve` has no --workers here: only 1 worker measured.")
        say(figures.notes[-1])
        lw_workers = [1]
        pg_workers = [1] if pg_workers else []
    for workers in dict.fromkeys(lw_workers):
        label = f"laborwatch, {workers} worker{'s' if workers > 1 else ''}"
        configs.append(ServerConfig(f"laborwatch-{workers}", "laborwatch", label, workers))
    for workers in dict.fromkeys(pg_workers):
        label = f"laborwatch on PostgreSQL, {workers} worker{'s' if workers > 1 else ''}"
        key = f"laborwatch-pg-{workers}"
        configs.append(ServerConfig(key, "laborwatch", label, workers, database="postgresql"))
    for stack in dict.fromkeys(args.datasette_stacks):
        configs.append(ServerConfig(f"datasette-{stack}", "Datasette", DATASETTE_LABELS[stack],
                                    stack=DATASETTE_STACKS[stack]))  # fmt: skip
    for workers in dict.fromkeys(args.bare_workers):
        label = f"bare Starlette, {workers} worker{'s' if workers > 1 else ''}"
        configs.append(ServerConfig(f"bare-{workers}", "bare", label, workers))
    return configs


def read_benchmarks(
    args: argparse.Namespace,
    wrk: str,
    settings: LoadSettings,
    db_file: Path,
    work: Path,
    corpus: bundles.CorpusInfo,
    figures: Figures,
    postgres_url: str | None = None,
) -> None:
    """The same wrk load on each configuration of laborwatch, Datasette and bare Starlette, one at a time.

    The URLs of a server kind (the deep page's above all, found by following `next` 10,000 times) are
    found once, on its first configuration, and reused as paths by the others.
    """
    pages = max(1, -(-corpus.size.claims // PAGE_LIMIT))
    # Without the deep page among the requests, its `next` links are not followed (page 1 stands in).
    figures.deep_page = min(args.deep_page, pages) if "deep" in args.requests else 1
    payload = work / "bare-payload.json"
    configs = server_configs(args, figures, postgres=postgres_url is not None)
    # claim_fts is keyed by the claims' `id_order` (migration 0014), not by their rowid.
    metadata = {
        "databases": {DB_NAME: {"tables": {"claim": {"fts_table": "claim_fts", "fts_pk": "id_order"}}}}
    }
    immutable = not args.datasette_mutable
    if not any(config.kind == "laborwatch" for config in configs):
        raise SystemExit("--laborwatch-workers must name at least one worker count")
    reference: dict[str, list[Any]] = {}
    for config in configs:
        log = work / f"{config.key}.log"
        if config.kind == "laborwatch":
            url = postgres_url if config.database == "postgresql" and postgres_url else sqlite_url(db_file)
            started = servers.laborwatch(url, log, config.workers if config.workers > 1 else None)
        elif config.kind == "Datasette":
            _checkpoint(db_file)
            if "Datasette" not in figures.urls:
                figures.urls["Datasette"], reference = _datasette_reference(db_file, work, metadata, figures)
            started = servers.datasette(db_file, log, metadata, immutable, config.stack)
        else:
            started = servers.bare(payload, log, config.workers if config.workers > 1 else None)
        with started as server:
            stack = servers.loaded_stack(server.pid)
            if config.kind == "laborwatch" and "laborwatch" not in figures.urls:
                figures.urls["laborwatch"] = laborwatch_paths(
                    server.base_url, figures.deep_page, payload, figures.matches
                )
            elif config.kind == "bare":
                figures.urls.setdefault("bare", {"list": ["/"]})
            paths = {request: found for request, found in figures.urls[config.kind].items()
                     if request in args.requests or config.kind == "bare"}  # fmt: skip
            answers = _check_all(server.base_url, paths)
            if config.kind == "Datasette" and _comparable(answers) != _comparable(
                {request: reference[request] for request in paths}
            ):
                raise RuntimeError(f"{config.label} does not answer what `datasette serve` answers")
            figures.servers[config.key] = {
                "label": config.label,
                "kind": config.kind,
                "workers": config.workers,
                "stack": stack,
            }
            say(f"{config.label}: {stack}")
            urls = {request: [server.base_url + path for path in found] for request, found in paths.items()}
            figures.loads[config.key] = _load_all(config.key, wrk, urls, settings, server.pid)


def _datasette_reference(
    db_file: Path, work: Path, metadata: dict[str, Any], figures: Figures
) -> tuple[dict[str, list[str]], dict[str, list[Any]]]:
    """Datasette's paths, found on plain `datasette serve`, and what it answers to each."""
    log = work / "datasette-serve.log"
    immutable = figures.options["datasette_immutable"]
    with servers.datasette(db_file, log, metadata, immutable) as server:
        detail_ids = [path.rsplit("/", 1)[1] for path in figures.urls["laborwatch"]["detail"]]
        paths = datasette_paths(server.base_url, detail_ids, figures.deep_page, figures.matches)
        figures.servers["datasette-serve"] = {
            "label": "`datasette serve` (reference answers, not loaded)",
            "kind": "Datasette",
            "workers": 1,
            "stack": servers.loaded_stack(server.pid),
        }
        return paths, _check_all(server.base_url, paths)


def _check_all(base_url: str, paths: dict[str, list[str]]) -> dict[str, list[Any]]:
    """Every URL answers 200 with JSON; the answers, by request."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        return {request: [_check(client, path) for path in found] for request, found in paths.items()}


VOLATILE = frozenset({"query_ms"})  # Datasette's timing of the query, different on every answer


def _comparable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items() if key not in VOLATILE}
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, str) and value.startswith("http://127.0.0.1:"):
        return _path(value)  # next_url and the like carry the server's port
    return value


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _load_all(
    name: str, wrk: str, urls: dict[str, list[str]], settings: LoadSettings, pid: int
) -> dict[str, LoadResult]:
    """wrk on each request's URLs: the warm-up, then the measured run with the server's CPU time around it."""
    results: dict[str, LoadResult] = {}
    for request, request_urls in urls.items():
        if settings.warmup_seconds > 0:
            run_wrk(wrk, request_urls, replace(settings, seconds=settings.warmup_seconds), warm=False)
        before = tree_cpu_seconds(pid)
        result = run_wrk(wrk, request_urls, settings, warm=False)
        cpu = tree_cpu_seconds(pid) - before
        result = replace(result, cpu_ms_per_request=1000 * cpu / result.requests if result.requests else None)
        results[request] = result
        say(
            f"  {name:10} {request:7} {result.requests_per_second:8,.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
            f"p99 {result.p99_ms:6.1f} ms  non-2xx {result.non2xx}  socket errors {result.socket_errors}  "
            f"CPU {result.cpu_ms_per_request or 0:.1f} ms/request"
        )
    return results


def _check(client: httpx.Client, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:500]}")
    return response.json()


def laborwatch_paths(
    base_url: str, deep_page: int, payload_path: Path, matches: dict[str, int] | None = None
) -> dict[str, list[str]]:
    """laborwatch's request paths, checked once; the list page is saved as the bare app's payload.

    `matches` receives the `total` of the list, the list with `min_sources`, and the search.
    """
    with httpx.Client(base_url=base_url, timeout=30) as client:
        listing = base_url + "/v1/facilities?" + urlencode({**LIST_FILTER, "limit": 50})
        page = _check(client, listing)
        supported_only = {**LIST_FILTER, "limit": 50, "min_sources": MIN_SOURCES}
        sources = base_url + "/v1/facilities?" + urlencode(supported_only)
        supported = _check(client, sources)
        payload_path.write_text(json.dumps(page), encoding="utf-8")
        ids = [item["id"] for item in page["items"][:DETAIL_IDS]]
        if not ids:
            raise RuntimeError(f"{listing} found no facility")
        detail = [f"{base_url}/v1/facilities/{facility_id}" for facility_id in ids]
        for url in detail:
            _check(client, url)
        search = base_url + "/v1/claims?" + urlencode({"q": SEARCH, "limit": 50})
        found = _check(client, search)
        broad = base_url + "/v1/claims?" + urlencode({"q": BROAD_SEARCH, "limit": 50})
        many = _check(client, broad)
        if matches is not None:
            matches.update(
                list=page["total"], sources=supported["total"], search=found["total"], broad=many["total"]
            )
        say(
            f"laborwatch: list {len(page['items'])} of {page['total']}, with min_sources={MIN_SOURCES} "
            f"{len(supported['items'])} of {supported['total']}, search {found['total']} matches, "
            f"broad search {many['total']}"
        )
        first = f"{base_url}/v1/claims?limit={PAGE_LIMIT}"
        deep = follow(client, first, deep_page, lambda body: body.get("next"))
    searches = {"search": [search], "broad": [broad]}
    return _paths({"list": [listing], "sources": [sources], "detail": detail, **searches,
                   "first": [first], "deep": [deep]})  # fmt: skip


def datasette_paths(
    base_url: str, detail_ids: list[str], deep_page: int, matches: dict[str, int] | None = None
) -> dict[str, list[str]]:
    """Datasette's equivalents on the same file (table JSON, rows as objects), checked once.

    With laborwatch's `matches`, Datasette must count the same rows for each request, or the pairing
    compares different work (as when the full-text table's key changed under the metadata).
    """
    table = f"{base_url}/{DB_NAME}"
    objects = {"_shape": "objects"}
    with httpx.Client(timeout=30) as client:
        listing = f"{table}/facility.json?" + urlencode({**LIST_FILTER, "_size": 50, **objects})
        page = _check(client, listing)
        sources = f"{table}/facility.json?" + urlencode(
            {**LIST_FILTER, "workers_sources__gte": MIN_SOURCES, "_size": 50, **objects}
        )
        _check(client, sources)
        detail = [f"{table}/facility/{facility_id}.json?_shape=objects" for facility_id in detail_ids]
        for url in detail:
            _check(client, url)
        search = f"{table}/claim.json?" + urlencode({"_search": SEARCH, "_size": 50, **objects})
        found = _check(client, search)
        broad = f"{table}/claim.json?" + urlencode({"_search": BROAD_SEARCH, "_size": 50, **objects})
        many = _check(client, broad)
        say(
            f"Datasette: list {len(page['rows'])} of {page['filtered_table_rows_count']}, "
            f"search {found['filtered_table_rows_count']} matches, "
            f"broad search {many['filtered_table_rows_count']}"
        )
        counted = {"list": page, "search": found, "broad": many}
        for request, body in counted.items():
            if matches and request in matches and body["filtered_table_rows_count"] != matches[request]:
                raise RuntimeError(
                    f"Datasette counts {body['filtered_table_rows_count']} for {request}, "
                    f"laborwatch {matches[request]}: not the same query"
                )
        first = f"{table}/claim.json?_size={PAGE_LIMIT}&_shape=objects"
        # Following skips the count of every page (`_nocount`); the page loaded under wrk counts, as the
        # first page does. Datasette's `_next` is the last primary key seen: the same keyset paging.
        deep = follow(client, first + "&_nocount=1", deep_page, lambda body: body.get("next_url"))
        deep = deep.replace("&_nocount=1", "")
    searches = {"search": [search], "broad": [broad]}
    return _paths({"list": [listing], "sources": [sources], "detail": detail, **searches,
                   "first": [first], "deep": [deep]})  # fmt: skip


def _paths(urls: dict[str, list[str]]) -> dict[str, list[str]]:
    return {request: [_path(url) for url in found] for request, found in urls.items()}


def follow(client: httpx.Client, first: str, page: int, next_of: Callable[[Any], str | None]) -> str:
    """The URL of page `page` (1-based), reached from `first` through the next links."""
    url = first
    started = time.perf_counter()
    for number in range(1, page):
        following = next_of(_check(client, url))
        if following is None:
            raise RuntimeError(f"no next link on page {number} of {first}")
        url = following
    say(f"  page {page:,} reached through next in {time.perf_counter() - started:.1f} s")
    return url


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("interrupted: everything the benchmark started has been stopped")
        sys.exit(130)
