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
    "sources": "the same list with `min_sources=2`",
    "detail": "detail: `/v1/facilities/{id}` (5 ids in turn)",
    "search": "full text: claims `q=Irkutsk hours`, 50",
    "broad": "full text, broad: claims `q=working hours`, 50",
    "first": "claims, first page of 10",
    "deep": "claims, page DEEP of 10 through `next`",
}
INTRO = """# Performance

`make bench` measures, in one run, on one synthetic corpus written as bundle files (by default 1,000
reports, 10,000 facilities, 100,000 claims; `make bench BENCH_ARGS="--scale 10"` for a million claims):

- **ingest**: the wall time of `laborwatch ingest FOLDER` into a fresh SQLite file, and into a fresh
  PostgreSQL schema (dropped afterwards), as claims per second;
- **reads**: `wrk` with the same settings (one thread, 32 connections, 8 s after a 1 s warm-up per URL)
  against laborwatch (1 and 2 workers), then Datasette serving the same SQLite file on its own stack
  (asyncio, h11) and on laborwatch's (asyncio's loop, httptools), then a bare Starlette app under uvicorn
  answering a fixed JSON page of the same size (the ceiling of this machine), one server at a time.

See `bench/README.md` for what each request is on each server and the options
(`make bench BENCH_ARGS="--duration 4 --skip-postgres"`). The section below is rewritten by each run;
figures from a busy machine are not comparable with those of a quiet one.

"""


