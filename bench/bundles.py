"""A synthetic corpus as bundle files (contract section 5): one JSON bundle per report, from a seed.

By default 1,000 reports, 10,000 facilities and 100,000 claims (`scale` multiplies all three). Each report
declares about ten facilities of its own and may name a few stored earlier by reusing their ids, some
declared again as stored, some by id alone. Every quote is a sentence of its report's body, found once,
or carries `occurrence` when the same sentence recurs. Facilities are mostly in Russia, with a fixed
share in Irkutsk so that `country=RU&city=Irkutsk` fills a page of 50 at the default size.

Run `python -m bench.bundles OUT_DIR [--scale 0.1]` to write one on its own.
"""

import argparse
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from api.vocabulary import PREDICATES
from bench.corpus import NAME_WORDS, PEOPLE, PUBLISHERS

DEFAULT_SEED = 20261201
# Lineage and ranges (docs/evidence.md): a share of reports copy the previous one's body and claims
# without saying so (an aggregator's reprint), a share declare `derived_from` an earlier report, and a
# share of worker counts give a range ("between 40 and 60").
COPY_SHARE = 0.05
DERIVED_SHARE = 0.15
RELATIONS = ("reprint", "translation", "cites")
RANGE_SHARE = 0.1
AGREE_SHARE = 0.5
REPORTS = 1_000
FACILITIES = 10_000
CLAIMS = 100_000
MANIFEST = ".manifest"  # not a bundle suffix, so `laborwatch ingest FOLDER` skips it

# (city, region, country, lat, lon, weight): Russia has most facilities, Irkutsk 12% of all of them.
PLACES = (
    ("Irkutsk", "Irkutsk Oblast", "RU", 52.29, 104.28, 12),
    ("Vladivostok", "Primorsky Krai", "RU", 43.12, 131.89, 16),
    ("Khabarovsk", "Khabarovsk Krai", "RU", 48.48, 135.08, 10),
    ("Moscow", "Moscow", "RU", 55.76, 37.62, 8),
    ("Novosibirsk", "Novosibirsk Oblast", "RU", 55.01, 82.93, 5),
    ("Tomsk", "Tomsk Oblast", "RU", 56.49, 84.95, 4),
    ("Ulan-Ude", "Buryatia", "RU", 51.83, 107.58, 3),
    ("Yuzhno-Sakhalinsk", "Sakhalin Oblast", "RU", 46.96, 142.74, 3),
    ("Dandong", "Liaoning", "CN", 40.12, 124.38, 10),
    ("Hunchun", "Jilin", "CN", 42.87, 130.36, 6),
    ("Shenyang", "Liaoning", "CN", 41.80, 123.43, 5),
    ("Yanji", "Jilin", "CN", 42.89, 129.51, 4),
    ("Ulaanbaatar", "Ulaanbaatar", "MN", 47.89, 106.91, 3),
    ("Dubai", "Dubai", "AE", 25.20, 55.27, 3),
    ("Doha", "Doha", "QA", 25.29, 51.53, 3),
    ("Kuwait City", "Al Asimah", "KW", 29.38, 47.99, 2),
    ("Gdansk", "Pomerania", "PL", 54.35, 18.65, 1),
    ("Luanda", "Luanda", "AO", -8.84, 13.23, 2),
)
PLACE_WEIGHTS = [place[5] for place in PLACES]
KINDS = {
    "garment": ("factory", "workshop"),
    "construction": ("site", "dormitory"),
    "catering": ("restaurant",),
    "fishing": ("fishery", "processing_plant"),
    "logging": ("logging_camp", "sawmill"),
    "agriculture": ("farm", "greenhouse"),
    "it": ("company",),
}
OPERATORS = (
    ("Korea Rungra Trading", "KP"),
    ("Chonji Industrial Group", "KP"),
    ("Kangsong General Corporation", "KP"),
    ("Far East Stroy LLC", "RU"),
    ("Dalian Haixing Garments", "CN"),
    (None, None),
)
ROLES = ("author", "translator", "editor", "photographer", "source")
SOURCES = (
    "a source in {city}",
    "a former worker",
    "a local official in {city}",
    "a trading company employee",
    "a manager at the site",
    "a reporting partner in {city}",
)
VERBS = ("were employed", "worked", "were seen working", "were housed", "were registered")
TEXT_VALUES: dict[str, tuple[str, ...]] = {
    "product_mix": ("winter coats", "work uniforms", "sportswear", "fish fillets", "timber", "vegetables"),
    "client_demand": ("orders from Russian retailers rose", "Chinese buyers cut their orders", "orders held"),
    "operating_status": ("operating", "suspended", "closed", "reopened under a new name"),
    "rotation": ("workers rotate every three years", "no rotation since the border closed"),
    "training": ("two weeks of training on arrival", "no training before work"),
    "wages": ("most of the wages go to the state", "wages unpaid for months", "paid in yuan"),
    "quota": ("a monthly quota of 2,000 pieces", "the quota was doubled"),
    "profitability": ("profitable", "making losses", "break-even"),
    "existence": ("the site exists", "the site could not be confirmed"),
}
PREDICATE_NAMES = list(PREDICATES)
# worker_count is the claim the API is built around: weight 30; other numbers 6; text predicates 3.
PREDICATE_WEIGHTS = [
    30 if name == "worker_count" else 6 if PREDICATES[name].numeric else 3 for name in PREDICATE_NAMES
]
STATUSES = ("reported", "corroborated", "disputed", "retracted")
STATUS_WEIGHTS = (80, 12, 6, 2)
EVIDENCE = ("source_statement", "photo_caption", "editorial")
EVIDENCE_WEIGHTS = (80, 5, 15)
FIRST_PUBLISHED = date(2012, 1, 1)
PUBLISHED_DAYS = (date(2025, 12, 31) - FIRST_PUBLISHED).days


