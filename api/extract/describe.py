"""Guessing what a workplace is from the words around a figure: its kind, its sector, who runs it."""

import re
from dataclasses import dataclass
from functools import lru_cache

from api.extract.sentences import Span

# The noun as written (singular or plural) -> the facility kind.
_KIND_NOUNS = {
    "factory": "factory",
    "factories": "factory",
    "plant": "plant",
    "plants": "plant",
    "company": "company",
    "companies": "company",
    "firm": "company",
    "firms": "company",
    "enterprise": "company",
    "enterprises": "company",
    "workshop": "workshop",
    "workshops": "workshop",
    "site": "site",
    "sites": "site",
    "restaurant": "restaurant",
    "restaurants": "restaurant",
    "farm": "farm",
    "farms": "farm",
    "camp": "camp",
    "camps": "camp",
    "mine": "mine",
    "mines": "mine",
    "shipyard": "shipyard",
    "shipyards": "shipyard",
    "sawmill": "sawmill",
    "sawmills": "sawmill",
    "mill": "mill",
    "mills": "mill",
    "hotel": "hotel",
    "hotels": "hotel",
    "developer": "company",
    "developers": "company",
}
_KIND = re.compile(r"\b(?:" + "|".join(_KIND_NOUNS) + r")\b", re.IGNORECASE)
# A kind noun after these is what the workers build, not where they work ('building a hotel')...
_OBJECT_OF = re.compile(
    r"\b(?:build|builds|building|built|construct|constructs|constructing|constructed|renovate|renovating"
    r"|repair|repairs|repairing)\s+(?:\S+\s+){0,2}$",
    re.IGNORECASE,
)
_COMPOUND_SITE = re.compile(r"\b(?:building|construction)\s+$", re.IGNORECASE)  # 'building sites' are places
# ...and after these it is most likely a modifier ('affiliated with a company', 'sent by a firm').
_MODIFIER_OF = re.compile(r"\b(?:by|with|of|for)\s+(?:\S+\s+){0,4}$", re.IGNORECASE)
# The sector, from the words for what is made or done; the first that matches wins within a span.
_SECTORS = (
    ("furniture", r"furniture|sofas?|upholster\w*|wardrobes?|cabinetmak\w*|joinery"),
    (
        "garment",
        r"garments?|clothing|clothes|sewing|seamstress(?:es)?|seamsters?|textiles?|apparel|tailor\w*",
    ),
    ("shipbuilding", r"shipyards?|shipbuild\w*|dockyards?|shipbuilders?|hulls?"),
    ("construction", r"construction|building\s+sites?|builders|bricklayers?|plasterers?|housing\s+projects?"),
    (
        "seafood",
        r"seafood|fish[\s-]+(?:processing|plants?|factor(?:y|ies))|shellfish|squid|crabs?|fish\s+packers?",
    ),
    ("fishing", r"fishing|fishermen|fisherman|trawlers?|fishing\s+fleets?|fisheries"),
    ("restaurant", r"restaurants?|catering|waitress(?:es)?|waiters?|eater(?:y|ies)"),
    ("logging", r"logging|loggers?|timber|lumber\w*|forestry|sawmills?"),
    ("farm", r"farms?|farming|farmhands?|agricultur\w*|greenhouses?"),
    ("mining", r"mining|miners|coal\s+mines?"),
    ("IT", r"(?-i:IT)|software|coders?|programmers?|hackers?|app\s+developers?|web\s+developers?"),
)
_SECTOR = re.compile("|".join(f"(?P<{name}>\\b(?:{words})\\b)" for name, words in _SECTORS), re.IGNORECASE)
# Words for a sector in a facility name, where the kind does not already say it.
SECTOR_WORDS = {
    "furniture": "furniture",
    "garment": "garment",
    "construction": "construction",
    "seafood": "seafood",
    "fishing": "fishing",
    "logging": "logging",
    "farm": "farming",
    "mining": "mining",
    "IT": "IT",
}
_OPERATORS = (
    ("KP", r"North\s+Korean?|DPRK|N\.\s*Korean"),
    ("CN", r"Chinese|China"),
    ("RU", r"Russian|Russia"),
)
_OPERATOR = re.compile(
    "|".join(
        f"(?P<{code}>\\b(?:{words})(?!-based)(?:-(?:run|owned|operated|managed))?)"
        for code, words in _OPERATORS
    )
)
# Up to three words between the operator and the noun, none of them a worker noun or a linking word.
_CLOSE_BEFORE = re.compile(
    r"(?:\s+(?!(?:workers|laborers|labourers|employees|women|men|staff|who|that|at|in|on|for|to|with|by|from"
    r"|of|and|or|is|are|was|were|remain|remains|work|works|working)\b)[\w\u2019'-]+){0,3}?\s+",
    re.IGNORECASE,
)
_RUN_BY = re.compile(
    r"\b(?:run|owned|operated|managed)\s+by\s+(?:a\s+|the\s+)?(?P<KP>North\s+Korea\w*|Pyongyang)",
    re.IGNORECASE,
)
DEMONYMS = {"KP": "North Korean", "CN": "Chinese", "RU": "Russian"}


