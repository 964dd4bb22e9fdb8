"""The report reader's markup: the body text with every claim's span in `<mark>` elements, overlaps nested.

Spans index the body as stored (`body[start:end] == quote`, the API's arithmetic). The body is cut at every
span boundary; each piece is wrapped in the marks of the claims covering it, outermost (earliest start,
then longest) first. Marks stay open across pieces while they can; where two spans cross, the inner one
is closed and opened again, so a claim's highlight may come in several `<mark>` elements with the same
`data-claim-id`: the first has the id `claim-{id}`, the joined text of all of them is the quote.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Span:
    """One claim's highlight: where it is in the body and what its marks say about it."""

    claim_id: str
    start: int
    end: int
    predicate: str
    status: str
    title: str

    @classmethod
    def of(cls, claim: dict[str, Any], title: str) -> "Span":
        """The span of a claim in its public shape (`span.start`, `span.end`)."""
        span = claim["span"]
        return cls(claim["id"], span["start"], span["end"], claim["predicate"], claim["status"], title)


def _open(span: Span, first: bool) -> str:
    identity = f' id="claim-{escape(span.claim_id)}" tabindex="0"' if first else ""
    more = "" if first else " more"
    return (
        f'<mark{identity} class="claim status-{escape(span.status)}{more}"'
        f' data-claim-id="{escape(span.claim_id)}" data-predicate="{escape(span.predicate)}"'
        f' data-status="{escape(span.status)}" data-start="{span.start}" data-end="{span.end}"'
        f' title="{escape(span.title)}">'
    )


def _text(piece: str) -> str:
    """A piece of the body as HTML text; a carriage return as a reference, which HTML parsing would drop."""
    return str(escape(piece)).replace("\r", "&#13;")


def highlight(body: str, spans: Sequence[Span]) -> Markup:
    """The body as HTML (escaped) with every span in marks; spans outside the body or empty are skipped."""
    usable = [span for span in spans if 0 <= span.start < span.end <= len(body)]
    order = {span.claim_id: (span.start, -span.end, span.claim_id) for span in usable}
    cuts = sorted({0, len(body), *(span.start for span in usable), *(span.end for span in usable)})
    starting: dict[int, list[Span]] = defaultdict(list)
    ending: dict[int, list[Span]] = defaultdict(list)
    for span in usable:
        starting[span.start].append(span)
        ending[span.end].append(span)
    # One sweep over the cuts: the spans covering a piece are those started and not yet ended.
    active: dict[str, Span] = {}
    opened: set[str] = set()
    stack: list[Span] = []
    out: list[str] = []
    for left, right in pairwise(cuts):
        for span in ending.get(left, ()):
            del active[span.claim_id]
        for span in starting.get(left, ()):
            active[span.claim_id] = span
        covering = sorted(active.values(), key=lambda span: order[span.claim_id])
        keep = 0
        while keep < min(len(stack), len(covering)) and stack[keep] is covering[keep]:
            keep += 1
        out.extend("</mark>" for _ in stack[keep:])
        del stack[keep:]
        for span in covering[keep:]:
            out.append(_open(span, span.claim_id not in opened))
            opened.add(span.claim_id)
            stack.append(span)
        out.append(_text(body[left:right]))
    out.extend("</mark>" for _ in stack)
    return Markup("".join(out))  # noqa: S704 - every piece of text and attribute above is escaped
