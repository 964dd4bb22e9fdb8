"""Pieces every list route shares: the envelope, the Link header and the declared error responses."""

from collections.abc import Sequence
from typing import Any

from fastapi import Response

from api.errors import problem_responses
from api.queries.paging import Page as RowPage
from api.schemas import Item, Page

LIST_ERRORS = problem_responses(400, 422)
ITEM_ERRORS = problem_responses(404, 422)


def envelope(response: Response, page: RowPage, items: Sequence[Item]) -> Page[Item]:
    """Wrap a page of serialized items in the list envelope and set the `Link: rel="next"` header."""
    if page.next:
        response.headers["Link"] = f'<{page.next}>; rel="next"'
    return Page[Any](
        items=list(items), total=page.total, limit=page.limit, offset=page.offset, next=page.next
    )
