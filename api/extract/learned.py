"""A learned scorer for `extract`: every number of a report is a candidate, weights decide figure and place.

Two logistic models read binary features of a candidate's context. The first scores whether a number is a
North Korean workforce figure; the second scores each place of the report as the place of that figure.
Their weights are trained by `bench/extract_learn.py` on the development texts of `bench/extract/` and ship
as `learned_weights.json` beside this module.
"""

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from api.extract.figures import OTHER_NATIONS, WorkerFigure, figure_at, find_worker_figures
from api.extract.gazetteer import Place, PlaceMention, country_place, find_countries, is_capital
from api.extract.locate import REPORTING_COUNTRIES, Located, ReportPlaces
from api.extract.numbers import NUMBER, UNITS_AFTER, WORKERS
from api.extract.sentences import clause_at, span_at
from api.vocabulary import Precision

WEIGHTS = Path(__file__).with_name("learned_weights.json")
MIN_VALUE = 3
_NUMBER = re.compile(NUMBER, re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*|\d[\d,.]*|[%$()\u2014\u2013:;\"\u201c\u201d?]")
_WINDOW = 6
_WORKER_NOUN = re.compile(
    rf"^(?:{WORKERS}|people|men|women|north|koreans|nationals|citizens)$", re.IGNORECASE
)
_OTHER = re.compile(rf"\b(?:{OTHER_NATIONS})\b", re.IGNORECASE)
_KOREAN = re.compile(r"North\s+Korea|DPRK|\bKoreans?\b|Pyongyang", re.IGNORECASE)
_UNIT_AFTER = re.compile(rf"\s*(?:%|(?:{UNITS_AFTER})\b)", re.IGNORECASE)
_MONEY_BEFORE = re.compile(r"(?:[$\u20ac\u00a3\u00a5]|US\$|USD|EUR)\s*$")
_CUES = {
    "future": re.compile(
        r"\b(?:will|would|expected|due|plans?|planned|hopes?|could|should|to\s+arrive|next|more\s+are|quota)\b",
        re.IGNORECASE,
    ),
    "gone": re.compile(
        r"\b(?:sent\s+home|repatriated|returned|left|deported|fired|sacked|dismissed|used\s+to|once|had\s+been"
        r"|defected|died|killed|terminated|expelled|down\s+from|peak)\b",
        re.IGNORECASE,
    ),
    "world": re.compile(r"\b(?:worldwide|abroad|overseas|countries|world|globally|global)\b", re.IGNORECASE),
    "country": re.compile(
        r"\b(?:the\s+country|nationwide|countrywide|in\s+country|the\s+kingdom|the\s+emirate)\b",
        re.IGNORECASE,
    ),
    "things": re.compile(
        r"\b(?:companies|firms|restaurants|visas|permits|ships|vessels|contracts|entries|kilometres|km|miles"
        r"|dollars|euros|yuan|rubles|won|tons|tonnes|hours|days|years|months|rooms|floors|storeys)\b",
        re.IGNORECASE,
    ),
    "seen": re.compile(r"\b(?:seen|saw|interview\w*|spoke|told|said)\b", re.IGNORECASE),
    "estimate": re.compile(r"\b(?:estimate\w*|put\s+(?:the|their|it)|number\s+of|total)\b", re.IGNORECASE),
    "work": re.compile(r"\b(?:work\w*|employ\w*|hired|labou?r\w*|build\w*|sew\w*)\b", re.IGNORECASE),
}


# What the hand-written rules say of a number they take (by its offset): its binding and their place for it.
Ruled = dict[int, tuple[str, Place | None]]


@dataclass(frozen=True)
class Candidate:
    """A number of the report read as a possible workforce figure, and the features of its context."""

    figure: WorkerFigure
    features: tuple[str, ...]
    lead: bool


_FUNCTION_WORDS = frozenset(
    [
        "in",
        "at",
        "of",
        "from",
        "to",
        "for",
        "by",
        "with",
        "on",
        "among",
        "across",
        "throughout",
        "and",
        "or",
        "the",
        "a",
        "an",
        "its",
        "their",
        "his",
        "her",
        "them",
        "these",
        "those",
        "who",
        "which",
        "that",
        "are",
        "were",
        "is",
        "was",
        "be",
        "been",
        "have",
        "has",
        "had",
        "all",
        "some",
        "about",
        "around",
        "nearly",
        "more",
        "than",
    ]
)
_CLASSES = (
    ("KOR", re.compile(r"north|korean?s?|dprk|pyongyang", re.IGNORECASE)),
    ("WRK", re.compile(rf"(?:{WORKERS})", re.IGNORECASE)),
    (
        "PPL",
        re.compile(r"people|men|women|girls|youths|individuals|citizens|nationals|persons", re.IGNORECASE),
    ),
    (
        "UNIT",
        re.compile(
            rf"%|(?:{UNITS_AFTER})|km|kilomet\w+|miles|metres|meters|yards|usd|euros?|\$", re.IGNORECASE
        ),
    ),
    ("THING", _CUES["things"]),
    ("FUT", _CUES["future"]),
    ("GONE", _CUES["gone"]),
    ("SEEN", _CUES["seen"]),
    ("WORK", _CUES["work"]),
    ("WORLD", _CUES["world"]),
    ("OTHER", re.compile(rf"(?:{OTHER_NATIONS})", re.IGNORECASE)),
)


def _classed(body: str, start: int, end: int, places: ReportPlaces) -> list[tuple[str, str]]:
    """The words of `body[start:end]`, each with its class: a place, a number, a nation, a worker noun..."""
    named = {m.start: m.place.level.value for m in (*places.mentions, *places.references)}
    countries = {offset for offset, _, _ in find_countries(body[start:end])}
    words: list[tuple[str, str]] = []
    for token in _TOKEN.finditer(body, start, end):
        word = token.group().lower()
        if token.start() in named:
            kind = f"PLACE_{named[token.start()]}"
        elif token.start() - start in countries:
            kind = "COUNTRY"
        elif word[0].isdigit() or _NUMBER.fullmatch(word):
            kind = "NUM"
        elif word in _FUNCTION_WORDS or not word[0].isalpha():
            kind = word
        else:
            kind = next((name for name, pattern in _CLASSES if pattern.fullmatch(word)), "")
            if not kind:
                kind = "CAP" if token.group()[0].isupper() else "w"
        words.append((word, kind))
    return words


def _bucket(value: int) -> str:
    for limit, name in ((10, "1"), (100, "2"), (1000, "3"), (10_000, "4"), (100_000, "5")):
        if value < limit:
            return name
    return "6"


def _number_features(body: str, places: ReportPlaces, figure: WorkerFigure, ruled: Ruled) -> list[str]:
    sentence = span_at(places.sentences, figure.number_start)
    clause = clause_at(body, sentence, figure.number_start)
    paragraph = span_at(places.paragraphs, figure.number_start)
    number_end = _NUMBER.match(body, figure.number_start)
    after_at = number_end.end() if number_end else figure.number_start
    # A quotation's marks bound the window: what stands outside is who said it, not what it counts.
    opening = body.rfind("\u201c", max(sentence[0], figure.start - 90), figure.start)
    closing = body.find("\u201d", after_at, min(sentence[1], after_at + 90))
    before_all = _classed(body, max(sentence[0], figure.start - 90, opening + 1), figure.start, places)
    after_all = _classed(body, after_at, closing if closing >= 0 else min(sentence[1], after_at + 90), places)
    before, after = before_all[-_WINDOW:], after_all[:_WINDOW]
    bw, bc = [w for w, _ in before], [c for _, c in before]
    aw, ac = [w for w, _ in after], [c for _, c in after]
    features = [f"b1={bw[-1] if bw else '<s>'}", f"a1={aw[0] if aw else '</s>'}"]
    features += [f"b2={' '.join(bw[-2:])}", f"a2={' '.join(aw[:2])}"]
    features += [f"bc1={bc[-1] if bc else '<s>'}", f"ac1={ac[0] if ac else '</s>'}"]
    features += [f"bc2={' '.join(bc[-2:])}", f"ac2={' '.join(ac[:2])}", f"ac3={' '.join(ac[:3])}"]
    features += [f"bc3={' '.join(bc[-3:])}"]
    features += [f"bw={word}" for word in set(bw[-4:])] + [f"aw={word}" for word in set(aw[:4])]
    features += [f"bcw={kind}" for kind in set(bc)] + [f"acw={kind}" for kind in set(ac)]
    head = next((i for i, kind in enumerate(ac[:5]) if kind in ("NUM", ",", ".", ";", ":", "(", ")")), 5)
    noun = next((kind for kind in ac[:head] if kind in ("WRK", "PPL", "KOR", "THING", "UNIT")), "none")
    features.append(f"noun={noun}")
    # What follows the counted noun: 'workers from Kyrgyzstan', 'labourers, most of them Russians'.
    if noun != "none":
        rest = ac[ac.index(noun) + 1 : ac.index(noun) + 4]
        features.append(f"after_noun={' '.join(rest[:2])}")
        if noun == "KOR" or "KOR" in ac[:head]:
            features.append("noun_korean")
        if "OTHER" in ac[:head] or ("CAP" in ac[: ac.index(noun)]):
            features.append("noun_other")
    clause_text, sentence_text = body[clause[0] : clause[1]], body[sentence[0] : sentence[1]]
    for scope, text in (("c", clause_text), ("s", sentence_text)):
        features += [f"{scope}:{name}" for name, cue in _CUES.items() if cue.search(text)]
        if _KOREAN.search(text):
            features.append(f"{scope}:korean")
        if _OTHER.search(text):
            features.append(f"{scope}:other")
    if _KOREAN.search(body, *paragraph):
        features.append("p:korean")
    features.append(f"value={_bucket(figure.value)}")
    if figure.value % 10 == 0:
        features.append("round")
    if figure.high is not None:
        features.append("range")
    if figure.approximate:
        features.append("hedged")
    if not body[figure.number_start].isdigit():
        features.append("in_words")
    if _UNIT_AFTER.match(body, after_at):
        features.append("unit_after")
    if _MONEY_BEFORE.search(body, max(0, figure.number_start - 5), figure.number_start):
        features.append("money")
    if body.count(body[figure.number_start : after_at]) > 1:
        features.append("repeated")
    if places.is_lead(figure.number_start):
        features.append("lead")
    if figure.number_start == paragraph[0] or body[paragraph[0] : figure.number_start].strip().endswith(":"):
        features.append("line_head")
    if any(sentence[0] <= m.start < sentence[1] for m in places.home):
        features.append("s:home")
    binding = ruled.get(figure.number_start)
    features.append(f"R:{binding[0]}" if binding else "R:none")
    return features


def rules_view(places: ReportPlaces) -> Ruled:
    """What the hand-written rules say of each number they take: how it is bound, and where they put it."""
    view: Ruled = {}
    for figure in find_worker_figures(places.body):
        located = places.locate(figure)
        view[figure.number_start] = (figure.binding.value, located.mention.place if located else None)
    return view


def candidates(body: str, places: ReportPlaces, ruled: Ruled | None = None) -> list[Candidate]:
    """Every number of `body` that could count people (not a year, not below three), with its features."""
    ruled = rules_view(places) if ruled is None else ruled
    figures: list[WorkerFigure] = []
    for match in _NUMBER.finditer(body):
        figure = figure_at(body, match)
        if (
            figure is None
            or figure.value < MIN_VALUE
            or _UNIT_AFTER.match(body, match.end())
            or _MONEY_BEFORE.search(body, max(0, match.start() - 5), match.start())
        ):
            continue  # a share, a span of time, a sum of money, a weight: no count of people
        if figure.high is not None:
            # 'between thirty and forty': the low end is the range's, not a number of its own.
            figures = [
                other for other in figures if not figure.start <= other.number_start < figure.number_start
            ]
        figures.append(figure)
    return [
        Candidate(
            figure, tuple(_number_features(body, places, figure, ruled)), places.is_lead(figure.number_start)
        )
        for figure in figures
    ]


def _where(places: ReportPlaces, position: int, mention: PlaceMention) -> str:
    """How far a mention is from a number, in the text's units: clause, sentence, paragraph, or beyond."""
    body = places.body
    sentence = span_at(places.sentences, position)
    if sentence[0] <= mention.start < sentence[1]:
        clause = clause_at(body, sentence, position)
        side = "before" if mention.start < position else "after"
        return f"{'clause' if clause[0] <= mention.start < clause[1] else 'sentence'}_{side}"
    paragraph = span_at(places.paragraphs, position)
    if paragraph[0] <= mention.start < paragraph[1]:
        return "paragraph_before" if mention.start < position else "paragraph_after"
    index = places.paragraphs.index(paragraph) if paragraph in places.paragraphs else 0
    if index and places.paragraphs[index - 1][0] <= mention.start < places.paragraphs[index - 1][1]:
        return "previous_paragraph"
    return "far_before" if mention.start < position else "far_after"


_RANK = {
    "clause_before": 0,
    "clause_after": 1,
    "sentence_before": 2,
    "sentence_after": 3,
    "paragraph_before": 4,
    "paragraph_after": 5,
    "previous_paragraph": 6,
    "far_before": 7,
    "far_after": 8,
}


def place_options(places: ReportPlaces) -> dict[Place, list[tuple[PlaceMention, bool]]]:
    """The report's places a figure may be put in, each with its mentions (and whether one is a reference).

    A city's or a region's country is an option of its own, as is the dateline's place.
    """
    options: dict[Place, list[tuple[PlaceMention, bool]]] = {}
    named = [(m, False) for m in places.mentions] + [(m, True) for m in places.references]
    if places.dateline is not None:
        named.append((places.dateline, False))
    if places.report_place is not None:
        named.append((places.report_place.mention, False))
    for mention, reference in sorted(named, key=lambda item: item[0].start):
        if mention.place.country in REPORTING_COUNTRIES:
            continue
        options.setdefault(mention.place, []).append((mention, reference))
        if mention.place.level is not Precision.country:
            options.setdefault(country_place(mention.place.country), [])
    return options


def _place_features(
    places: ReportPlaces,
    figure: WorkerFigure,
    place: Place,
    mentions: list[tuple[PlaceMention, bool]],
    options: dict[Place, list[tuple[PlaceMention, bool]]],
    ruled: Place | None,
) -> list[str]:
    body, position = places.body, figure.number_start
    level = place.level.value
    features = [f"level={level}"]
    if is_capital(place):
        features.append("capital")
    if places.dateline is not None and places.dateline.place == place:
        features.append("dateline")
    if places.report_place is not None:
        report = places.report_place.mention.place
        if report == place:
            features.append("report_place")
            how = places.report_place.how
            features.append(f"report_place_from={how.split()[-1] if how else ''}")  # dateline, headline...
        elif report.country == place.country:
            features.append("report_country")
    if places.dateline is not None and places.dateline.place.country == place.country:
        features.append("dateline_country")
    own = [(_where(places, position, m), reference, m) for m, reference in mentions if m.start != position]
    if own:
        where, reference, nearest = min(own, key=lambda item: (_RANK[item[0]], abs(item[2].start - position)))
        features.append(f"near={where}")
        if reference:
            features.append("reference")
        word = _classed(body, max(0, nearest.start - 20), nearest.start, places)[-1:]
        features.append(f"prev={word[0][1] if word else '<s>'}")
        line = span_at(places.paragraphs, position)
        if line[0] <= nearest.start < position and not body[line[0] : nearest.start].strip():
            features.append("heads_the_line")  # 'Sakhalin: 300-350', 'Angola - fewer than 200'
        if _NUMBER.search(body, line[0], nearest.start) is None and nearest.start < position:
            features.append("no_number_before_it")
        if places.paragraphs and places.paragraphs[0][0] <= nearest.start < places.paragraphs[0][1]:
            features.append("in_headline")
        between = body[min(nearest.end, figure.start) : max(nearest.start, figure.start)]
        if _NUMBER.search(between) and where.startswith(("clause", "sentence")):
            features.append("number_between")
        nearer = [
            other
            for other, other_mentions in options.items()
            if other != place
            and other.level is not Precision.country
            and any(_RANK[_where(places, position, m)] < _RANK[where] for m, _ in other_mentions)
        ]
        features.append(f"nearer={min(len(nearer), 2)}")
    else:
        features.append("near=none")
    if place.level is Precision.country:
        # A country known only through its towns: how close the nearest of them is.
        towns = [
            (_where(places, position, m), m)
            for other, other_mentions in options.items()
            if other.country == place.country and other != place
            for m, _ in other_mentions
        ]
        if towns:
            features.append(f"town_near={min(towns, key=lambda item: _RANK[item[0]])[0]}")

    sentence = span_at(places.sentences, position)
    if _CUES["country"].search(body, *sentence):
        features.append("says_country")  # 'in the country', 'nationwide': for a country, against a town
    features.append(f"mentions={min(len(mentions), 3)}")
    if ruled is not None:
        features.append(
            "R:same" if ruled == place else ("R:country" if ruled.country == place.country else "R:other")
        )
    else:
        features.append("R:none")
    return [*features, *(f"{level}:{feature}" for feature in features[1:])]


def place_candidates(
    places: ReportPlaces,
    figure: WorkerFigure,
    options: dict[Place, list[tuple[PlaceMention, bool]]],
    ruled: Ruled,
) -> list[tuple[Place, list[str]]]:
    """Each place option of the report for `figure`, with the features of the pair."""
    ruled_place = ruled.get(figure.number_start, ("", None))[1]
    return [
        (place, _place_features(places, figure, place, mentions, options, ruled_place))
        for place, mentions in options.items()
    ]


def logistic(total: float) -> float:
    """The logistic function of a model's summed weights (clamped so that `exp` cannot overflow)."""
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))


