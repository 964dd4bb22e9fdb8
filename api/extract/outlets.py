"""The outlet that published a text, as its masthead, byline or own voice names it; not outlets it cites."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Outlets that report on overseas North Korean labour, as their names appear in credits and copy.
KNOWN_PUBLISHERS = (
    "Daily NK",
    "NK News",
    "Radio Free Asia",
    "Voice of America",
    "Asia Press",
    "Yonhap",
    "Reuters",
    "Associated Press",
    "Agence France-Presse",
    "The Korea Herald",
    "Korea JoongAng Daily",
    "The Chosun Ilbo",
    "The Guardian",
    "The New York Times",
    "The Wall Street Journal",
    "NHK",
    "BBC",
    "38 North",
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that name a newspaper, a wire or a monitoring group in its own name ('Baltic Herald').
OUTLET_WORDS = _words(
    "Herald Times Post News Daily Weekly Monthly Review Observer Monitor Journal Gazette Ledger"
    " Dispatch Courier Wire Tribune Network Watch Reporter Today Press Radio Television TV Mail"
    " Telegraph Standard Express Chronicle Bulletin Magazine Star Globe Record Sentinel Examiner"
    " Inquirer Digest Insider Media"
)
# A byline's job titles, which are not outlets even when they end in 'Reporter'.
_ROLE_WORDS = _words(
    "staff senior special chief foreign our correspondent correspondents reporter reporters writer"
    " writers editor editors contributor contributing columnist bureau desk"
)
_MONTHS = _words("January February March April May June July August September October November December")
_CONNECTORS = frozenset({"of", "for", "and", "&", "on", "in", "de", "la", "du"})
_WORD = re.compile(r"[^\W_](?:[\w&'\u2019-]*\w)?")
CAPTION = re.compile(
    r"^\W*(?:file\s+)?(?:photo(?:graph)?s?|pictures?|images?|video|illustration|caption)"
    r"(?:\s+(?:caption|credit))?\s*(?::|\u2014|\u2013|-|\bby\b)",
    re.IGNORECASE,
)
# A masthead line is short; the first long line is the body.
MASTHEAD_MAX_WORDS = 15
MASTHEAD_LINES = 5
_SENTENCE_END = re.compile(r"[.!?][\"\u201d\u2019')]*\s*$")
_SEPARATORS = re.compile(r"\s*(?:\||\u2014|\u2013|,|:|\s-\s)\s*")
_BY = re.compile(r"^by\s", re.IGNORECASE)
# 'By X for Outlet', 'Published by the X', 'A report by X', 'special to the X': the outlet follows.
_LEAD_IN = re.compile(r"\s(?:by|for|to)\s+(?=\S)", re.IGNORECASE)
_LEAD_IN_WORDS = frozenset({"Published", "Produced", "Written", "Reporting", "Special", "Exclusive"})
# 'told the Seoul Ledger', 'X has learned': the outlet's own reporting...
_SELF_BEFORE = re.compile(
    r"\b(?:told|spoke\s+(?:to|with)|speaking\s+to|leaked\s+to|seen\s+by|obtained\s+by|shown\s+to"
    r"|confirmed(?:\s+\w+){0,3}?\s+to|questions\s+from|interview\s+with|contacted\s+by)\s+(?=\S)",
    re.IGNORECASE,
)
_SELF_AFTER = re.compile(
    r"(?:\u2019s|'s)?\s+(?:(?:has|have)\s+(?:learned|learnt|found|seen|obtained|confirmed|established"
    r"|reviewed|written|documented)|can\s+(?:reveal|confirm)|was\s+unable|could\s+not|calls\s+on|asks"
    r"|urges|will\s+update|interviewed|visited)\b"
)
# ...'according to the Steppe Post', 'the Steppe Post, a local newspaper': an outlet it cites.
_CITED_BEFORE = re.compile(
    r"\b(?:according\s+to|reported\s+by|cited\s+by|quoted\s+by|citing|as|(?:a|an)\s+(?:\w+\s+)?"
    r"(?:article|report|story|investigation)\s+(?:by|in))\s+(?=\S)",
    re.IGNORECASE,
)
_CITED_AFTER = re.compile(
    r"(?:\u2019s|'s)?(?:,\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?(?:newspaper|paper|outlet|site|website"
    r"|broadcaster|agency|magazine|weekly|daily|channel|tabloid)|\s+(?:first\s+)?(?:reported|wrote|quoted"
    r"|cited|revealed))\b",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"(?:\u00a9|\(c\)|\bcopyright\b)\s*(?:\d{4}\s+)?(?=\S)", re.IGNORECASE)
_NAME_START = re.compile(r"[ \u00a0]*(?:the[ \u00a0]+)?")  # 'The' may be part of the name
MASTHEAD_SCORE, COPYRIGHT_SCORE, SELF_SCORE, CITED_SCORE = 3, 2, 1, -2


@dataclass(frozen=True)
class Mention:
    """A name where the text gives it, and how much it says the text is the outlet's own."""

    name: str
    start: int
    score: int


