"""Finding a quote in a report body verbatim, folding only runs of white space."""

import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass

# A run of white space that folding shortens: two characters or more.
_RUN = re.compile(r"\s\s+")


@dataclass(frozen=True)
class Span:
    """Character offsets into the body: `body[start:end]` is the quote as the body has it."""

    start: int
    end: int

    def __reduce__(self) -> tuple[type["Span"], tuple[int, int]]:
        """Pickled as its two offsets, rebuilt by one call (a fifth of the generic way's time).

        The writer of `laborwatch ingest` unpickles one per claim, from the workers that placed them.
        """
        return Span, (self.start, self.end)


class QuoteError(ValueError):
    """The quote cannot be placed in the body; the message says why."""


def fold(text: str) -> str:
    """Collapse every run of white space (Unicode's, no-break space included) to one space."""
    return " ".join(text.split())


class FoldedBody:
    """A body with its white space runs folded, and where each folded character stands in the original.

    Built once per body, it places any number of quotes with plain substring search, which is far
    faster than a regular expression per quote on a large corpus. Folding shifts the text only where
    white space is removed: before the first word, and wherever a run between words is longer than one
    character. Those runs are found by C code (`str.split`, `str.lstrip` and the `_RUN` pattern agree on
    what white space is: Unicode's `isspace`), and only one offset is kept per run, not one per word.
    """

    def __init__(self, body: str) -> None:
        self.text = " ".join(body.split())
        self._places: dict[str, _Places] = {}
        lead = len(body) - len(body.lstrip())
        # From folded offset `_starts[i]` on, a character stands `_shifts[i]` further on in the body.
        self._starts = array("q", [0])
        self._shifts = array("q", [lead])
        shift = lead
        for run in _RUN.finditer(body, lead):
            shift += run.end() - run.start() - 1
            self._starts.append(run.end() - shift)
            self._shifts.append(shift)

    def _origin(self, position: int) -> int:
        """The body offset of the folded text's character at `position` (never a folding space)."""
        if len(self._starts) == 1:
            return position + self._shifts[0]
        return position + self._shifts[bisect_right(self._starts, position) - 1]

    def spans(self, quote: str, limit: int | None = None) -> list[Span]:
        """Every non-overlapping place of `quote` (white space folded), in order; the first `limit` only.

        Each distinct quote is searched once per body, however many claims name it: its places are kept
        (the index of occurrences), so placing a bundle costs one pass of the body per distinct quote,
        not one per claim.
        """
        return self._places_of(quote, limit)[:limit]

    def _places_of(self, quote: str, limit: int | None) -> list[Span]:
        """The quote's kept places, searched on until there are `limit` of them or the body ends."""
        needle = fold(quote)
        if not needle:
            raise QuoteError("quote is blank")
        places = self._places.setdefault(needle, _Places([], 0))
        found, start = places.spans, places.resume
        while start != -1 and (limit is None or len(found) < limit):
            start = self.text.find(needle, start)
            if start != -1:
                end = start + len(needle)
                found.append(Span(self._origin(start), self._origin(end - 1) + 1))
                start = end
        places.resume = start
        return found

    def find_span(self, quote: str, occurrence: int | None = None, *, counted: int | None = None) -> Span:
        """The span of `quote`; its `occurrence`-th place (1-based) when it recurs.

        `counted` bounds the work: at most that many places are looked for (a quote that recurs more
        often than that needs an `occurrence`, and none above it is found).
        """
        wanted = None if counted is None else (counted + 1 if occurrence is None else occurrence)
        matches = self._places_of(quote, wanted)
        if not matches:
            raise QuoteError("quote not found verbatim in the report body")
        if occurrence is None:
            if len(matches) > 1:
                times = (
                    f"more than {counted}" if counted is not None and len(matches) > counted else len(matches)
                )
                raise QuoteError(f"quote appears {times} times in the body; say which with `occurrence`")
            return matches[0]
        if occurrence > len(matches):
            raise QuoteError(f"occurrence {occurrence} asked, but the quote appears {len(matches)} time(s)")
        return matches[occurrence - 1]


@dataclass
class _Places:
    """The places of one quote found so far, and where in the folded text to look on (-1: at the end)."""

    spans: list[Span]
    resume: int


def find_span(body: str, quote: str, occurrence: int | None = None) -> Span:
    """Return the span of `quote` in `body`; its `occurrence`-th match (1-based) when it recurs."""
    return FoldedBody(body).find_span(quote, occurrence)
