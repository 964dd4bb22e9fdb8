"""The figures of `make bench` as a markdown table, written into docs/performance.md between markers."""

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.compare import Figures

START = "<!-- bench:results:start (rewritten by `make bench`; edit above or below) -->"
END = "<!-- bench:results:end -->"
LABELS = {
    "list": "filtered list: facilities `country=RU&city=Irkutsk`, 50",
    "detail": "detail: `/v1/facilities/{id}` (5 ids in turn)",
    "search": "full text: claims `q=Irkutsk hours`, 50",
    "first": "claims, first page of 10",
    "deep": "claims, page DEEP of 10 through `next`",
}
INTRO = """# Performance

`make bench` measures, in one run, on one synthetic corpus written as bundle files (by default 1,000
reports, 10,000 facilities, 100,000 claims; `make bench BENCH_ARGS="--scale 10"` for a million claims):

- **ingest**: the wall time of `laborwatch ingest FOLDER` into a fresh SQLite file, and into a fresh
  PostgreSQL schema (dropped afterwards), as claims per second;
- **reads**: `wrk` with the same settings (one thread, 32 connections, 8 s after a 1 s warm-up per URL)
  against laborwatch, then Datasette serving the same SQLite file, then a bare Starlette app under uvicorn
  answering a fixed JSON page of the same size (the ceiling of this machine), one server at a time.

See `bench/README.md` for what each request is on each server and the options
(`make bench BENCH_ARGS="--duration 4 --skip-postgres"`). The section below is rewritten by each run;
figures from a busy machine are not comparable with those of a quiet one.

"""


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _rps(value: float) -> str:
    return f"{value:,.0f}"


def _errors(result: Any) -> str:
    return f"{result.non2xx} / {result.socket_errors}"


def _ratio(top: float, bottom: float) -> str:
    return f"{top / bottom:.2f}x" if bottom else "n/a"