def _is_name_word(word: str) -> bool:
    return word[0].isupper() or word[0].isdigit()


def _clean(words: list[str]) -> str | None:
    """The name the words make: without a leading 'the' (unless the outlet calls itself so), or None."""
    while words and words[-1] in _CONNECTORS:
        words = words[:-1]
    if words and words[-1].endswith(("'s", "\u2019s")):
        words = [*words[:-1], words[-1][:-2]]
    if " ".join(words) in KNOWN_PUBLISHERS:
        return " ".join(words)
    if words and words[0] in ("The", "the"):
        words = words[1:]
    if not words or all(word.lower() in _ROLE_WORDS for word in words):
        return None
    if any(word in _MONTHS for word in words) or not any(word[0].isupper() for word in words):
        return None
    return " ".join(words)


def _name_from(text: str, start: int) -> tuple[str | None, int]:
    """The capitalized name that starts at `start` (after spaces and a lowercase 'the'), and where."""
    position = _NAME_START.match(text, start).end()  # type: ignore[union-attr]  # always matches
    name_start = position
    words: list[str] = []
    while (match := _WORD.match(text, position)) is not None:
        word = match.group()
        if not (_is_name_word(word) or (words and word in _CONNECTORS)):
            break
        words.append(word)
        if match.end() >= len(text) or text[match.end()] not in " \u00a0":
            break
        position = match.end() + 1
    return _clean(words), name_start


def _name_before(text: str, end: int) -> tuple[str | None, int]:
    """The capitalized name that ends at `end`, and where it starts."""
    words: list[tuple[int, str]] = []
    for match in reversed(list(_WORD.finditer(text, max(0, end - 120), end))):
        gap = text[match.end() : words[0][0] if words else end]
        if gap not in ((" ", "\u00a0") if words else ("",)):
            break
        word = match.group()
        if not (_is_name_word(word) or (words and word in _CONNECTORS)):
            break
        words.insert(0, (match.start(), word))
    while words and words[0][1] in _CONNECTORS:
        words.pop(0)
    if not words:
        return None, end
    return _clean([word for _, word in words]), words[0][0]


def looks_like_outlet(name: str) -> bool:
    """A known outlet, or a name with a newspaper's or monitor's word in it ('Siberia Wire')."""
    return name in KNOWN_PUBLISHERS or any(word in OUTLET_WORDS for word in name.split())


