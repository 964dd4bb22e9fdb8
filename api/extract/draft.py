"""Assembling a draft bundle from a report's text, and printing it as YAML the loader accepts unchanged."""

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from api.extract.credits import (
    PLACEHOLDER,
    propose_contributors,
    propose_publisher,
    propose_title,
    slugify,
)
from api.extract.describe import Workplace, describe, describe_workplace
from api.extract.figures import Binding, WorkerFigure, find_worker_figures
from api.extract.gazetteer import Place, PlaceMention, find_countries
from api.extract.learned import propose
from api.extract.locate import Located, ReportPlaces
from api.extract.sentences import Span, clause_at, span_at
from api.ingest.bundle import (
    DRAFT_BY,
    EXTRACT_NOTE,
    FILL_IN,
    REVIEW_HINT,
    Bundle,
    ClaimIn,
    ContributorIn,
    DraftIn,
    FacilityIn,
    LocationIn,
    ReportIn,
)
from api.ingest.loader import BUNDLE_SUFFIXES, parse_bundle
from api.ingest.quotes import FoldedBody
from api.vocabulary import Evidence, Precision, Status

MIN_QUOTE_WORDS = 3
_UNTITLED = f"UNTITLED {FILL_IN}"
DRAFT_MARK_NOTE = "check every value below against the text, then set reviewed: true (or delete this block)"
# The analyst's one-line edit, as `mark_reviewed` makes it.
_UNREVIEWED = re.compile(r"^(draft:\n  reviewed: )false$", re.MULTILINE)


class ExtractError(Exception):
    """The text cannot be read or drafted from; the message says why, for the person at the terminal."""


@dataclass
class _Facilities:
    """The facilities of a draft, one per place and kind of workplace, with ids unique in the draft."""

    items: list[FacilityIn] = field(default_factory=list)
    by_key: dict[tuple[str, str, str | None, str | None, str | None], str] = field(default_factory=dict)

    def facility_id(self, mention: PlaceMention, workplace: Workplace, *, one_workplace: bool = False) -> str:
        place = mention.place
        if place.level is not Precision.city:
            # A region's or a country's figure is no one workplace, unless the text placed one there.
            workplace = replace(workplace, kind=(workplace.kind or "site") if one_workplace else None)
        key = (place.name, place.country, workplace.kind, workplace.sector, workplace.operator_country)
        if key in self.by_key:
            return self.by_key[key]
        city = place.level is Precision.city
        if workplace.kind is None and not city:
            name = f"North Korean workers in {place.name}"  # a figure for a whole region or country
        else:
            description = describe_workplace(workplace)
            name = f"{description[0].upper()}{description[1:]} in {place.name}"
        base = slugify(f"{place.name} {describe_workplace(workplace, operator=False)}") or "facility"
        taken = {item.id for item in self.items}
        identifier, number = base, 1
        while identifier in taken:
            number += 1
            identifier = f"{base}-{number}"
        self.items.append(
            FacilityIn(
                id=identifier,
                name=name,
                kind=workplace.kind or ("site" if city else None),
                sector=workplace.sector,
                operator_country=workplace.operator_country,
                city=place.name if city else None,
                region=place.name if place.level is Precision.region else None,
                country=place.country,
                location=LocationIn(lat=place.lat, lon=place.lon, precision=place.level)
                if place.lat is not None and place.lon is not None
                else None,
            )
        )
        self.by_key[key] = identifier
        return identifier


def _quote(
    body: str, folded: FoldedBody, figure: WorkerFigure, sentence: Span
) -> tuple[str, int | None] | None:
    """The figure's phrase verbatim, and which of its occurrences it is when the body repeats it.

    A phrase of fewer than three words ('150', '40 in Gdansk' cut to '40') says too little: the whole
    sentence is quoted instead.
    """
    for start, end in ((figure.start, figure.end), sentence):
        quote = body[start:end]
        if len(quote.split()) < MIN_QUOTE_WORDS and (start, end) != sentence:
            continue
        starts = [span.start for span in folded.spans(quote)]
        if start in starts:
            occurrence = starts.index(start) + 1 if len(starts) > 1 else None
            if folded.find_span(quote, occurrence).start == start:
                return quote, occurrence
    return None


def _subject(body: str, workplace: Workplace, sentence: Span) -> str:
    """What an unplaced figure is about, in words: 'North Korean farm in Mongolia', 'workers in Russia'."""
    countries = [name for offset, name, _ in find_countries(body) if sentence[0] <= offset < sentence[1]]
    where = f" in {countries[0]}" if countries else ""
    return f"{describe_workplace(workplace) if workplace.kind else 'workers'}{where}"


