"""Sentence and clause boundaries, as character spans into the original text."""

import re
from collections.abc import Iterable, Iterator

Span = tuple[int, int]

_BOUNDARY = re.compile(r"[.!?][\u201d\"\u2019')\]]*\s+|\n")
_ABBREVIATIONS = frozenset(
    "St Mr Mrs Ms Dr Prof Gen Col Lt Sgt Capt No Nos Jr Sr Co Corp Inc Ltd Mt vs approx est".split()  # noqa: SIM905
)
_CLAUSE_BREAK = re.compile(
    r",\s+|[;:]\s+|\s[\u2014\u2013]\s|\u2014|\s(?:while|whereas|but|although|though)\s"
)


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _pieces(text: str, cuts: Iterable[Span]) -> list[Span]:
    """The non-blank pieces of `text` between cuts, each cut `(end of a piece, start of the next)`."""
    spans: list[Span] = []
    start = 0
    for end, next_start in [*cuts, (len(text), len(text))]:
        span = _strip(text, start, end)
        if span[0] < span[1]:
            spans.append(span)
        start = next_start
    return spans


def sentence_spans(text: str) -> list[Span]:
    """Split at sentence-final punctuation followed by space, and at line breaks; skip 'St.', 'J.' etc."""

    def cuts() -> Iterator[Span]:
        start = 0
        for match in _BOUNDARY.finditer(text):
            if match.group().startswith("."):
                word = re.search(r"(\w+)$", text[start : match.start()])
                abbreviation = word.group(1) if word else ""
                if abbreviation in _ABBREVIATIONS or (len(abbreviation) == 1 and abbreviation.isupper()):
                    continue
            yield match.end(), match.end()
            start = match.end()

    return _pieces(text, cuts())


def span_at(spans: list[Span], position: int) -> Span:
    """The sentence or paragraph of `spans` holding `position` (or an empty span there if none does)."""
    for start, end in spans:
        if start <= position < end:
            return start, end
    return position, position


def clause_at(text: str, sentence: Span, position: int) -> Span:
    """The clause of `sentence` holding `position`, cut at commas, semicolons, dashes and 'while', 'but'..."""
    start, end = sentence
    clause_start = start
    for match in _CLAUSE_BREAK.finditer(text, start, end):
        if match.start() > position:
            return clause_start, match.start()
        clause_start = match.end()
    return clause_start, end


def paragraph_spans(text: str) -> list[Span]:
    """Paragraphs: runs of text between blank lines (a text with none is one paragraph per line)."""
    separator = re.compile(r"\n[ \t]*\n\s*" if re.search(r"\n[ \t]*\n", text) else r"\n\s*")
    return _pieces(text, ((match.start(), match.end()) for match in separator.finditer(text)))
