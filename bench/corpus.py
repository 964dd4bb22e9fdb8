"""A generator of synthetic corpora: a fresh, migrated database filled with N claims, fast and deterministic.

Rows go in with SQLAlchemy Core `executemany` in large batches, not through the bundle loader (which checks
and places every quote and would take hours for a million claims). Every NOT NULL column is filled,
`search_text` included (by the loader's own functions), so SQLite's FTS5 triggers (or PostgreSQL's GIN
indexes) do their real work. Each report's body is made of its claims' quotes, so every span is exact.

Lineage and ranges (docs/evidence.md): a share of reports derive from a recent one, as reprints (its body
under a new first line, `derived_from` with relation `reprint`), translations (a Korean body of the same
claims, relation `translation`) and undeclared copies (its body under a new id, found by the body key);
a share of worker counts give a range (`high`), and half the worker counts of a facility named again
repeat its last figure, give or take a tenth, so that some figures are corroborated. What the loader
derives is then derived by the project's own code, not restated here: origins by the lineage rule
(`api.reports.lineage.recompute_all_origins`), the facilities' figures, counts and the claims' stored
support by `api.facilities.figures.recompute_all_figures` (both what `laborwatch recompute` runs).

Run `python -m bench.corpus 1000000 --out /tmp/claims.db` to build one on its own.
"""

import argparse
import hashlib
import itertools
import math
import random
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote

from sqlalchemy import Engine, Table, create_engine, event, func, select, text

from api.claims.listing import claim_search_text
from api.db.engine import write_session
from api.db.migrate import migrate
from api.facilities.figures import dated_on, recompute_all_figures
from api.facilities.names import name_columns
from api.kit.search import fold
from api.reports.lineage import body_key, recompute_all_origins
from api.reports.listing import report_search_text
from api.vocabulary import PREDICATES, Relation
from models import metadata

CLAIMS_PER_REPORT = 1000
CLAIMS_PER_FACILITY = 200
FACILITIES_PER_REPORT = (1, 8)
INSERT_BATCH = 25_000
DEFAULT_SEED = 20261128
# Lineage and ranges (docs/evidence.md). Of the reports, these shares derive from one of the last
# `LINEAGE_WINDOW` reports: declared reprints, declared translations, and copies that declare nothing.
REPRINT_SHARE = 0.15
TRANSLATION_SHARE = 0.10
COPY_SHARE = 0.05
LINEAGE_WINDOW = 16
# Of worker counts, this share give a range ("between 40 and 60"); a facility's count repeats its last
# one, give or take a tenth, this share of the time.
RANGE_SHARE = 0.1
AGREE_SHARE = 0.5
REPRINTERS = ("Aggregator Wire", "Asia Digest", "Korea Monitor Daily")

Progress = Callable[[str], None]

