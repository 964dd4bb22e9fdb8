"""Finding a quote in a report body verbatim, folding only runs of white space."""

from array import array
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """Character offsets into the body: `body[start:end]` is the quote as the body has it."""

    start: int
    end: int


class QuoteError(ValueError):
    """The quote cannot be placed in the body; the message says why."""


def fold(text: str) -> str:
    """Collapse every run of white space (Unicode's, no-break space included) to one space."""
    return " ".join(text.split())


class FoldedBody:
    """A body with its white space runs folded, and where each folded character stands in the original.

    Built once per body, it places any number of quotes with plain substring search, which is far
    faster than a regular expression per quote on a large corpus.
    """

    def __init__(self, body: str) -> None:
        folded: list[str] = []
        origin = array("q")
        in_space = True  # drops leading white space, like str.split()
        for index, char in enumerate(body):
            if char.isspace():
                if not in_space:
                    folded.append(" ")
                    origin.append(index)
                in_space = True
            else:
                folded.append(char)
                origin.append(index)
                in_space = False
        self.text = "".join(folded)
        self.origin = origin

    def spans(self, quote: str) -> list[Span]:
        """Every non-overlapping place of `quote` (white space folded), in order."""
        needle = fold(quote)
        if not needle:
            raise QuoteError("quote is blank")
        found: list[Span] = []
        start = self.text.find(needle)
        while start != -1:
            end = start + len(needle)
            found.append(Span(self.origin[start], self.origin[end - 1] + 1))
            start = self.text.find(needle, end)
        return found

    def find_span(self, quote: str, occurrence: int | None = None) -> Span:
        """The span of `quote`; its `occurrence`-th place (1-based) when it recurs."""
        matches = self.spans(quote)
        if not matches:
            raise QuoteError("quote not found verbatim in the report body")
        if occurrence is None:
            if len(matches) > 1:
                raise QuoteError(
                    f"quote appears {len(matches)} times in the body; say which with `occurrence`"
                )
            return matches[0]
        if occurrence > len(matches):
            raise QuoteError(f"occurrence {occurrence} asked, but the quote appears {len(matches)} time(s)")
        return matches[occurrence - 1]


def find_span(body: str, quote: str, occurrence: int | None = None) -> Span:
    """Return the span of `quote` in `body`; its `occurrence`-th match (1-based) when it recurs."""
    return FoldedBody(body).find_span(quote, occurrence)