@dataclass(frozen=True)
class CorpusSize:
    """How many reports, facilities and claims a corpus holds."""

    reports: int
    facilities: int
    claims: int

    @classmethod
    def scaled(cls, scale: float) -> "CorpusSize":
        """The default size times `scale` (at least one report, one facility and one claim per report)."""
        reports = max(1, round(REPORTS * scale))
        return cls(reports, max(1, round(FACILITIES * scale)), max(reports, round(CLAIMS * scale)))


@dataclass(frozen=True)
class CorpusInfo:
    """What a written corpus holds, and a few values the read benchmark queries for."""

    folder: Path
    size: CorpusSize
    seed: int
    bundles: int
    seconds: float


def _facility(rng: random.Random, index: int) -> dict[str, Any]:
    sector = rng.choice(tuple(KINDS))
    kind = rng.choice(KINDS[sector])
    city, region, country, lat, lon, _weight = rng.choices(PLACES, weights=PLACE_WEIGHTS)[0]
    operator, operator_country = rng.choice(OPERATORS)
    label = kind.replace("_", " ").title()
    name = f"{rng.choice(NAME_WORDS)} {sector.title()} {label} No. {index + 1}"
    facility: dict[str, Any] = {
        "id": f"bench-facility-{index:07d}",
        "name": name,
        "kind": kind,
        "sector": sector,
        "city": city,
        "region": region,
        "country": country,
    }
    if rng.random() < 0.3:
        facility["aliases"] = [f"{city} {label.lower()} {index + 1}"]
    if operator:
        facility["operator"] = operator
    if operator_country:
        facility["operator_country"] = operator_country
    roll = rng.random()
    if roll < 0.4:
        facility["location"] = {
            "lat": round(lat + rng.uniform(-0.2, 0.2), 5),
            "lon": round(lon + rng.uniform(-0.2, 0.2), 5),
            "precision": "exact",
        }
    elif roll < 0.9:
        facility["location"] = {"lat": lat, "lon": lon, "precision": "city"}
    return facility


