"""Finding a quote in a report body verbatim, folding only runs of white space."""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """Character offsets into the body: `body[start:end]` is the quote as the body has it."""

    start: int
    end: int


class QuoteError(ValueError):
    """The quote cannot be placed in the body; the message says why."""


def quote_pattern(quote: str) -> re.Pattern[str]:
    """Compile a pattern matching `quote` word for word, any run of white space matching any other."""
    words = quote.split()
    if not words:
        raise QuoteError("quote is blank")
    return re.compile(r"\s+".join(re.escape(word) for word in words))


def find_span(body: str, quote: str, occurrence: int | None = None) -> Span:
    """Return the span of `quote` in `body`; its `occurrence`-th match (1-based) when it recurs."""
    matches = list(quote_pattern(quote).finditer(body))
    if not matches:
        raise QuoteError("quote not found verbatim in the report body")
    if occurrence is None:
        if len(matches) > 1:
            raise QuoteError(f"quote appears {len(matches)} times in the body; say which with `occurrence`")
        match = matches[0]
    elif occurrence > len(matches):
        raise QuoteError(f"occurrence {occurrence} asked, but the quote appears {len(matches)} time(s)")
    else:
        match = matches[occurrence - 1]
    return Span(match.start(), match.end())