PLACES = (
    ("Vladivostok", "Primorsky Krai", "RU", 43.12, 131.89),
    ("Khabarovsk", "Khabarovsk Krai", "RU", 48.48, 135.08),
    ("Irkutsk", "Irkutsk Oblast", "RU", 52.29, 104.28),
    ("Moscow", None, "RU", 55.76, 37.62),
    ("Novosibirsk", "Novosibirsk Oblast", "RU", 55.01, 82.93),
    ("Dandong", "Liaoning", "CN", 40.12, 124.38),
    ("Hunchun", "Jilin", "CN", 42.87, 130.36),
    ("Shenyang", "Liaoning", "CN", 41.80, 123.43),
    ("Yanji", "Jilin", "CN", 42.89, 129.51),
    ("Ulaanbaatar", None, "MN", 47.89, 106.91),
    ("Dubai", None, "AE", 25.20, 55.27),
    ("Doha", None, "QA", 25.29, 51.53),
    ("Kuwait City", None, "KW", 29.38, 47.99),
    ("Warsaw", "Masovia", "PL", 52.23, 21.01),
    ("Luanda", None, "AO", -8.84, 13.23),
)
KINDS = {
    "garment": ("factory", "workshop"),
    "construction": ("construction_site", "dormitory"),
    "catering": ("restaurant",),
    "fishing": ("fishery", "processing_plant"),
    "logging": ("logging_camp", "sawmill"),
    "agriculture": ("farm", "greenhouse"),
    "it": ("office",),
}
NAME_WORDS = (
    "Amur", "Baikal", "Pacific", "Northern", "Golden", "Eastern", "Siberian", "Red Star", "Harbour", "Taiga",
    "Pine", "Morning", "Bright", "United", "Friendship", "Victory", "Ocean", "Steppe", "Crane", "River",
)  # fmt: skip
OPERATORS = (
    ("Korea Rungra Trading", "KP"),
    ("Chonji Industrial Group", "KP"),
    ("Kangsong General Corporation", "KP"),
    ("Far East Stroy LLC", "RU"),
    ("Dalian Haixing Garments", "CN"),
    ("Liaoning Hongxiang Group", "CN"),
    (None, None),
)
PUBLISHERS = ("Daily NK", "NK News", "Radio Free Asia", "Asia Press", "Open Newsroom", "Vostok Monitor")
PEOPLE = ("Kim Min-ji", "Lee Seung-ho", "Park Ji-won", "Anna Sokolova", "Chen Wei", "Ivan Petrov")
ROLES = ("author", "translator", "editor")
SOURCES = (
    "a source in {city}",
    "a former worker",
    "a local official in {city}",
    "a trading company employee",
    "a manager at the site",
)
VERBS = ("were employed", "worked", "were seen working", "were housed", "were registered")
HOURS_PHRASES = ("worked up to", "were made to work", "put in", "logged")
TEXT_VALUES: dict[str, tuple[str, ...]] = {
    "product_mix": ("winter coats", "work uniforms", "sportswear", "fish fillets", "timber", "vegetables"),
    "client_demand": ("orders from Russian retailers rose", "Chinese buyers cut their orders", "orders held"),
    "operating_status": ("operating", "suspended", "closed", "reopened under a new name"),
    "rotation": ("workers rotate every three years", "no rotation since the border closed"),
    "training": ("two weeks of training on arrival", "no training before work"),
    "wages": ("most of the wages go to the state", "wages unpaid for months", "paid in yuan"),
    "quota": ("a monthly quota per worker", "quotas doubled before holidays"),
    "profitability": ("profitable", "making losses", "break-even"),
    "existence": ("the site exists", "the site could not be confirmed"),
}
NUMERIC = [name for name, spec in PREDICATES.items() if spec.numeric]
PREDICATE_NAMES = list(PREDICATES)
# worker_count is the claim the API is built around: weight 30; other numbers 6; text predicates 3.
PREDICATE_WEIGHTS = [
    30 if n == "worker_count" else 6 if PREDICATES[n].numeric else 3 for n in PREDICATE_NAMES
]
PREDICATE_CUMULATIVE = list(itertools.accumulate(float(w) for w in PREDICATE_WEIGHTS))
STATUSES = ("reported", "corroborated", "disputed", "retracted")
STATUS_CUMULATIVE = (85.0, 95.0, 99.0, 100.0)
EVIDENCE = ("source_statement", "photo_caption", "editorial")
EVIDENCE_CUMULATIVE = (80.0, 85.0, 100.0)
FIRST_PUBLISHED = date(2012, 1, 1)
PUBLISHED_DAYS = (date(2025, 12, 31) - FIRST_PUBLISHED).days


@dataclass
class CorpusSummary:
    """What was built, and how long each part took."""

    claims: int
    reports: int
    facilities: int
    links: int
    seconds: float
    migrate_seconds: float
    insert_seconds: float
    finish_seconds: float
    # Reports by how they came to be ("original", "reprint", "translation", "copy"); worker count ranges.
    lineage: dict[str, int] = field(default_factory=dict)
    ranges: int = 0


@dataclass
class _Facility:
    id: str
    name: str
    city: str
    last_count: tuple[int, int] | None = None  # the last worker count given for it, and its year