def markdown(figures: "Figures") -> str:
    """The results section: the machine, the read table, the targets and the ingest figures."""
    lw = figures.loads.get("laborwatch", {})
    ds = figures.loads.get("Datasette", {})
    bare = figures.loads.get("bare", {}).get("list")
    lines = [
        "| request | laborwatch req/s | p50 ms | p99 ms | non-2xx / socket err. "
        "| Datasette req/s | p50 ms | p99 ms | non-2xx / socket err. | laborwatch ÷ Datasette | % of bare |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for request, label in LABELS.items():
        ours, theirs = lw.get(request), ds.get(request)
        if ours is None or theirs is None:
            continue
        name = label.replace("DEEP", f"{figures.deep_page:,}")
        share = f"{100 * ours.requests_per_second / bare.requests_per_second:.0f}%" if bare else "n/a"
        lines.append(
            f"| {name} | {_rps(ours.requests_per_second)} | {_ms(ours.p50_ms)} "
            f"| {_ms(ours.p99_ms)} | {_errors(ours)} | {_rps(theirs.requests_per_second)} "
            f"| {_ms(theirs.p50_ms)} | {_ms(theirs.p99_ms)} | {_errors(theirs)} "
            f"| {_ratio(ours.requests_per_second, theirs.requests_per_second)} | {share} |"
        )
    if bare:
        lines.append(
            f"| bare Starlette + uvicorn, fixed JSON page (ceiling) | {_rps(bare.requests_per_second)} "
            f"| {_ms(bare.p50_ms)} | {_ms(bare.p99_ms)} | {_errors(bare)} | | | | | | 100% |"
        )
    return "\n".join([_header(figures), "", *lines, "", *_targets(figures), *_notes(figures)])


def _header(figures: "Figures") -> str:
    m = figures.machine
    o = figures.options
    c = figures.corpus
    postgres = m.get("postgresql", "not measured")
    workers = o["workers"] if o["workers"] is not None else "1 (default)"
    return "\n".join(
        [
            f"### Run of {figures.started_at}, code {m.get('code', 'unknown')}",
            "",
            f"- machine: {m['cpus']} x {m['cpu']}, {m['memory']} RAM, Linux {m['kernel']}; "
            f"load average (1, 5, 15 min) {m['load_before']} before, {m.get('load_after', '?')} after",
            f"- software: Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL {postgres}, "
            f"Datasette {m['datasette']}, {m['wrk']}",
            f"- corpus: {c.get('reports', 0):,} reports, {c.get('facilities', 0):,} facilities, "
            f"{c.get('claims', 0):,} claims (scale {o['scale']:g})",
            f"- load: `wrk -t{o['threads']} -c{o['connections']} -d{o['duration']:g}s` after a "
            f"{o['warmup']:g} s warm-up, per URL; laborwatch workers: {workers}; Datasette "
            f"{'immutable (-i)' if o['datasette_immutable'] else 'mutable'}",
        ]
    )


def _targets(figures: "Figures") -> list[str]:
    lw = figures.loads.get("laborwatch", {})
    ds = figures.loads.get("Datasette", {})
    rows: list[tuple[str, str, bool | None]] = []
    for request in ("list", "detail"):
        if request in lw and request in ds:
            ratio = lw[request].requests_per_second / ds[request].requests_per_second
            rows.append((f"laborwatch ≥ 3x Datasette, {request}", f"{ratio:.2f}x", ratio >= 3))
    if lw:
        worst = max(lw.values(), key=lambda result: result.p99_ms)
        rows.append(
            ("laborwatch p99 < 50 ms, every request", f"{worst.p99_ms:.1f} ms at worst", worst.p99_ms < 50)
        )
        bad = sum(result.non2xx + result.socket_errors for result in lw.values())
        rows.append(("laborwatch: no non-2xx, no socket error", str(bad), bad == 0))
    if "first" in lw and "deep" in lw:
        slower = lw["first"].requests_per_second / lw["deep"].requests_per_second
        rows.append(
            (f"page {figures.deep_page:,} within 2x of the first", f"{slower:.2f}x the time", slower <= 2)
        )
    if "first" in ds and "deep" in ds:
        slower = ds["first"].requests_per_second / ds["deep"].requests_per_second
        rows.append((f"(Datasette: page {figures.deep_page:,} against its first)", f"{slower:.2f}x", None))
    sqlite = figures.ingest.get("sqlite")
    if sqlite:
        rate = sqlite["claims_per_second"]
        rows.append(
            (
                "ingest ≥ 20,000 claims/s, SQLite",
                f"{rate:,.0f} claims/s ({sqlite['seconds']:.1f} s)",
                rate >= 20_000,
            )
        )
    postgres = figures.ingest.get("postgresql")
    if postgres:
        rate = postgres["claims_per_second"]
        rows.append(("(ingest, PostgreSQL)", f"{rate:,.0f} claims/s ({postgres['seconds']:.1f} s)", None))
    lines = ["| target | measured | met |", "|---|--:|:-:|"]
    for name, measured, met in rows:
        lines.append(f"| {name} | {measured} | {'' if met is None else 'yes' if met else '**no**'} |")
    return lines


def _notes(figures: "Figures") -> list[str]:
    return ["", *(f"Note: {note}" for note in figures.notes)] if figures.notes else []


def rewrite_docs(path: Path, figures: "Figures", table: str) -> None:
    """Put the results between the markers of `path`, keeping what is written around them."""
    text = (
        path.read_text(encoding="utf-8")
        if path.exists()
        else INTRO + f"## Latest results\n\n{START}\n{END}\n"
    )
    if START not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n## Latest results\n\n{START}\n{END}\n"
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{before}{START}\n\n{table}\n\n{END}{after}", encoding="utf-8")


def as_json(figures: "Figures") -> dict[str, Any]:
    """The raw figures, JSON-ready."""
    data = asdict(figures)
    data["loads"] = {
        server: {request: result.as_dict() for request, result in results.items()}
        for server, results in figures.loads.items()
    }
    return data
