"""Sentence and clause boundaries, as character spans into the original text."""

import re

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


def sentence_spans(text: str) -> list[Span]:
    """Split at sentence-final punctuation followed by space, and at line breaks; skip 'St.', 'J.' etc."""
    spans: list[Span] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group().startswith("."):
            word = re.search(r"(\w+)$", text[start : match.start()])
            abbreviation = word.group(1) if word else ""
            if abbreviation in _ABBREVIATIONS or (len(abbreviation) == 1 and abbreviation.isupper()):
                continue
        span = _strip(text, start, match.end())
        if span[0] < span[1]:
            spans.append(span)
        start = match.end()
    span = _strip(text, start, len(text))
    if span[0] < span[1]:
        spans.append(span)
    return spans


def sentence_at(sentences: list[Span], position: int) -> Span:
    """The sentence holding `position` (or an empty span there if none does)."""
    for start, end in sentences:
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
    spans: list[Span] = []
    start = 0
    for match in separator.finditer(text):
        span = _strip(text, start, match.start())
        if span[0] < span[1]:
            spans.append(span)
        start = match.end()
    span = _strip(text, start, len(text))
    if span[0] < span[1]:
        spans.append(span)
    return spans
