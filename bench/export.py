"""Measure streaming exports and paging depth against the real server, over corpora of growing size.

For each size the harness builds (or reuses) a corpus, starts `laborwatch serve` on it as a subprocess,
streams `GET /v1/claims?format=csv` and `?format=ndjson` while sampling the server's resident memory, then
times the first page against a page deep in the list reached by a cursor, and against `offset=10000`.

Run `python -m bench.export` (see bench/README.md for the options and what it prints).
"""

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, func, select
from sqlmodel import col

from api.claims.listing import ClaimFilters, claim_query
from api.kit.paging import Cursor
from bench.corpus import (
    DEFAULT_SEED,
    CorpusSummary,
    build_corpus,
    create_schema,
    drop_schema,
    schema_url,
    sqlite_url,
)
from bench.server import (
    MIB,
    MemorySampler,
    code_version,
    cpu_seconds,
    machine,
    proc_status,
    reset_peak,
    running_server,
)
from models import Claim

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
PAGE_LIMIT = 50
MAX_OFFSET = 10_000  # the server's default LABORWATCH_MAX_OFFSET


# --- measurements -----------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    """One streamed export: its size, speed and the server's memory while it ran."""

    claims: int
    format: str
    rows: int
    bytes: int
    seconds: float
    first_byte_seconds: float
    server_cpu_seconds: float
    baseline_mib: float
    peak_mib: float
    sampled_peak_mib: float
    samples: int
    load_average: float  # the machine's 1-minute load when the export ended (other work skews it)

    @property
    def growth_mib(self) -> float:
        """Peak RSS over the idle baseline."""
        return self.peak_mib - self.baseline_mib


@dataclass
class PagingResult:
    """Median times of the first page, a deep cursor page and an offset page (milliseconds)."""

    claims: int
    runs: int
    first_ms: float
    cursor_ms: float
    cursor_position: int
    offset_ms: float
    offset: int
    count_ms: float

    @property
    def ratio(self) -> float:
        """The deep cursor page's time over the first page's."""
        return self.cursor_ms / self.first_ms


def measure_export(client: httpx.Client, pid: int, claims: int, fmt: str, baseline_kb: int) -> ExportResult:
    """Stream every claim in `fmt`, counting bytes and lines (nothing kept), and watch the server's RSS."""
    hwm_reset = reset_peak(pid)
    cpu_before = cpu_seconds(pid)
    size = lines = 0
    first_byte = 0.0
    started = time.perf_counter()
    with (
        MemorySampler(pid) as sampler,
        client.stream("GET", "/v1/claims", params={"format": fmt}) as response,
    ):
        response.raise_for_status()
        for chunk in response.iter_raw(64 * 1024):
            if not size:
                first_byte = time.perf_counter() - started
            size += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    status = proc_status(pid)
    peak_kb = status["VmHWM"] if hwm_reset else sampler.peak_kb
    rows = lines - 1 if fmt == "csv" else lines  # CSV has a header; no field holds a line break
    return ExportResult(
        claims=claims,
        format=fmt,
        rows=rows,
        bytes=size,
        seconds=seconds,
        first_byte_seconds=first_byte,
        server_cpu_seconds=cpu_seconds(pid) - cpu_before,
        baseline_mib=baseline_kb / 1024,
        peak_mib=max(peak_kb, sampler.peak_kb) / 1024,
        sampled_peak_mib=sampler.peak_kb / 1024,
        samples=sampler.samples,
        load_average=os.getloadavg()[0],
    )


