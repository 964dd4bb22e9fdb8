"""Worker figures in running text: 'about 70 workers', 'some 250 laborers', 'where forty women work'."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

# fmt: off
_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
# fmt: on
_MULTIPLIERS = {"dozen": 12, "hundred": 100}
_SCALES = {"thousand": 1000, "million": 1_000_000}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_SMALL = _alternation(_UNITS)
_ANY_WORD = _alternation([*_UNITS, *_MULTIPLIERS, *_SCALES])
WORDS = (
    rf"(?:\ba\s+(?:hundred|thousand|dozen)\b|\b(?:{_SMALL})\b)"
    rf"(?:(?:[\s-]+(?:and\s+)?)(?:{_ANY_WORD})\b)*"
)
DIGITS = (
    r"(?<![\w.,])(?<![A-Za-z]-)(?:\d{1,3}(?:,\d{3})+(?!,?\d)|\d+(?:\.\d+)?(?!\d|[.,]\d))"
    r"(?:\s+(?:hundred|thousand|million)\b)?"
)
NUMBER = rf"(?:{DIGITS}|{WORDS})"

HEDGES = (
    r"an\s+estimated|an\s+approximate|estimated|more\s+than|up\s+to|at\s+least|as\s+many\s+as|close\s+to"
    r"|upwards\s+of|fewer\s+than|less\s+than|no\s+more\s+than|no\s+fewer\s+than|not\s+more\s+than"
    r"|just\s+over|just\s+under|well\s+over|about|around|some|nearly|roughly|approximately|approx\."
    r"|almost|over|under|circa|an\s+average\s+of"
)
# Plural nouns that, counted, are workers; and nouns that are workers only when they work or are employed.
_WORKERS = (
    r"workers|laborers|labourers|employees|staff|staffers|seamstresses|seamsters|sewers|tailors|waitresses"
    r"|waiters|cooks|chefs|loggers|lumberjacks|fishermen|builders|welders|bricklayers|plasterers|painters"
    r"|miners|farmhands|crewmen|crew\s+members|hands"
)
_PEOPLE = r"women|men|people|Koreans|girls|youths|individuals|citizens"
_WORK_VERBS = (
    r"work|works|worked|working|toil|toils|toiling|labor|labors|laboring|labour|labours|labouring"
    r"|are\s+employed|were\s+employed|are\s+working|were\s+working|employed"
)
_EMPLOYING = re.compile(r"\b(?:employ|employs|employed|employing|hire|hires|hired|hiring|has|have|had)\s+$")
# Words that cannot stand between a number and the noun it counts ('10% of them', '4 hours a day').
_BLOCKED = (
    r"of|the|a|an|in|at|on|to|for|from|with|by|per|and|or|but|than|that|which|who|more|less|other|is|are"
    r"|was|were|be|been|has|have|had|hours?|days?|weeks?|months?|years?|times|percent|dollars?|yuan|rubles?"
    r"|roubles?|won|tons?|tonnes?|kilometers?|kilometres?|miles?|meters?|metres?|square|floors?|units?"
)
_FIGURE = re.compile(
    rf"""
    (?P<number>{NUMBER})
    (?P<post>-odd\b|\+|-plus\b|\s+or\s+so\b|\s+or\s+more\b|\s+odd\b)?
    (?:\s+(?!(?:{_BLOCKED})\b)[^\W\d_][\w\u2019'-]*){{0,4}}?
    \s+(?:(?P<noun>{_WORKERS})\b|(?P<people>{_PEOPLE})\b(?!\s+(?:{_WORKERS})\b))
    (?P<verb>\s+(?:who\s+)?(?:{_WORK_VERBS})\b)?
    """,
    re.IGNORECASE | re.VERBOSE,
)
_UNITS_AFTER = r"percent|per\s+cent|hours?|days?|weeks?|months?|years?|times|dollars?|yuan|rubles?|won|tons?"
_STAFF = re.compile(
    rf"\b(?:(?:work\s*force|labou?r\s+force|staff|headcount)\s+of|employs|employed|employing)"
    rf"\s+(?:(?:{HEDGES})\s+)?(?P<number>{NUMBER})(?![-%]|\s+(?:{_UNITS_AFTER})\b)",
    re.IGNORECASE,
)
_HEDGE_BEFORE = re.compile(rf"(?:\b(?:{HEDGES})\s+|~\s*)$", re.IGNORECASE)
_RANGE_BEFORE = re.compile(
    rf"(?:\bbetween\s+(?P<low1>{NUMBER})\s+and\s+|(?P<low2>{NUMBER})\s*(?:-|\u2013|\u2014|\bto\b|\bor\b)\s*)$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d\d")  # 'in 2019 workers were sent home' counts no one
_LOOK_BACK = 60


@dataclass(frozen=True)
class WorkerFigure:
    """A worker count the text states: `text[start:end]` is the phrase to quote."""

    start: int
    end: int
    number_start: int
    value: int
    approximate: bool
    low: int | None = None


def parse_number(text: str) -> int | None:
    """The integer a number phrase means: '1,200', '1.5 thousand', 'two hundred and fifty', 'a dozen'."""
    words = text.lower().replace(",", "").split()
    if words and words[0][0].isdigit():
        scale = {**_MULTIPLIERS, **_SCALES}.get(words[-1], 1) if len(words) > 1 else 1
        value = float(words[0]) * scale
        return int(value) if value.is_integer() else None
    total = current = 0
    for word in re.split(r"[\s-]+", text.lower()):
        if word in ("a", "and"):
            current = current or (1 if word == "a" else 0)
        elif word in _UNITS:
            current += _UNITS[word]
        elif word in _MULTIPLIERS:
            current = (current or 1) * _MULTIPLIERS[word]
        elif word in _SCALES:
            total += (current or 1) * _SCALES[word]
            current = 0
        else:
            return None
    return total + current or None


def _hedged_start(text: str, start: int) -> tuple[int, bool]:
    """Move `start` back over a hedge ('about', 'some', 'more than'...) and say whether there was one."""
    before = text[max(0, start - _LOOK_BACK) : start]
    hedge = _HEDGE_BEFORE.search(before)
    if hedge is None:
        return start, False
    return start - len(before) + hedge.start(), True


def _figure(text: str, start: int, number: str, end: int, approximate: bool) -> WorkerFigure | None:
    value = parse_number(number)
    if value is None or value <= 0 or _YEAR.fullmatch(number):
        return None
    number_start = start
    low: int | None = None
    before = text[max(0, start - _LOOK_BACK) : start]
    span = _RANGE_BEFORE.search(before)
    if span is not None:
        low = parse_number(span.group("low1") or span.group("low2"))
        if low is not None and low < value:
            start = start - len(before) + span.start()
            approximate = True
        else:
            low = None
    start, hedged = _hedged_start(text, start)
    return WorkerFigure(start, end, number_start, value, approximate or hedged, low)


def find_worker_figures(text: str) -> list[WorkerFigure]:
    """Every worker count phrase in the text, in text order, one per number."""
    figures: dict[int, WorkerFigure] = {}
    for match in _FIGURE.finditer(text):
        before = text[max(0, match.start() - _LOOK_BACK) : match.start()]
        if match.group("people") and not match.group("verb") and not _EMPLOYING.search(before):
            continue  # '300 women' may be anyone; '300 women work' and 'employs 300 women' are workers
        figure = _figure(text, match.start(), match.group("number"), match.end(), bool(match.group("post")))
        if figure is not None:
            figures[figure.number_start] = figure
    for match in _STAFF.finditer(text):
        if match.start("number") in figures:
            continue
        figure = _figure(text, match.start("number"), match.group("number"), match.end("number"), False)
        if figure is not None:
            figures[figure.number_start] = WorkerFigure(
                match.start(), figure.end, figure.number_start, figure.value, figure.approximate, figure.low
            )
    return [figures[key] for key in sorted(figures)]