def score(weights: dict[str, float], features: Iterable[str]) -> float:
    """The logistic model's probability for a set of binary features."""
    return logistic(weights.get("<bias>", 0.0) + sum(weights.get(feature, 0.0) for feature in features))


@cache
def load_weights(path: Path = WEIGHTS) -> dict[str, dict[str, float]]:
    """The shipped weights: {'figure': {...}, 'place': {...}, 'threshold': {'figure': t}}."""
    data: dict[str, dict[str, float]] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Proposal:
    """A figure the model keeps, where it puts it, and whether the figure is in the headline or a caption."""

    figure: WorkerFigure
    located: Located
    lead: bool
    confidence: float


def propose(
    body: str, places: ReportPlaces, weights: dict[str, dict[str, float]] | None = None
) -> list[Proposal]:
    """The figures the model scores above its threshold, each at its best-scored place, in text order."""
    model = weights or load_weights()
    threshold = model["threshold"]["figure"]
    options = place_options(places)
    proposals: list[Proposal] = []
    if not options:
        return proposals
    # The rules' outputs are features only of a model trained with them (`bench/extract_learn.py --rules`).
    ruled = rules_view(places) if model.get("rules", {}).get("used") else {}
    for candidate in candidates(body, places, ruled):
        confidence = score(model["figure"], candidate.features)
        if confidence < threshold:
            continue
        scored = [
            (score(model["place"], features), place)
            for place, features in place_candidates(places, candidate.figure, options, ruled)
        ]
        best, place = max(scored, key=lambda item: item[0])
        mentions = options[place]
        mention = mentions[0][0] if mentions else PlaceMention(0, 0, place)
        how = f"scored by the learned model (figure {confidence:.2f}, place {best:.2f})"
        proposals.append(Proposal(candidate.figure, Located(mention, how), candidate.lead, confidence))
    return proposals