def _timed_get(client: httpx.Client, params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = client.get("/v1/claims", params=params)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return elapsed, body


def deep_cursor(engine: Engine, position: int) -> str:
    """The `next` cursor a client would hold after reading `position` claims in the default (id) order."""
    with engine.connect() as connection:
        last_id = connection.scalar(
            select(col(Claim.id)).order_by(col(Claim.id)).offset(position - 1).limit(1)
        )
    if last_id is None:
        raise RuntimeError(f"the corpus has fewer than {position} claims")
    return Cursor("id", last_id, last_id, position).encode()


def time_count(engine: Engine, runs: int) -> float:
    """Median time of the COUNT every JSON page runs for its `total` (the same SQL as `fetch_page`)."""
    times = []
    with engine.connect() as connection:
        query = claim_query(ClaimFilters(), connection)
        count = select(func.count()).select_from(query.order_by(None).subquery())
        for _ in range(runs):
            started = time.perf_counter()
            connection.scalar(count)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure_paging(client: httpx.Client, engine: Engine, claims: int, runs: int) -> PagingResult:
    """Median times of the first page, the page after row N/2 (a constructed cursor) and a deep offset."""
    position = claims // 2
    cursor = deep_cursor(engine, position)
    offset = min(MAX_OFFSET, claims - PAGE_LIMIT)
    first: list[float] = []
    deep: list[float] = []
    by_offset: list[float] = []
    for _ in range(runs):  # interleaved, so drift (caches, other load) touches each alike
        elapsed, page = _timed_get(client, {"limit": PAGE_LIMIT})
        first.append(elapsed)
        elapsed, page = _timed_get(client, {"limit": PAGE_LIMIT, "cursor": cursor})
        deep.append(elapsed)
        if page["offset"] != position or len(page["items"]) != PAGE_LIMIT or page["total"] != claims:
            raise RuntimeError(f"unexpected deep page: offset {page['offset']}, {len(page['items'])} items")
        elapsed, _page = _timed_get(client, {"limit": PAGE_LIMIT, "offset": offset})
        by_offset.append(elapsed)
    # Following the deep page's `next` must carry on right after it.
    following = client.get(page["next"]).json()
    if following["offset"] != position + PAGE_LIMIT or following["items"][0]["id"] <= page["items"][-1]["id"]:
        raise RuntimeError("following `next` from the deep page did not continue after it")
    return PagingResult(
        claims=claims,
        runs=runs,
        first_ms=statistics.median(first),
        cursor_ms=statistics.median(deep),
        cursor_position=position,
        offset_ms=statistics.median(by_offset),
        offset=offset,
        count_ms=time_count(engine, runs),
    )


# --- corpora ----------------------------------------------------------------------------------------------


@dataclass
class Corpus:
    """A built corpus: where it is and how long it took (None when an earlier run's was reused)."""

    url: str
    summary: CorpusSummary | None
    drop: Callable[[], None]


def prepare_corpus(
    claims: int, args: argparse.Namespace, workdir: Path, say: Callable[[str], None]
) -> Corpus:
    """Build the corpus of `claims` claims: a SQLite file, or a PostgreSQL schema of its own."""
    if args.database_url:
        schema = f"{args.schema}_{claims}"
        create_schema(args.database_url, schema)
        url = schema_url(args.database_url, schema)

        def drop() -> None:
            if not args.keep:
                drop_schema(args.database_url, schema)

    else:
        folder = args.corpus_dir or workdir
        path = folder / f"claims-{claims}.sqlite"
        url = sqlite_url(path)
        if args.corpus_dir and _complete_sqlite(path, claims):
            say(f"reusing {path}")
            return Corpus(url, None, lambda: None)
        for stale in folder.glob(f"{path.name}*"):
            stale.unlink()

        def drop() -> None:
            if not args.corpus_dir:
                for part in folder.glob(f"{path.name}*"):
                    part.unlink()

    say(f"building {claims:,} claims at {url}")
    engine = create_engine(url)
    try:
        summary = build_corpus(engine, claims, seed=args.seed, progress=say)
    except BaseException:
        engine.dispose()
        drop()
        raise
    engine.dispose()
    say(f"built in {summary.seconds:.1f} s ({claims / summary.insert_seconds:,.0f} claims/s inserted)")
    return Corpus(url, summary, drop)


def _complete_sqlite(path: Path, claims: int) -> bool:
    if not path.exists():
        return False
    with closing(sqlite3.connect(path)) as connection:
        try:
            (count,) = connection.execute("SELECT count(*) FROM claim").fetchone()
        except sqlite3.DatabaseError:
            return False
    return bool(count == claims)


# --- report -----------------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain text table, numbers right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(lines)


def report(
    backend: str,
    builds: dict[int, CorpusSummary | None],
    exports: list[ExportResult],
    pages: list[PagingResult],
) -> str:
    """The figures as plain tables."""
    built = [
        [f"{n:,}", f"{s.seconds:.1f}", f"{n / s.insert_seconds:,.0f}"]
        for n, s in builds.items()
        if s is not None
    ]
    export_rows = [
        [
            f"{e.claims:,}",
            e.format,
            f"{e.rows:,}",
            f"{e.bytes / MIB:,.1f}",
            f"{e.seconds:.2f}",
            f"{e.rows / e.seconds:,.0f}",
            f"{e.bytes / MIB / e.seconds:.2f}",
            f"{e.first_byte_seconds * 1000:.0f}",
            f"{e.server_cpu_seconds / e.seconds:.0%}",
            f"{e.baseline_mib:.1f}",
            f"{e.peak_mib:.1f}",
            f"{e.growth_mib:+.1f}",
            f"{e.load_average:.1f}",
        ]
        for e in exports
    ]
    page_rows = [
        [
            f"{p.claims:,}",
            f"{p.first_ms:.1f}",
            f"{p.cursor_position:,}",
            f"{p.cursor_ms:.1f}",
            f"{p.ratio:.2f}",
            f"{p.offset:,}",
            f"{p.offset_ms:.1f}",
            f"{p.count_ms:.2f}",
        ]
        for p in pages
    ]
    parts = [f"backend: {backend}", ""]
    if built:
        parts += ["corpus build", table(["claims", "seconds", "claims/s"], built), ""]
    parts += [
        "streamed exports: GET /v1/claims?format=...",
        table(
            [
                "claims",
                "format",
                "rows",
                "MiB",
                "seconds",
                "rows/s",
                "MiB/s",
                "1st byte ms",
                "server CPU",
                "idle RSS MiB",
                "peak RSS MiB",
                "growth MiB",
                "load",
            ],
            export_rows,
        ),
        "",
        f"paging: GET /v1/claims?limit={PAGE_LIMIT}, median ms of the runs",
        table(
            [
                "claims",
                "first page",
                "cursor after",
                "cursor page",
                "ratio",
                "offset",
                "offset page",
                "COUNT",
            ],
            page_rows,
        ),
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Build the corpora, run the measurements and print the tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(n) for n in DEFAULT_SIZES),
        help="Comma-separated claim counts, one corpus each (default %(default)s).",
    )
    parser.add_argument("--database-url", help="PostgreSQL base URL; each size gets a schema of its own.")
    parser.add_argument("--schema", default="bench", help="PostgreSQL schema prefix (default %(default)s).")
    parser.add_argument("--corpus-dir", type=Path, help="Keep SQLite corpora here and reuse them next time.")
    parser.add_argument("--keep", action="store_true", help="Keep the PostgreSQL schemas afterwards.")
    parser.add_argument("--runs", type=int, default=9, help="Runs per paging figure (default %(default)s).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Corpus random seed.")
    parser.add_argument("--json", type=Path, help="Also write every figure to this JSON file.")
    args = parser.parse_args(argv)
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size]
    if args.corpus_dir:
        args.corpus_dir.mkdir(parents=True, exist_ok=True)

    def say(message: str) -> None:
        print(message, flush=True)

    backend = "postgresql" if args.database_url else "sqlite"
    info = machine()
    say("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    builds: dict[int, CorpusSummary | None] = {}
    exports: list[ExportResult] = []
    pages: list[PagingResult] = []
    workdir = Path(tempfile.mkdtemp(prefix="laborwatch-bench-"))
    try:
        for claims in sizes:
            corpus = prepare_corpus(claims, args, workdir, say)
            builds[claims] = corpus.summary
            try:
                exports_n, paging = measure_size(corpus.url, claims, workdir, args.runs, say)
            finally:
                corpus.drop()
            exports += exports_n
            pages.append(paging)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(report(backend, builds, exports, pages))
    if code_version() != info["code"]:
        print(f"\nwarning: the code changed during the run ({info['code']} -> {code_version()})")
    flat = [e for e in exports if e.format == "csv"]
    if len(flat) > 1:
        print(
            f"\npeak RSS, csv: {flat[0].peak_mib:.1f} MiB at {flat[0].claims:,} claims, "
            f"{flat[-1].peak_mib:.1f} MiB at {flat[-1].claims:,} claims"
        )
    if args.json:
        document = {
            "backend": backend,
            "machine": info,
            "builds": {n: asdict(s) if s else None for n, s in builds.items()},
            "exports": [asdict(e) | {"growth_mib": e.growth_mib} for e in exports],
            "paging": [asdict(p) | {"ratio": p.ratio} for p in pages],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


def measure_size(
    url: str, claims: int, workdir: Path, runs: int, say: Callable[[str], None]
) -> tuple[list[ExportResult], PagingResult]:
    """Start the server on one corpus, warm it up, then measure both exports and paging."""
    engine = create_engine(url)
    try:
        with (
            running_server(url, workdir / f"server-{claims}.log") as (pid, base_url),
            httpx.Client(base_url=base_url, timeout=httpx.Timeout(120.0)) as client,
        ):
            # Warm-up: the first page and a small export load every code path before the idle baseline.
            client.get("/v1/claims", params={"limit": PAGE_LIMIT}).raise_for_status()
            small = {"format": "csv", "report_id": "bench-report-0000000"}
            client.get("/v1/claims", params=small).raise_for_status()
            time.sleep(0.5)
            baseline_kb = proc_status(pid)["VmRSS"]
            say(f"server pid {pid} (code {code_version()}), idle RSS {baseline_kb / 1024:.1f} MiB")
            results = []
            for fmt in ("csv", "ndjson"):
                result = measure_export(client, pid, claims, fmt, baseline_kb)
                if result.rows != claims:
                    raise RuntimeError(f"{fmt} export gave {result.rows} rows, expected {claims}")
                say(
                    f"  {fmt:6} {result.rows:>9,} rows in {result.seconds:6.2f} s "
                    f"({result.rows / result.seconds:,.0f} rows/s), peak RSS {result.peak_mib:.1f} MiB "
                    f"({result.growth_mib:+.1f} over idle)"
                )
                results.append(result)
            paging = measure_paging(client, engine, claims, runs)
            say(
                f"  paging: first {paging.first_ms:.1f} ms, cursor after {paging.cursor_position:,} "
                f"{paging.cursor_ms:.1f} ms (x{paging.ratio:.2f}), offset {paging.offset:,} "
                f"{paging.offset_ms:.1f} ms, COUNT {paging.count_ms:.2f} ms"
            )
    finally:
        engine.dispose()
    return results, paging


if __name__ == "__main__":
    sys.exit(main())