def _cpu(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else ""


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _rps(value: float) -> str:
    return f"{value:,.0f}"


def _errors(result: Any) -> str:
    return f"{result.non2xx} / {result.socket_errors}"


def _ratio(top: float, bottom: float) -> str:
    """`top / bottom` as a ratio; "n/a (÷ 0)" when the other server answered nothing within wrk's timeout."""
    return f"{top / bottom:.2f}x" if bottom else "n/a (÷ 0)"


def _against(ours: float, theirs: float, factor: float, between: str) -> str:
    """The ratio, then whether `ours` is at least `factor` times `theirs` (met when they answered none)."""
    return f"{_ratio(ours, theirs)}{between}{_mark(ours > 0 and ours >= factor * theirs)}"


def _keys(figures: "Figures", kind: str) -> list[str]:
    return [key for key, server in figures.servers.items() if server["kind"] == kind and key in figures.loads]


def _short(figures: "Figures", key: str) -> str:
    """A column heading: "laborwatch 1w", "Datasette own", "bare 2w"."""
    server = figures.servers[key]
    if server["kind"] == "Datasette":
        return "Datasette " + key.removeprefix("datasette-")
    name = "laborwatch" if server["kind"] == "laborwatch" else "bare"
    if key.startswith("laborwatch-pg-"):
        name += " PG"
    return f"{name} {server['workers']}w"


def comparisons(figures: "Figures") -> list[tuple[str, str]]:
    """(laborwatch configuration, Datasette configuration) pairs, in the order of the report."""
    return [(lw, ds) for lw in _keys(figures, "laborwatch") for ds in _keys(figures, "Datasette")]


def markdown(figures: "Figures") -> str:
    """The results section: the machine, the read tables, the targets and the ingest figures."""
    lines = [
        "| request | server: event loop/HTTP parser | req/s | p50 ms | p99 ms | non-2xx / socket err. "
        "| server CPU ms/req |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    served = [key for key in figures.servers if key in figures.loads and not key.startswith("bare")]
    for request, label in LABELS.items():
        name = label.replace("DEEP", f"{figures.deep_page:,}")
        for index, key in enumerate(key for key in served if request in figures.loads[key]):
            result = figures.loads[key][request]
            lines.append(
                f"| {name if index == 0 else ''} | {_server(figures, key)} "
                f"| {_rps(result.requests_per_second)} | {_ms(result.p50_ms)} | {_ms(result.p99_ms)} "
                f"| {_errors(result)} | {_cpu(result.cpu_ms_per_request)} |"
            )
    for index, key in enumerate(_keys(figures, "bare")):
        result = figures.loads[key]["list"]
        name = "bare Starlette + uvicorn, fixed JSON page (ceiling)" if index == 0 else ""
        lines.append(
            f"| {name} | {_server(figures, key)} | {_rps(result.requests_per_second)} "
            f"| {_ms(result.p50_ms)} | {_ms(result.p99_ms)} | {_errors(result)} "
            f"| {_cpu(result.cpu_ms_per_request)} |"
        )
    legend = (
        "Below, 1w and 2w are workers; Datasette own is Datasette on asyncio and h11 (what "
        "`pip install datasette` alone runs), Datasette same is Datasette on laborwatch's loop and httptools "
        "(laborwatch's stack)."
    )
    return "\n".join(
        [
            _header(figures),
            "",
            *lines,
            "",
            legend,
            "",
            *_ratios(figures),
            "",
            *_postgres_ratios(figures),
            *_support(figures),
            *_targets(figures),
            *_notes(figures),
        ]
    )


def _server(figures: "Figures", key: str) -> str:
    server = figures.servers[key]
    label = str(server["label"]).split(" (")[0]
    return f"{label}: {server['stack']}"


def _ratios(figures: "Figures") -> list[str]:
    """laborwatch's req/s over each Datasette's, and as a share of the bare ceiling with as many workers."""
    pairs = comparisons(figures)
    bares = {figures.servers[key]["workers"]: key for key in _keys(figures, "bare")}
    shares = [lw for lw in _keys(figures, "laborwatch") if figures.servers[lw]["workers"] in bares]
    heads = [f"{_short(figures, lw)} ÷ {_short(figures, ds)}" for lw, ds in pairs]
    heads += [
        f"{_short(figures, lw)} % of {_short(figures, bares[figures.servers[lw]['workers']])}"
        for lw in shares
    ]
    if not heads:
        return []
    lines = ["| request (req/s ratio) | " + " | ".join(heads) + " |", "|---|" + "--:|" * len(heads)]
    for request, label in LABELS.items():
        cells = []
        for lw, ds in pairs:
            ours, theirs = figures.loads[lw].get(request), figures.loads[ds].get(request)
            cells.append(
                _ratio(ours.requests_per_second, theirs.requests_per_second) if ours and theirs else ""
            )
        for lw in shares:
            ours, bare = (
                figures.loads[lw].get(request),
                figures.loads[bares[figures.servers[lw]["workers"]]]["list"],
            )
            cells.append(f"{100 * ours.requests_per_second / bare.requests_per_second:.0f}%" if ours else "")
        lines.append(
            f"| {label.split(':')[0].replace('DEEP', f'{figures.deep_page:,}')} | " + " | ".join(cells) + " |"
        )
    return lines


def _postgres_pairs(figures: "Figures") -> list[tuple[str, str]]:
    """(laborwatch on PostgreSQL, laborwatch on SQLite) with as many workers, in the order of the run."""
    sqlite = {
        figures.servers[key]["workers"]: key for key in _keys(figures, "laborwatch") if "-pg-" not in key
    }
    return [
        (key, sqlite[figures.servers[key]["workers"]])
        for key in _keys(figures, "laborwatch")
        if "-pg-" in key and figures.servers[key]["workers"] in sqlite
    ]


def _postgres_ratios(figures: "Figures") -> list[str]:
    """laborwatch on PostgreSQL against laborwatch on SQLite with as many workers, request by request."""
    pairs = _postgres_pairs(figures)
    if not pairs:
        return []
    heads = [f"{_short(figures, pg)} ÷ {_short(figures, lite)}" for pg, lite in pairs]
    lines = ["| request (req/s ratio) | " + " | ".join(heads) + " |", "|---|" + "--:|" * len(heads)]
    for request, label in LABELS.items():
        cells = []
        for pg, lite in pairs:
            ours, theirs = figures.loads[pg].get(request), figures.loads[lite].get(request)
            cells.append(
                _ratio(ours.requests_per_second, theirs.requests_per_second) if ours and theirs else ""
            )
        if any(cells):
            lines.append(
                f"| {label.split(':')[0].replace('DEEP', f'{figures.deep_page:,}')} | "
                + " | ".join(cells)
                + " |"
            )
    return [*lines, ""]


# Issue 19's targets: ingest with support kept in step within 15% of its speed without, and the list with
# `min_sources=2` within 20% of the plain list.
INGEST_KEPT = 0.85
SOURCES_KEPT = 0.8


def _support(figures: "Figures") -> list[str]:
    """What keeping support in step costs: ingest without and with it, the list with `min_sources`."""
    lines: list[str] = []
    databases = [db for db in ("sqlite", "postgresql") if db in figures.ingest_without_support]
    if databases:
        rounds = max(figures.ingest_without_support[db].get("rounds", 1) for db in databases)
        best = f", best of {rounds} rounds each" if rounds > 1 else ""
        lines += [
            "Keeping support in step, on ingest: `laborwatch ingest` of the same bundles with report origins "
            "and support switched off (`bench/without_support.py`: the loader as before issue 19, the rest "
            f"as shipped) and as shipped, into fresh databases{best}.",
            "",
            "| ingest | " + " | ".join(_DATABASE_NAMES[db] for db in databases) + " |",
            "|---|" + "--:|" * len(databases),
        ]
        without = [figures.ingest_without_support[db] for db in databases]
        kept = [figures.ingest.get(db) for db in databases]
        lines.append("| origins and support switched off | " + " | ".join(_rate(r) for r in without) + " |")
        lines.append("| as shipped, support kept in step | " + " | ".join(_rate(r) for r in kept) + " |")
        walls, cpus = [], []
        for off, on in zip(without, kept, strict=True):
            if not on:
                walls.append("")
                cpus.append("")
                continue
            ratio = on["claims_per_second"] / off["claims_per_second"]
            walls.append(f"{ratio:.2f}x {_mark(ratio >= INGEST_KEPT)}")
            off_cpu, on_cpu = off.get("cpu_seconds"), on.get("cpu_seconds")
            cpus.append(f"{off_cpu / on_cpu:.2f}x" if off_cpu and on_cpu else "")
        target = f"target ≥ {INGEST_KEPT}x"
        lines.append(f"| kept ÷ switched off, claims/s ({target}) | " + " | ".join(walls) + " |")
        if any(cpus):
            lines += [
                "| kept ÷ switched off, claims per CPU second of the command | " + " | ".join(cpus) + " |",
                "",
                "The CPU time is the command's and its parsing workers' (not the database server's): on a "
                "shared machine it moves less than the wall time.",
            ]
        lines.append("")
    lws = [lw for lw in _keys(figures, "laborwatch") if {"list", "sources"} <= set(figures.loads[lw])]
    if lws:
        m = figures.matches
        lines += [
            f"Keeping support in step, on reads: the filtered list with `min_sources=2` "
            f"({m.get('sources', '?')} of the list's {m.get('list', '?')} facilities) against the same "
            "list without it (req/s, p99).",
            "",
            "| laborwatch | list | with `min_sources=2` | ratio (target ≥ 0.8x) |",
            "|---|--:|--:|--:|",
        ]
        for lw in lws:
            plain, sources = figures.loads[lw]["list"], figures.loads[lw]["sources"]
            ratio = sources.requests_per_second / plain.requests_per_second
            lines.append(
                f"| {_short(figures, lw)} | {_rps(plain.requests_per_second)} ({_ms(plain.p99_ms)} ms) "
                f"| {_rps(sources.requests_per_second)} ({_ms(sources.p99_ms)} ms) "
                f"| {ratio:.2f}x {_mark(ratio >= SOURCES_KEPT)} |"
            )
        lines.append("")
    return lines


_DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _rate(result: dict[str, Any] | None) -> str:
    if not result:
        return ""
    cpu = f", CPU {result['cpu_seconds']:.1f} s" if result.get("cpu_seconds") else ""
    return f"{result['claims_per_second']:,.0f} claims/s ({result['seconds']:.1f} s{cpu})"


def _header(figures: "Figures") -> str:
    m = figures.machine
    o = figures.options
    c = figures.corpus
    postgres = m.get("postgresql", "not measured")
    stacks = "; ".join(f"{server['label']}: {server['stack']}" for server in figures.servers.values())
    return "\n".join(
        [
            f"### Run of {figures.started_at}, code {m.get('code', 'unknown')}",
            "",
            f"- machine: {m['cpus']} x {m['cpu']}, {m['memory']} RAM, Linux {m['kernel']}; "
            f"load average (1, 5, 15 min) {m['load_before']} before, {m.get('load_after', '?')} after",
            f"- software: Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL {postgres}, "
            f"Datasette {m['datasette']}, uvicorn {m.get('uvicorn', '?')}, uvloop {m.get('uvloop', '?')}, "
            f"httptools {m.get('httptools', '?')}, h11 {m.get('h11', '?')}, {m['wrk']}",
            f"- corpus: {c.get('reports', 0):,} reports, {c.get('facilities', 0):,} facilities, "
            f"{c.get('claims', 0):,} claims (scale {o['scale']:g}), with reprints, translations and "
            "ranges (bench/bundles.py)",
            f"- load: `wrk -t{o['threads']} -c{o['connections']} -d{o['duration']:g}s` after a "
            f"{o['warmup']:g} s warm-up, per URL, one server at a time; Datasette "
            f"{'immutable (-i)' if o['datasette_immutable'] else 'mutable'}",
            f"- event loop / HTTP parser each server had loaded: {stacks}",
        ]
    )


def _mark(met: bool) -> str:
    return "met" if met else "**not met**"


def _targets(figures: "Figures") -> list[str]:
    """The targets, met or not, for each comparison of a laborwatch and a Datasette configuration."""
    pairs = comparisons(figures)
    lws = _keys(figures, "laborwatch")
    columns: list[tuple[str, str | None]] = list(pairs) if pairs else [(lw, None) for lw in lws]
    if not columns:
        return []
    heads = [
        f"{_short(figures, lw)} vs {_short(figures, ds)}" if ds else _short(figures, lw) for lw, ds in columns
    ]
    lines = ["| target | " + " | ".join(heads) + " |", "|---|" + ":-:|" * len(heads)]
    for request in ("list", "detail"):
        if pairs:
            cells = []
            for lw, ds in pairs:
                ours, theirs = figures.loads[lw].get(request), figures.loads[ds].get(request)
                if ours is None or theirs is None:
                    cells.append("")
                    continue
                cells.append(_against(ours.requests_per_second, theirs.requests_per_second, 3, " "))
            lines.append(f"| ≥ 3x Datasette's req/s, {request} | " + " | ".join(cells) + " |")
    per_lw: list[tuple[str, dict[str, str]]] = [
        ("p99 < 50 ms, list and detail", {}),
        ("p99 < 50 ms, every request", {}),
        ("no non-2xx, no socket error", {}),
        (f"page {figures.deep_page:,} within 2x the first page's time", {}),
    ]
    for lw in lws:
        loads = figures.loads[lw]
        if not loads:
            continue
        reads = [loads[request] for request in ("list", "detail") if request in loads]
        if reads:
            slowest = max(result.p99_ms for result in reads)
            per_lw[0][1][lw] = f"{slowest:.1f} ms {_mark(slowest < 50)}"
        worst = max(loads.values(), key=lambda result: result.p99_ms)
        per_lw[1][1][lw] = f"{worst.p99_ms:.1f} ms {_mark(worst.p99_ms < 50)}"
        bad = sum(result.non2xx + result.socket_errors for result in loads.values())
        per_lw[2][1][lw] = f"{bad} {_mark(bad == 0)}"
        if "first" in loads and "deep" in loads:
            slower = loads["first"].requests_per_second / loads["deep"].requests_per_second
            per_lw[3][1][lw] = f"{slower:.2f}x {_mark(slower <= 2)}"
    for name, cells_by_lw in per_lw:
        if not cells_by_lw:  # a target none of the requests loaded measures
            continue
        lines.append(f"| {name} | " + " | ".join(cells_by_lw.get(lw, "") for lw, _ds in columns) + " |")
    lines += ["", "| other target or figure | measured | |", "|---|--:|:-:|"]
    sqlite = figures.ingest.get("sqlite")
    if sqlite:
        rate = sqlite["claims_per_second"]
        lines.append(
            f"| ingest ≥ 20,000 claims/s, SQLite | {rate:,.0f} claims/s ({sqlite['seconds']:.1f} s) "
            f"| {_mark(rate >= 20_000)} |"
        )
    postgres = figures.ingest.get("postgresql")
    if postgres:
        rate = postgres["claims_per_second"]
        lines.append(
            f"| ingest ≥ 10,000 claims/s, PostgreSQL | {rate:,.0f} claims/s ({postgres['seconds']:.1f} s) "
            f"| {_mark(rate >= 10_000)} |"
        )
    for pg, lite in _postgres_pairs(figures):
        for request in ("list", "detail"):
            ours, theirs = figures.loads[pg].get(request), figures.loads[lite].get(request)
            if ours and theirs:
                ratio = ours.requests_per_second / theirs.requests_per_second
                lines.append(
                    f"| {_short(figures, pg)} ≥ 0.5x {_short(figures, lite)}, {request} | {ratio:.2f}x "
                    f"| {_mark(ratio >= 0.5)} |"
                )
    for request, name in (("search", "full text"), ("broad", "broad full text")):
        for lw in _keys(figures, "laborwatch"):
            ours = figures.loads[lw].get(request)
            for ds in _keys(figures, "Datasette"):
                theirs = figures.loads[ds].get(request)
                if ours and theirs and figures.servers[lw]["workers"] == 1:
                    lines.append(
                        f"| {name} ≥ 2x Datasette, {_short(figures, lw)} vs {_short(figures, ds)} | "
                        + _against(ours.requests_per_second, theirs.requests_per_second, 2, " | ")
                        + " |"
                    )
    for ds in _keys(figures, "Datasette"):
        loads = figures.loads[ds]
        if "first" in loads and "deep" in loads:
            slower = loads["first"].requests_per_second / loads["deep"].requests_per_second
            lines.append(
                f"| ({figures.servers[ds]['label']}: page {figures.deep_page:,} against its first) "
                f"| {slower:.2f}x | |"
            )
        bad = sum(result.non2xx + result.socket_errors for result in loads.values())
        lines.append(f"| ({figures.servers[ds]['label']}: non-2xx and socket errors) | {bad} | |")
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