def _note(figure: WorkerFigure, located: Located | None) -> str:
    """The claim's notes: how its place was tied to it (an `extract:` line; a range's top is its `high`).

    Ingest drops the `extract:` line of a reviewed draft (`api.ingest.bundle.EXTRACT_NOTE`).
    """
    how = f"place {located.how}" if located else "no place found in the text for this figure"
    return f"{EXTRACT_NOTE} {how}"


class Scorer(StrEnum):
    """What decides which numbers are worker figures and where they are: the rules, or the learned model."""

    rules = "rules"  # the hand-written rules of figures.py, exclusions.py and locate.py (the default)
    learned = (
        "learned"  # every number scored by the weights of learned.py (an experiment; bench/extract/README.md)
    )


def _placed_figures(
    body: str, places: ReportPlaces, scorer: Scorer
) -> Iterator[tuple[WorkerFigure, Located | None]]:
    """The worker figures of `body` and their places, as the scorer decides them, in text order."""
    if scorer is Scorer.learned:
        for proposal in propose(body, places):
            yield proposal.figure, proposal.located
        return
    previous: tuple[WorkerFigure, Located | None] | None = None
    for figure in find_worker_figures(body):
        if places.at_home(figure):
            continue  # a workforce in North Korea itself is not work abroad
        located = places.locate(figure)
        if figure.binding is Binding.comparison and previous is not None:
            # 'down from a peak of 2,123 in 2013' is the same place's figure of another time.
            located = previous[1]
        previous = (figure, located)
        if located is None and figure.binding is not Binding.noun:
            continue
        yield figure, located


def propose_claims(body: str, scorer: Scorer = Scorer.rules) -> tuple[list[FacilityIn], list[ClaimIn]]:
    """Facilities and `worker_count` claims for every worker figure the body states.

    A figure repeated in one report (in the headline, a caption and the text) for the same place is one
    claim, quoted from the running text where it appears there.
    """
    places = ReportPlaces(body)
    folded = FoldedBody(body)  # the body as the loader places quotes in it, built once for all claims
    facilities = _Facilities()
    proposals: list[_Proposal] = []
    unplaced: list[ClaimIn] = []
    for figure, located in _placed_figures(body, places, scorer):
        sentence = span_at(places.sentences, figure.number_start)
        clause = clause_at(body, sentence, figure.number_start)
        quoted = _quote(body, folded, figure, sentence)
        if quoted is None:
            continue
        workplace = describe(body, clause, sentence)
        facility = (
            facilities.facility_id(located.mention, workplace, one_workplace=located.one_workplace)
            if located
            else None
        )
        claim = ClaimIn(
            facility=facility,
            subject=None if facility else _subject(body, workplace, sentence),
            predicate="worker_count",
            value=figure.value,
            high=figure.high,
            unit="workers",
            approximate=figure.approximate,
            period=None,
            quote=quoted[0],
            occurrence=quoted[1],
            attributed_to=None,
            evidence=Evidence.source_statement,
            status=Status.reported,
            notes=_note(figure, located),
        )
        if facility is None or located is None:
            unplaced.append(claim)
            continue
        proposals.append(_Proposal(located.mention.place, places.is_lead(figure.number_start), claim))
    kept = _one_claim_per_figure(proposals)
    used = {proposal.claim.facility for proposal in kept}
    return [f for f in facilities.items if f.id in used], [p.claim for p in kept] + unplaced


@dataclass(frozen=True)
class _Proposal:
    """A placed claim, and whether it was read from the headline or a caption rather than the text."""

    place: Place
    lead: bool
    claim: ClaimIn


def _one_claim_per_figure(proposals: list[_Proposal]) -> list[_Proposal]:
    """One claim per figure: the same value for the same place is said once, in the running text if there.

    A headline or a caption restates the text: a value it gives that the text also gives is the text's
    figure, wherever each is placed; the text's own wording says more about the workplace.
    """
    kept: dict[tuple[Place, int | float | str | None], _Proposal] = {}
    for proposal in sorted(proposals, key=lambda p: p.lead):  # stable: the text's own order otherwise
        kept.setdefault((proposal.place, proposal.claim.value), proposal)
    in_text = {p.claim.value for p in kept.values() if not p.lead}
    return sorted(
        (p for p in kept.values() if not (p.lead and p.claim.value in in_text)), key=proposals.index
    )