def _sentence(
    rng: random.Random, predicate: str, facility: dict[str, Any] | None, year: int
) -> tuple[str, Any, bool, int | None]:
    """A claim's sentence, its value (number, text or null), whether the number is approximate, and the
    top of the range a worker count gives (None when it gives one figure)."""
    city = facility["city"] if facility else "the region"
    where = f"the {facility['name']} in {city}" if facility else "sites across the region"
    source = rng.choice(SOURCES).format(city=city)
    approximate = PREDICATES[predicate].numeric and rng.random() < 0.3
    about = rng.choice(("About ", "Some ", "Nearly ")) if approximate else ""
    if predicate == "worker_count":
        count = rng.randint(5, 3000)
        if rng.random() < RANGE_SHARE:
            high = count + rng.randint(1, max(1, count // 2))
            sentence = (
                f"Between {count} and {high} North Korean workers {rng.choice(VERBS)} at {where} in {year}, "
                f"said {source}."
            )
            return sentence, count, False, high
        sentence = (
            f"{about}{count} North Korean workers {rng.choice(VERBS)} at {where} in {year}, said {source}."
        )
        return sentence, count, approximate, None
    if predicate in ("working_hours", "sleep_hours"):
        hours = rng.randint(10, 20) if predicate == "working_hours" else rng.randint(3, 7)
        phrase = "worked up to" if predicate == "working_hours" else "slept only"
        prefix = about.strip().lower() + " " if about else ""
        sentence = (
            f"Workers at {where} {phrase} {prefix}{hours} hours a day in {year}, according to {source}."
        )
        return sentence, hours, approximate, None
    if predicate == "skill_share":
        share = rng.randint(5, 95)
        sentence = f"{about}{share} percent of the workers at {where} were skilled in {year}, said {source}."
        return sentence, share, approximate, None
    if predicate == "production_change":
        ratio = round(rng.uniform(0.3, 3.0), 2)
        sentence = f"Output at {where} changed by a factor of {ratio} in {year}, {source} estimated."
        return sentence, ratio, approximate, None
    value = rng.choice(TEXT_VALUES[predicate])
    return (
        f"In {year}, {source} said of {where}: {value}.",
        value if rng.random() < 0.9 else None,
        False,
        None,
    )


def _placements(title: str, sentences: list[str], quotes: list[str]) -> list[int | None]:
    """Each quote's `occurrence` among the non-overlapping matches the loader finds, None when unique.

    The text searched is the body with its white space folded, as the loader searches it; -1 marks a
    quote whose own place is hidden by an overlapping match (it cannot be placed; the caller drops it).
    """
    text = " ".join([title, *sentences])
    result: list[int | None] = []
    own_start = len(title) + 1
    for sentence, quote in zip(sentences, quotes, strict=True):
        matches: list[int] = []
        found = text.find(quote)
        while found != -1:
            matches.append(found)
            found = text.find(quote, found + len(quote))
        if len(matches) == 1:
            result.append(None)
        elif own_start in matches:
            result.append(matches.index(own_start) + 1)
        else:
            result.append(-1)
        own_start += len(sentence) + 1
    return result


def make_bundle(
    rng: random.Random,
    index: int,
    claim_total: int,
    own: list[dict[str, Any]],
    earlier: list[dict[str, Any]],
    counts: dict[str, tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """One report's bundle: its own facilities, maybe some stored earlier, and `claim_total` claims.

    `counts` remembers the last worker count (and its year) given for each facility: a report naming a
    facility reported earlier repeats it, give or take, half of the time, so that figures corroborate.
    """
    counts = {} if counts is None else counts
    published_on = FIRST_PUBLISHED + timedelta(days=rng.randrange(PUBLISHED_DAYS))
    publisher = rng.choice(PUBLISHERS)
    reused = rng.sample(earlier, min(len(earlier), rng.choice((0, 0, 0, 1, 2, 3)))) if earlier else []
    redeclared = [facility for number, facility in enumerate(reused) if number % 2 == 0]
    named = own + reused
    subject = named[0]["name"] if named else "sites across the region"
    title = f"{publisher}: North Korean workers at {subject} ({published_on.year})"
    sentences: list[str] = []
    claims: list[dict[str, Any]] = []
    for _ in range(claim_total):
        facility = rng.choice(named) if named and rng.random() < 0.92 else None
        predicate = rng.choices(PREDICATE_NAMES, weights=PREDICATE_WEIGHTS)[0]
        year = published_on.year - rng.randint(0, 3)
        sentence, value, approximate, high = _sentence(rng, predicate, facility, year)
        if predicate == "worker_count" and facility is not None:
            known = counts.get(facility["id"])
            if known is not None and rng.random() < AGREE_SHARE:
                value = known[0] + rng.randint(-known[0] // 10, known[0] // 10)
                year = min(known[1], published_on.year)
                approximate, high = True, None
                sentence = f"About {value} North Korean workers were counted at {facility['name']} in {year}."
            counts[facility["id"]] = (value, year)
        # Most quotes are the whole sentence; some leave its final full stop out.
        quote = sentence if rng.random() < 0.8 else sentence.removesuffix(".")
        claim: dict[str, Any] = {"predicate": predicate}
        if facility is not None:
            claim["facility"] = facility["id"]
        if facility is None or rng.random() < 0.2:
            claim["subject"] = "North Korean workers" if facility else "North Korean workers in the region"
        claim["value"] = value
        if high is not None:
            claim["high"] = high
        claim["unit"] = PREDICATES[predicate].unit
        if approximate:
            claim["approximate"] = True
        if rng.random() < 0.5:
            end = min(date(year, 12, 31), published_on)
            claim["period"] = {"start": date(year, 1, 1).isoformat(), "end": end.isoformat()}
        claim["quote"] = quote
        if rng.random() < 0.6:
            claim["attributed_to"] = rng.choice(SOURCES).format(city="Russia")
        claim["evidence"] = rng.choices(EVIDENCE, weights=EVIDENCE_WEIGHTS)[0]
        claim["status"] = rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0]
        if rng.random() < 0.05:
            claim["notes"] = "Synthetic claim for benchmarks."
        sentences.append(sentence)
        claims.append(claim)
    kept: list[dict[str, Any]] = []
    for claim, occurrence in zip(
        claims, _placements(title, sentences, [c["quote"] for c in claims]), strict=True
    ):
        if occurrence == -1:
            continue
        if occurrence is not None:
            claim["occurrence"] = occurrence
        kept.append(claim)
    paragraphs = [" ".join(sentences[start : start + 8]) for start in range(0, len(sentences), 8)]
    body = "\n\n".join([title, *paragraphs])
    report: dict[str, Any] = {
        "id": f"bench-report-{index:07d}",
        "title": title,
        "publisher": publisher,
        "url": f"https://example.org/reports/{index}" if rng.random() < 0.7 else None,
        "published_on": published_on.isoformat() if rng.random() < 0.95 else None,
        "language": "en",
        "contributors": [
            {"name": name, "role": rng.choice(ROLES)} for name in rng.sample(PEOPLE, rng.randint(0, 2))
        ],
        "source": f"interviews with {rng.choice(SOURCES).format(city='Russia')}",
        "body": body,
    }
    return {"report": report, "facilities": own + redeclared, "claims": kept}


def write_bundles(folder: Path, size: CorpusSize, seed: int = DEFAULT_SEED) -> CorpusInfo:
    """Write the corpus into `folder` (created; must be empty) as `report-NNNNNNN.json` files."""
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty")
    rng = random.Random(seed)
    facilities = [_facility(rng, index) for index in range(size.facilities)]
    written = 0
    previous: dict[str, Any] | None = None
    counts: dict[str, tuple[int, int]] = {}
    for index in range(size.reports):
        # Report i declares the facilities [i*F/R, (i+1)*F/R) and writes claims [i*C/R, (i+1)*C/R).
        own = facilities[
            index * size.facilities // size.reports : (index + 1) * size.facilities // size.reports
        ]
        earlier = facilities[: index * size.facilities // size.reports]
        claim_total = (index + 1) * size.claims // size.reports - index * size.claims // size.reports
        bundle = make_bundle(rng, index, claim_total, own, earlier, counts)
        lineage = rng.random()
        if previous is not None and lineage < COPY_SHARE:
            # An aggregator's reprint, undeclared: the previous report's body and claims under a new id.
            copied = previous["report"] | {"id": bundle["report"]["id"], "publisher": "Aggregator Wire"}
            bundle = {**previous, "report": copied, "facilities": previous["facilities"] + own}
        elif index and lineage < COPY_SHARE + DERIVED_SHARE:
            parent = f"bench-report-{rng.randrange(index):07d}"
            bundle["report"]["derived_from"] = {"report": parent, "relation": rng.choice(RELATIONS)}
        previous = bundle
        written += len(bundle["claims"])
        (folder / f"report-{index:07d}.json").write_text(json.dumps(bundle), encoding="utf-8")
    seconds = time.perf_counter() - started
    manifest = {"size": size.__dict__, "seed": seed, "claims_written": written, "generator": _fingerprint()}
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return CorpusInfo(folder, CorpusSize(size.reports, size.facilities, written), seed, size.reports, seconds)


def reuse_bundles(folder: Path, size: CorpusSize, seed: int = DEFAULT_SEED) -> CorpusInfo | None:
    """The corpus already in `folder` when it was written by this generator with this size and seed."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("size") != size.__dict__ or manifest.get("seed") != seed:
        return None
    if manifest.get("generator") != _fingerprint():
        return None
    claims = int(manifest["claims_written"])
    return CorpusInfo(folder, CorpusSize(size.reports, size.facilities, claims), seed, size.reports, 0.0)


def _fingerprint() -> str:
    """A hash of this module's source: bundles written by another version are not reused."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    """Write one corpus from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="An empty or new folder.")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="Size relative to 1,000 reports (default 1)."
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    info = write_bundles(args.out, CorpusSize.scaled(args.scale), args.seed)
    print(
        f"wrote {info.bundles:,} bundles, {info.size.facilities:,} facilities, {info.size.claims:,} claims "
        f"in {info.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