def _lines(body: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in body.splitlines(keepends=True):
        yield offset, line
        offset += len(line)


def headline(body: str) -> tuple[int, str] | None:
    """The offset and text of the first non-empty line that is not a photo caption or credit."""
    for offset, line in _lines(body):
        if line.strip() and not CAPTION.match(line):
            return offset, line
    return None


def _outlet_in_segment(segment: str) -> int | None:
    """Where the outlet's name starts in one part of a masthead line, or None for a byline's person."""
    lead_ins = list(_LEAD_IN.finditer(segment))
    if _BY.match(segment):
        return lead_ins[-1].end() if len(lead_ins) > 1 or (lead_ins and lead_ins[-1].start() > 2) else None
    if lead_ins:
        prefix = segment[: lead_ins[-1].start()].split()
        if any(not _is_name_word(word) for word in prefix) or (
            len(prefix) == 1 and prefix[0] in _LEAD_IN_WORDS
        ):
            return lead_ins[-1].end()
    return 0


def _masthead_segments(body: str) -> Iterator[tuple[int, str]]:
    """The parts ('By X', 'Outlet', '14 May 2025') of the short lines under the headline, with offsets."""
    first = headline(body)
    if first is None:
        return
    after = first[0] + len(first[1])
    seen = 0
    for offset, line in _lines(body[after:]):
        if not line.strip() or CAPTION.match(line):
            continue
        if len(line.split()) > MASTHEAD_MAX_WORDS or seen == MASTHEAD_LINES or _SENTENCE_END.search(line):
            return  # the body has begun
        seen += 1
        position = 0
        for segment in _SEPARATORS.split(line.rstrip("\r\n")):
            at = line.find(segment, position)
            position = at + len(segment)
            if segment.strip():
                yield after + offset + at, segment


def _masthead_mentions(body: str) -> Iterator[Mention]:
    """Outlets in the masthead: 'By X, Outlet', 'Outlet | date', 'Published by the X', 'By X for Outlet'."""
    for start, segment in _masthead_segments(body):
        within = _outlet_in_segment(segment)
        if within is None:
            continue
        name, name_start = _name_from(body, start + within)
        if name and name_start < start + len(segment):
            yield Mention(name, name_start, MASTHEAD_SCORE)


def masthead_authors(body: str) -> list[tuple[int, str]]:
    """The people a masthead byline names ('By X | Outlet', 'Outlet, by X', 'By X for Outlet')."""
    authors = []
    for start, segment in _masthead_segments(body):
        if _BY.match(segment):
            lead_in = _LEAD_IN.search(segment, 2)
            name, name_start = _name_from(segment[: lead_in.start() if lead_in else None], 3)
            if name and not looks_like_outlet(name):
                authors.append((start + name_start, name))
    return authors


def _voice_mentions(body: str) -> Iterator[Mention]:
    """Outlets the body names in its own voice ('told the X', 'X has learned', '© X') or only cites."""
    for pattern, score in (
        (_SELF_BEFORE, SELF_SCORE),
        (_CITED_BEFORE, CITED_SCORE),
        (_COPYRIGHT, COPYRIGHT_SCORE),
    ):
        for match in pattern.finditer(body):
            name, start = _name_from(body, match.end())
            if name:
                yield Mention(name, start, score)
    for pattern, score in ((_SELF_AFTER, SELF_SCORE), (_CITED_AFTER, CITED_SCORE)):
        for match in pattern.finditer(body):
            name, start = _name_before(body, match.start())
            if name:
                yield Mention(name, start, score)


def find_publisher(body: str) -> str | None:
    """The outlet whose masthead, byline or own voice the text carries most, net of citations; else None."""
    scores: dict[str, tuple[int, int]] = {}
    masthead = {mention.name for mention in _masthead_mentions(body)}
    for mention in [*_masthead_mentions(body), *_voice_mentions(body)]:
        if mention.score > 0 and mention.name not in masthead and not looks_like_outlet(mention.name):
            continue
        total, first = scores.get(mention.name, (0, mention.start))
        scores[mention.name] = (total + mention.score, min(first, mention.start))
    ranked = sorted(
        ((total, -first, name) for name, (total, first) in scores.items() if total > 0),
        reverse=True,
    )
    for _, _, name in ranked:
        if name in masthead and not looks_like_outlet(name) and body.count(name) < 2:
            continue  # a lone capitalized word under the title ('Summary', 'Investigations')
        return name
    return None