def propose_bundle(
    body: str, *, body_file: str | None, fallback_id: str, scorer: Scorer = Scorer.rules
) -> Bundle:
    """A draft bundle for `body`: metadata from its text, a facility per placed figure, a claim per figure."""
    title = propose_title(body)
    facilities, claims = propose_claims(body, scorer)
    report = ReportIn(
        id=slugify(title or "") or slugify(fallback_id) or "draft-report",
        title=title or _UNTITLED,
        publisher=propose_publisher(body),
        url=None,
        published_on=None,
        language="en",
        contributors=[ContributorIn(name=name, role=role) for name, role in propose_contributors(body)],
        source=None,
        body=None if body_file else body,
        body_file=body_file,
    )
    draft = DraftIn(reviewed=False, by=DRAFT_BY, note=DRAFT_MARK_NOTE)
    return Bundle(draft=draft, report=report, facilities=facilities, claims=claims)


class _Verbatim(str):
    """Text written as a double-quoted YAML scalar, which reads back exactly (line breaks, tabs, spaces)."""

    __slots__ = ()


class _DraftDumper(yaml.SafeDumper):
    """A safe dumper that knows `_Verbatim`."""


def _represent_verbatim(dumper: yaml.SafeDumper, data: _Verbatim) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"')


_DraftDumper.add_representer(_Verbatim, _represent_verbatim)


def _plain_data(bundle: Bundle) -> dict[str, Any]:
    data = bundle.model_dump(mode="json")
    report = data["report"]
    for key in ("body", "body_file"):
        if report[key] is None:
            del report[key]
    if "body" in report:
        report["body"] = _Verbatim(report["body"])
    for claim in data["claims"]:
        if claim["occurrence"] is None:
            del claim["occurrence"]
    return data


def render_yaml(bundle: Bundle, header: str) -> str:
    """The bundle as YAML after `header` (comment lines); checked to read back as the same bundle."""
    data = _plain_data(bundle)
    text = yaml.dump(data, Dumper=_DraftDumper, sort_keys=False, allow_unicode=True, width=100)
    if yaml.safe_load(text) != data:  # never seen, but a draft that changes on reading would be worse
        text = yaml.dump(data, Dumper=_DraftDumper, sort_keys=False, allow_unicode=True, default_style='"')
    if yaml.safe_load(text) != data:
        raise ExtractError("the draft does not read back as written; please report this text")
    parse_bundle(yaml.safe_load(text), draft=True)
    return header + text


def mark_reviewed(draft_yaml: str) -> str:
    """The draft with `reviewed: false` turned to `reviewed: true`: the edit an analyst makes after review."""
    marked, count = _UNREVIEWED.subn(r"\1true", draft_yaml, count=1)
    if not count:
        raise ExtractError("no `draft:` block with `reviewed: false` at the top of this bundle")
    return marked


def _header(path: Path, *, inline: bool, bundle: Bundle) -> str:
    lines = [
        f"# Draft bundle proposed by `laborwatch extract` from {path.name}.",
        "# Review every value before ingesting it: this is a proposal, not a reading. Ingest refuses it",
        f"# until you {REVIEW_HINT.removeprefix('review it and ')}.",
        "# Check each facility (place, kind, sector, operator), each figure and quote, and fill in url,",
        "# published_on and source where the report gives them.",
    ]
    if bundle.report.title == _UNTITLED:
        lines.append("# The text has no headline line: replace the title placeholder.")
    if bundle.report.publisher == PLACEHOLDER:
        lines.append("# The text names no outlet of its own as publisher: replace the placeholder.")
    if inline:
        lines.append("# The body is embedded: this draft can be saved and ingested from anywhere.")
    else:
        suffix = ".bundle.yaml" if path.suffix in BUNDLE_SUFFIXES else ".yaml"
        target = path.with_name(path.stem + suffix)
        lines.append("# body_file names the text: save the draft beside it, e.g.")
        lines.append(f"#   laborwatch extract {shlex.quote(str(path))} > {shlex.quote(str(target))}")
    return "\n".join(lines) + "\n"


def read_text(path: Path) -> str:
    """The file's text exactly as the loader will read it (UTF-8, line endings untouched)."""
    if not path.exists():
        raise ExtractError(f"{path}: no such file")
    if path.is_dir():
        raise ExtractError(f"{path}: is a directory; give a text file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractError(f"{path}: cannot be read ({exc.strerror or exc.__class__.__name__})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExtractError(f"{path}: is not UTF-8 text (invalid byte at offset {exc.start})") from exc
    if "\x00" in text:
        raise ExtractError(f"{path}: contains a NUL character, which a report body cannot hold")
    return text


def draft_from_file(path: Path, *, inline: bool = False, scorer: Scorer = Scorer.rules) -> str:
    """The YAML draft bundle for the text file at `path`, ready to print."""
    body = read_text(path)
    bundle = propose_bundle(
        body, body_file=None if inline else path.name, fallback_id=path.stem, scorer=scorer
    )
    return render_yaml(bundle, _header(path, inline=inline, bundle=bundle))