@dataclass
class _Written:
    """A report as generated, kept for a while so that later reports can derive from it."""

    report: dict[str, Any]
    contributors: list[dict[str, Any]]
    links: list[dict[str, Any]]
    claims: list[dict[str, Any]]


def _pick(rng: random.Random, values: tuple[str, ...], cumulative: tuple[float, ...] | list[float]) -> str:
    return rng.choices(values, cum_weights=cumulative)[0]


def _facility_rows(
    rng: random.Random, count: int, created_at: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[_Facility]]:
    rows: list[dict[str, Any]] = []
    aliases: list[dict[str, Any]] = []
    facilities: list[_Facility] = []
    sectors = tuple(KINDS)
    for index in range(count):
        sector = rng.choice(sectors)
        kind = rng.choice(KINDS[sector])
        city, region, country, lat, lon = rng.choice(PLACES)
        operator, operator_country = rng.choice(OPERATORS)
        name = f"{rng.choice(NAME_WORDS)} {sector.title()} {kind.replace('_', ' ').title()} No. {index + 1}"
        facility_id = f"bench-facility-{index:07d}"
        alias_names = [f"{city} {kind.replace('_', ' ')} {index + 1}"] if rng.random() < 0.3 else []
        names = name_columns(name, alias_names, operator, city, region)
        exact = rng.random() < 0.4
        rows.append(
            {
                "id": facility_id,
                "name": name,
                "kind": kind,
                "sector": sector,
                "operator": operator,
                "operator_country": operator_country,
                "city": city,
                "region": region,
                "country": country,
                "city_fold": fold(city),
                "region_fold": fold(region),
                "sector_fold": fold(sector),
                "kind_fold": fold(kind),
                "lat": round(lat + rng.uniform(-0.2, 0.2), 5) if exact else lat,
                "lon": round(lon + rng.uniform(-0.2, 0.2), 5) if exact else lon,
                "precision": "exact" if exact else "city",
                "claim_count": 0,
                "report_count": 0,
                "search_text": names["search_text"],
                "aliases": names["aliases"],
                "created_at": created_at,
            }
        )
        aliases.extend(
            {"facility_id": facility_id, "position": position, "alias": alias}
            for position, alias in enumerate(alias_names)
        )
        facilities.append(_Facility(facility_id, name, city))
    return rows, aliases, facilities


