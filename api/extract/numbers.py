"""Numbers in words and digits, the hedges before them, and the nouns that count workers."""

import re
from collections.abc import Iterable

# fmt: off
_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
# fmt: on
_MULTIPLIERS = {"dozen": 12, "score": 20, "hundred": 100}
_SCALES = {"thousand": 1000, "million": 1_000_000}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_SMALL = _alternation(_UNITS)
_ANY_WORD = _alternation([*_UNITS, *_MULTIPLIERS, *_SCALES])
# 'two hundred and fifty' is one number, 'thirty and forty' two: 'and' joins only after a scale word.
WORDS = (
    rf"(?:\bhalf\s+a\s+dozen\b|\ba\s+(?:hundred|thousand|dozen|score)\b|\b(?:{_SMALL})\b)"
    rf"(?:(?:[\s-]+|(?:(?<=hundred)|(?<=thousand)|(?<=million))\s+and\s+)(?:{_ANY_WORD})\b)*"
)
DIGITS = (
    r"(?<![\w.,])(?<![A-Za-z]-)(?:\d{1,3}(?:,\d{3})+(?!,?\d)|\d+(?:\.\d+)?(?!\d|[.,]\d))"
    r"(?:\s+(?:hundred|thousand|million)\b)?"
)
NUMBER = rf"(?:{DIGITS}|{WORDS})"

HEDGES = (
    r"an\s+estimated|an\s+approximate|estimated|more\s+than|up\s+to|at\s+least|as\s+many\s+as|close\s+to"
    r"|upwards?\s+of|fewer\s+than|less\s+than|no\s+more\s+than|no\s+fewer\s+than|not\s+more\s+than"
    r"|just\s+over|just\s+under|well\s+over|about|around|some|nearly|roughly|approximately|approx\."
    r"|almost|over|under|circa|c\.|ca\.|an\s+average\s+of|reportedly|maybe|perhaps|possibly|probably|at\s+most"
    r"|something\s+like|in\s+the\s+region\s+of|some\s+estimated"
)
# Plural nouns that, counted, are workers; and nouns that are workers only when they work or are employed.
WORKERS = (
    # Compounds of a trade noun ('steelworkers', 'shipbuilders', 'stonemasons', 'blacksmiths').
    r"[a-z]*(?:workers|builders|masons|smiths)|laborers|labourers|employees|staff|staffers|seamstresses|seamsters|sewers|tailors|waitresses"
    r"|waiters|cooks|chefs|loggers|lumberjacks|fishermen|welders|fitters|bricklayers|plasterers"
    r"|painters|miners|farmhands|crewmen|crew\s+members|hands|labour|labor|workforce|coders|programmers"
    r"|developers|hackers|technicians|engineers|trainees|interns|dancers|singers|cleaners|deckhands"
    # Professions reports count abroad: medical teams, trades on building sites, migrants.
    r"|professionals|doctors|physicians|medics|nurses|surgeons|dentists|carpenters|electricians"
    r"|plumbers|tilers|drivers|sailors|seafarers|migrants"
    # ... and the staff nouns of restaurants, studios, docks and hospitals ('some 30 personnel').
    r"|personnel|servers|hostesses|sculptors|artists|artisans|mechanics|dockers|stevedores|radiologists"
    r"|pediatricians|paediatricians|anaesthetists|anesthetists"
)

UNITS_AFTER = r"percent|per\s+cent|hours?|days?|weeks?|months?|years?|times|dollars?|yuan|rubles?|won|tons?"


def parse_number(text: str) -> int | None:
    """The integer a number phrase means: '1,200', '1.5 thousand', 'two hundred and fifty', 'a dozen'."""
    words = text.lower().replace(",", "").split()
    if words[:3] == ["half", "a", "dozen"]:
        return 6 if len(words) == 3 else None
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