@dataclass(frozen=True)
class Workplace:
    """What the words near a figure say about where the workers are."""

    kind: str | None
    sector: str | None
    operator_country: str | None


def _kinds(text: str, span: Span, *, modifiers: bool) -> list[re.Match[str]]:
    """Kind nouns in `span`, except what is being built; with `modifiers`, only those after 'by', 'of'..."""
    start, end = span
    found = []
    for match in _KIND.finditer(text, start, end):
        before = text[max(start, match.start() - 60) : match.start()]
        building = _OBJECT_OF.search(before)
        if building and not (match.group().lower().startswith("site") and _COMPOUND_SITE.search(before)):
            continue
        if bool(_MODIFIER_OF.search(before)) == modifiers:
            found.append(match)
    return found


def _all_kinds(text: str, span: Span) -> list[re.Match[str]]:
    return sorted(
        _kinds(text, span, modifiers=False) + _kinds(text, span, modifiers=True), key=lambda m: m.start()
    )


def _operator(text: str, span: Span, kinds: list[re.Match[str]]) -> str | None:
    """The country of the nearest demonym standing before a kind noun ('North Korean garment company')."""
    start, _ = span
    for kind in kinds:
        window_start = max(start, kind.start() - 60)
        demonyms = list(_OPERATOR.finditer(text, window_start, kind.start()))
        if demonyms and _CLOSE_BEFORE.fullmatch(text, demonyms[-1].end(), kind.start()):
            return demonyms[-1].lastgroup
    return "KP" if _RUN_BY.search(text, *span) else None


@lru_cache(maxsize=8)
def report_sector(text: str) -> str | None:
    """The sector the whole report speaks of most (its headline counting twice), the first named on a tie."""
    counts: dict[str, tuple[int, int]] = {}
    headline_end = text.find("\n", len(text) - len(text.lstrip()))
    for match in _SECTOR.finditer(text):
        name = str(match.lastgroup)
        count, first = counts.get(name, (0, match.start()))
        counts[name] = (count + (2 if match.start() < headline_end else 1), first)
    ranked = sorted(counts.items(), key=lambda item: (-item[1][0], item[1][1]))
    return ranked[0][0] if ranked else None


def describe(text: str, clause: Span, sentence: Span) -> Workplace:
    """Kind, sector and operator country from the clause of a figure, else from its whole sentence.

    The sector falls back on the report's (`report_sector`) when the sentence names none.
    """
    kinds = (
        _kinds(text, clause, modifiers=False)
        or _kinds(text, sentence, modifiers=False)
        or _kinds(text, clause, modifiers=True)
        or _kinds(text, sentence, modifiers=True)
    )
    kind = _KIND_NOUNS[kinds[0].group().lower()] if kinds else None
    sector_match = _SECTOR.search(text, *clause) or _SECTOR.search(text, *sentence)
    sector = sector_match.lastgroup if sector_match else report_sector(text)
    operator = _operator(text, clause, _all_kinds(text, clause)) or _operator(
        text, sentence, _all_kinds(text, sentence)
    )
    return Workplace(kind, sector, operator)


def describe_workplace(workplace: Workplace, *, operator: bool = True) -> str:
    """A short description such as 'North Korean garment factory' (without the place)."""
    kind = workplace.kind or "site"
    sector_word = None if kind in ("farm", "mine") else SECTOR_WORDS.get(workplace.sector or "")
    words = [DEMONYMS.get(workplace.operator_country or "") if operator else None, sector_word, kind]
    return " ".join(word for word in words if word)