def _sentence(
    rng: random.Random, predicate: str, facility: _Facility | None, year: int
) -> tuple[str, str | None, float | None, str | None, bool, float | None]:
    """A claim's quote, subject, numeric or text value, whether the number is approximate, and the top of
    the range a worker count gives (None when it gives one figure)."""
    where = f"the {facility.name} in {facility.city}" if facility else "sites across the region"
    source = rng.choice(SOURCES).format(city=facility.city if facility else "the region")
    approximate = predicate in NUMERIC and rng.random() < 0.3
    about = "About " if approximate else ""
    if predicate == "worker_count":
        count = rng.randint(5, 3000)
        if rng.random() < RANGE_SHARE:
            high = count + rng.randint(1, max(1, count // 2))
            quote = (
                f"Between {count} and {high} North Korean workers {rng.choice(VERBS)} at {where} in {year}, "
                f"said {source}."
            )
            return quote, "North Korean workers", float(count), None, False, float(high)
        quote = (
            f"{about}{count} North Korean workers {rng.choice(VERBS)} at {where} in {year}, said {source}."
        )
        return quote, "North Korean workers", float(count), None, approximate, None
    if predicate in ("working_hours", "sleep_hours"):
        hours = rng.randint(10, 20) if predicate == "working_hours" else rng.randint(3, 7)
        phrase = rng.choice(HOURS_PHRASES) if predicate == "working_hours" else "slept only"
        quote = f"Workers at {where} {phrase} {hours} hours a day in {year}, according to {source}."
        return quote, "workers", float(hours), None, approximate, None
    if predicate == "skill_share":
        share = rng.randint(5, 95)
        quote = (
            f"{about}{share} percent of the workers at {where} were skilled hands in {year}, said {source}."
        )
        return quote, "skilled workers", float(share), None, approximate, None
    if predicate == "production_change":
        ratio = round(rng.uniform(0.3, 3.0), 2)
        quote = f"Output at {where} changed by a factor of {ratio} in {year}, {source} estimated."
        return quote, "output", ratio, None, approximate, None
    value = rng.choice(TEXT_VALUES[predicate])
    quote = f"In {year}, {source} said of {where}: {value}."
    # As the bundle rules require, a claim names a facility or says in words what it is about.
    return quote, None if facility else "North Korean workers in the region", None, value, False, None


def _report_row(
    report_id: str,
    title: str,
    publisher: str,
    published_on: date,
    body: str,
    claim_total: int,
    ingested_at: datetime,
    *,
    language: str = "en",
    derived_from: str | None = None,
    relation: str | None = None,
) -> dict[str, Any]:
    """A report's row as the loader writes it before its origin is settled (its own id)."""
    return {
        "id": report_id,
        "title": title,
        "publisher": publisher,
        "publisher_fold": fold(publisher),
        "url": f"https://example.org/{url_quote(report_id)}",
        "published_on": published_on,
        "language": language,
        "source": "Synthetic sources",
        "body": body,
        "sha256": hashlib.sha256(body.encode()).hexdigest(),
        "bundle_sha256": hashlib.sha256(f"bench:{report_id}".encode()).hexdigest(),
        "claim_count": claim_total,
        "search_text": report_search_text(title, body),
        "derived_from": derived_from,
        "derived_relation": relation,
        "origin_id": report_id,
        "body_key": body_key(body),
        "ingested_at": ingested_at,
    }


def _report_rows(
    rng: random.Random,
    index: int,
    claim_total: int,
    first_claim: int,
    facilities: list[_Facility],
    ingested_at: datetime,
) -> _Written:
    """One report with its contributors, facility links and claims (pks continue from `first_claim`)."""
    report_id = f"bench-report-{index:07d}"
    published_on = FIRST_PUBLISHED + timedelta(days=rng.randrange(PUBLISHED_DAYS))
    chosen = rng.sample(facilities, min(len(facilities), rng.randint(*FACILITIES_PER_REPORT)))
    publisher = rng.choice(PUBLISHERS)
    title = f"{publisher}: North Korean workers at {chosen[0].name} ({published_on.year})"
    parts = [title, "\n\n"]
    offset = len(title) + 2
    claims: list[dict[str, Any]] = []
    for position in range(claim_total):
        facility = rng.choice(chosen) if rng.random() < 0.9 else None
        predicate = rng.choices(PREDICATE_NAMES, cum_weights=PREDICATE_CUMULATIVE)[0]
        year = published_on.year - rng.randint(0, 3)
        quote, subject, number, value_text, approximate, high = _sentence(rng, predicate, facility, year)
        if predicate == "worker_count" and facility is not None:
            known = facility.last_count
            if known is not None and rng.random() < AGREE_SHARE:
                # The facility's last count again, give or take a tenth: a figure others may corroborate.
                count = known[0] + rng.randint(-known[0] // 10, known[0] // 10)
                year = min(known[1], published_on.year)
                number, approximate, high = float(count), True, None
                quote = f"About {count} North Korean workers were counted at the {facility.name} in {year}."
            facility.last_count = (int(number or 0), year)
        separator = "\n\n" if position % 8 == 7 else " "
        start, end = offset, offset + len(quote)
        parts.append(quote)
        parts.append(separator)
        offset = end + len(separator)
        period_start = period_end = None
        if rng.random() < 0.5:
            period_start = date(year, 1, 1)
            period_end = min(date(year, 12, 31), published_on)
        status = _pick(rng, STATUSES, STATUS_CUMULATIVE)
        claim_id = f"clm-{rng.getrandbits(80):020x}"
        attributed_to = rng.choice(SOURCES).format(city="the region") if rng.random() < 0.6 else None
        claims.append(
            {
                "id": claim_id,
                "report_id": report_id,
                "facility_id": facility.id if facility else None,
                "position": position,
                "subject": subject,
                "predicate": predicate,
                "value_number": number,
                "high": high,
                "value_text": value_text,
                "unit": PREDICATES[predicate].unit,
                "approximate": approximate,
                "period_start": period_start,
                "period_end": period_end,
                "quote": quote,
                "span_start": start,
                "span_end": end,
                "attributed_to": attributed_to,
                "evidence": _pick(rng, EVIDENCE, EVIDENCE_CUMULATIVE),
                "status": status,
                "notes": "Synthetic claim for benchmarks." if rng.random() < 0.05 else None,
                "dated_on": dated_on(period_end, published_on),
                "search_text": claim_search_text(quote, subject),
            }
        )
    body = "".join(parts)
    report = _report_row(report_id, title, publisher, published_on, body, claim_total, ingested_at)
    contributors = [
        {"report_id": report_id, "position": position, "name": name, "role": ROLES[position % len(ROLES)]}
        for position, name in enumerate(rng.sample(PEOPLE, rng.randint(1, 2)))
    ]
    links = [{"report_id": report_id, "facility_id": facility.id} for facility in chosen]
    return _Written(report, contributors, links, claims)


# Korean sentences of a translation (invented wording; the numbers and names are the claim's own).
KOREAN_WORKERS = "{where}에서 북한 노동자 {count}명이 일했다고 한 소식통이 전했다."
KOREAN_HOURS = {
    "working_hours": "{where}의 노동자들은 하루 {value}시간 일했다.",
    "sleep_hours": "{where}의 노동자들은 하루 {value}시간밖에 자지 못했다.",
    "skill_share": "{where} 노동자의 {value}퍼센트가 숙련공이었다.",
    "production_change": "{where}의 생산량은 {value}배로 변했다.",
}
KOREAN_SAID = "{where}에 대해 한 소식통은 이렇게 말했다: {value}."


def _korean(claim: dict[str, Any], names: dict[str, _Facility]) -> str:
    """A claim said in Korean, for a translation's body."""
    facility = names.get(claim["facility_id"] or "")
    where = f"{facility.city}의 {facility.name}" if facility else "이 지역의 현장들"
    number = claim["value_number"]
    value = f"{number:g}" if number is not None else claim["value_text"] or "알 수 없음"
    if claim["approximate"]:
        value = f"약 {value}"
    if claim["predicate"] == "worker_count":
        high = claim["high"]
        return KOREAN_WORKERS.format(where=where, count=f"{value}~{high:g}" if high is not None else value)
    template = KOREAN_HOURS.get(claim["predicate"], KOREAN_SAID)
    return template.format(where=where, value=value)


def _derived_rows(
    rng: random.Random,
    index: int,
    first_claim: int,
    parent: _Written,
    kind: str,
    names: dict[str, _Facility],
    ingested_at: datetime,
) -> _Written:
    """A report deriving from `parent`: its reprint, its translation, or an undeclared copy of its body.

    The same claims (values, ranges, periods, statuses, facilities) under new ids, their quotes placed in
    the new body; claims without a period are dated by the new report's publication, as the loader does.
    """
    report_id = f"bench-report-{index:07d}"
    source = parent.report
    published_on = source["published_on"] + timedelta(days=rng.randint(0, 60))
    publisher = rng.choice(REPRINTERS)
    quotes: list[tuple[str, int]]  # each claim's quote and where it starts in the new body
    if kind == "translation":
        title = f"{source['title']} (한국어)"
        parts = [title, "\n\n"]
        offset = len(title) + 2
        quotes = []
        for claim in parent.claims:
            quote = _korean(claim, names)
            quotes.append((quote, offset))
            parts += [quote, " "]
            offset += len(quote) + 1
        body = "".join(parts)
    else:
        prefix = f"Reprinted from {source['publisher']}.\n\n" if kind == "reprint" else ""
        title, body = source["title"], prefix + source["body"]
        quotes = [(claim["quote"], claim["span_start"] + len(prefix)) for claim in parent.claims]
    claims = []
    for claim, (quote, start) in zip(parent.claims, quotes, strict=True):
        claims.append(
            claim
            | {
                "id": f"clm-{rng.getrandbits(80):020x}",
                "report_id": report_id,
                "quote": quote,
                "span_start": start,
                "span_end": start + len(quote),
                "dated_on": dated_on(claim["period_end"], published_on),
                "search_text": claim_search_text(quote, claim["subject"]),
            }
        )
    declared = kind in (Relation.reprint.value, Relation.translation.value)
    report = _report_row(
        report_id, title, publisher, published_on, body, len(claims), ingested_at,
        language="ko" if kind == "translation" else source["language"],
        derived_from=source["id"] if declared else None,
        relation=kind if declared else None,
    )  # fmt: skip
    contributors = [row | {"report_id": report_id} for row in parent.contributors]
    links = [row | {"report_id": report_id} for row in parent.links]
    return _Written(report, contributors, links, claims)


def _lineage(rng: random.Random, recent: deque[_Written], claim_total: int) -> tuple[str, _Written | None]:
    """How the next report comes to be: an original, or derived (and from which recent report)."""
    roll = rng.random()
    kind = "original"
    if roll < REPRINT_SHARE:
        kind = Relation.reprint.value
    elif roll < REPRINT_SHARE + TRANSLATION_SHARE:
        kind = Relation.translation.value
    elif roll < REPRINT_SHARE + TRANSLATION_SHARE + COPY_SHARE:
        kind = "copy"
    # Only a report of as many claims can be derived from (all but the last have `claims_per_report`).
    candidates = [written for written in recent if len(written.claims) == claim_total]
    if kind == "original" or not candidates:
        return "original", None
    return kind, rng.choice(candidates)


@contextmanager
def _bulk_sqlite(engine: Engine) -> Iterator[None]:
    """Speed SQLite up while the corpus goes in (no journal, no fsync); WAL again afterwards."""
    if engine.dialect.name != "sqlite":
        yield
        return

    def tune(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode = OFF")
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA cache_size = -262144")
        cursor.close()

    event.listen(engine, "connect", tune)
    engine.dispose()
    try:
        yield
    finally:
        event.remove(engine, "connect", tune)
        engine.dispose()
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode = WAL")
            connection.exec_driver_sql("ANALYZE")
        engine.dispose()


def build_corpus(
    engine: Engine,
    claims: int,
    *,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    claims_per_report: int = CLAIMS_PER_REPORT,
    claims_per_facility: int = CLAIMS_PER_FACILITY,
) -> CorpusSummary:
    """Migrate the empty database behind `engine` and fill it with `claims` synthetic claims.

    `claims_per_report` and `claims_per_facility` set how many reports and facilities they spread over.
    """
    say = progress or (lambda _message: None)
    rng = random.Random(seed)
    started = time.perf_counter()
    migrate(engine)
    migrated = time.perf_counter()
    tables: dict[str, Table] = dict(metadata.tables)
    created_at = datetime(2026, 1, 1, tzinfo=UTC)
    facility_count = max(1, claims // claims_per_facility)
    report_count = max(1, math.ceil(claims / claims_per_report))
    facility_rows, alias_rows, facilities = _facility_rows(rng, facility_count, created_at)
    names = {facility.id: facility for facility in facilities}
    links_total = ranges = 0
    lineage: dict[str, int] = {}
    recent: deque[_Written] = deque(maxlen=LINEAGE_WINDOW)
    with _bulk_sqlite(engine):
        with engine.begin() as connection:
            connection.execute(tables["facility"].insert(), facility_rows)
            if alias_rows:
                connection.execute(tables["facility_alias"].insert(), alias_rows)
        pending: dict[str, list[dict[str, Any]]] = {
            "report": [],
            "report_contributor": [],
            "report_facility": [],
            "claim": [],
        }
        written = 0
        next_pk = 1

        def flush() -> None:
            with engine.begin() as connection:
                for name in ("report", "report_contributor", "report_facility", "claim"):
                    if pending[name]:
                        connection.execute(tables[name].insert(), pending[name])
                        pending[name] = []

        for index in range(report_count):
            total = min(claims_per_report, claims - index * claims_per_report)
            kind, parent = _lineage(rng, recent, total)
            if parent is None:
                report = _report_rows(rng, index, total, next_pk, facilities, created_at)
            else:
                report = _derived_rows(rng, index, next_pk, parent, kind, names, created_at)
            recent.append(report)
            lineage[kind] = lineage.get(kind, 0) + 1
            ranges += sum(claim["high"] is not None for claim in report.claims)
            next_pk += total
            links_total += len(report.links)
            pending["report"].append(report.report)
            pending["report_contributor"].extend(report.contributors)
            pending["report_facility"].extend(report.links)
            pending["claim"].extend(report.claims)
            if len(pending["claim"]) >= INSERT_BATCH or index == report_count - 1:
                written += len(pending["claim"])
                flush()
                elapsed = time.perf_counter() - migrated
                say(f"  {written:>9,} / {claims:,} claims  {elapsed:6.1f} s  ({written / elapsed:,.0f}/s)")
        inserted = time.perf_counter()
        # What the loader derives, by the functions `laborwatch recompute` runs: origins, then each
        # facility's figure, counts and its claims' support.
        with write_session(engine) as session:
            recompute_all_origins(session)
            recompute_all_figures(session)
        with engine.begin() as connection:
            stored = connection.scalar(select(func.count()).select_from(tables["claim"]))
        if stored != claims:
            raise RuntimeError(f"expected {claims} claims in the corpus, found {stored}")
    finished = time.perf_counter()
    say(f"  origins, facility figures and support, ANALYZE/WAL: {finished - inserted:.1f} s")
    return CorpusSummary(
        claims=claims,
        reports=report_count,
        facilities=facility_count,
        links=links_total,
        seconds=finished - started,
        migrate_seconds=migrated - started,
        insert_seconds=inserted - migrated,
        finish_seconds=finished - inserted,
        lineage=lineage,
        ranges=ranges,
    )


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def schema_url(base_url: str, schema: str) -> str:
    """A PostgreSQL URL whose connections use `schema` as their search path."""
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}"


def create_schema(base_url: str, schema: str) -> None:
    """Create an empty PostgreSQL schema (dropping any left from an earlier run)."""
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()


def drop_schema(base_url: str, schema: str) -> None:
    """Drop a PostgreSQL schema and everything in it."""
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def main(argv: list[str] | None = None) -> int:
    """Build one corpus from the command line and print how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("claims", type=int, help="How many claims to generate.")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="A new SQLite file to create.")
    target.add_argument("--database-url", help="A PostgreSQL URL; the corpus goes into --schema.")
    parser.add_argument("--schema", default="bench", help="PostgreSQL schema to (re)create (default bench).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed (default %(default)s).")
    parser.add_argument(
        "--claims-per-report", type=int, default=CLAIMS_PER_REPORT, help="Default %(default)s."
    )
    parser.add_argument(
        "--claims-per-facility", type=int, default=CLAIMS_PER_FACILITY, help="Default %(default)s."
    )
    args = parser.parse_args(argv)
    if args.out is not None:
        if args.out.exists():
            parser.error(f"{args.out} exists; give a new file")
        url = sqlite_url(args.out)
    else:
        create_schema(args.database_url, args.schema)
        url = schema_url(args.database_url, args.schema)
    engine = create_engine(url)
    try:
        summary = build_corpus(
            engine,
            args.claims,
            seed=args.seed,
            progress=print,
            claims_per_report=args.claims_per_report,
            claims_per_facility=args.claims_per_facility,
        )
    finally:
        engine.dispose()
    print(
        f"built {summary.claims:,} claims, {summary.reports:,} reports, {summary.facilities:,} facilities, "
        f"{summary.links:,} report-facility links, {summary.ranges:,} ranges; reports by lineage "
        f"{summary.lineage}; in {summary.seconds:.1f} s "
        f"(migrate {summary.migrate_seconds:.1f} s, insert {summary.insert_seconds:.1f} s, "
        f"finish {summary.finish_seconds:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
