"""Quote placement: the folded-body search agrees with the plain definition (words, any white space)."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from api.ingest.quotes import FoldedBody, Span

WHITE = [" ", "  ", "\n", "\t", "\u00a0", "\r\n", " \u2028 "]
WORDS = ["about", "70", "workers", "North", "Korean", "a", "ab", "b", "“Quote”", "10%", "—"]


def reference(body: str, quote: str) -> list[Span]:
    """The definition: the quote's words in order, separated by any run of white space."""
    pattern = re.compile(r"\s+".join(re.escape(word) for word in quote.split()))
    return [Span(match.start(), match.end()) for match in pattern.finditer(body)]


texts = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(WHITE)), max_size=25).map(
    lambda parts: "".join(word + space for word, space in parts)
)


@given(body=texts, quote=texts.filter(lambda text: bool(text.split())))
@settings(max_examples=400, deadline=None)
def test_folded_search_finds_what_the_definition_finds(body: str, quote: str) -> None:
    found = FoldedBody(body).spans(quote)
    assert found == reference(body, quote)
    for span in found:
        assert body[span.start : span.end].split() == quote.split()


def test_spans_point_into_the_original_body() -> None:
    body = "  Some  of them\u00a0work\n16 hours a day.  Some of them work 16 hours a day."
    spans = FoldedBody(body).spans("Some of them work 16 hours a day")
    assert [body[s.start : s.end] for s in spans] == [
        "Some  of them\u00a0work\n16 hours a day",
        "Some of them work 16 hours a day",
    ]
