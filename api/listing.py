"""Pieces every list route shares: the envelope, the Link header, exports and declared error responses."""

from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel
from sqlalchemy import Engine, Select
from sqlalchemy.orm import Mapped, Session
from sqlmodel import col
from starlette.datastructures import URL

from api.deps import Paging
from api.errors import problem_responses
from api.queries.claims import (
    CLAIM_SORTS,
    EXPORT_COLUMNS,
    ClaimFilters,
    claim_query,
    export_claims,
    serialize_claims,
)
from api.queries.export import EXPORT_CONTENT, Format, Recorder, Serializer, stream
from api.queries.paging import Kind, SortKey, fetch_page, parse_sort
from api.queries.paging import Page as RowPage
from api.schemas import ClaimPublic, Item, Page
from models import Claim

LIST_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The list envelope, or a stream of every row in the asked `format`.",
        "content": EXPORT_CONTENT,
    },
    **problem_responses(400, 422),
}
ITEM_ERRORS = problem_responses(404, 422)


def envelope(response: Response, page: RowPage, items: Sequence[Item]) -> Page[Item]:
    """Wrap a page of serialized items in the list envelope and set the `Link: rel="next"` header."""
    if page.next:
        response.headers["Link"] = f'<{page.next}>; rel="next"'
    return Page[Any](
        items=list(items), total=page.total, limit=page.limit, offset=page.offset, next=page.next
    )


def answer_list(
    request: Request,
    response: Response,
    session: Session,
    engine: Engine,
    paging: Paging,
    fmt: str,
    *,
    query: Select[Any],
    sorts: dict[str, SortKey],
    id_column: Mapped[Any],
    serialize: Serializer,
    model: type[BaseModel],
    name: str,
    default_sort: str = "id",
    id_kind: Kind = "str",
    records: Recorder | None = None,
    record_columns: Sequence[Any] | None = None,
) -> Any:
    """Answer a list request: one page in the envelope, or every row streamed in another format."""
    sort = parse_sort(paging.sort, sorts, default=default_sort)
    if fmt != Format.json:
        return stream(
            engine,
            query,
            sort=sort,
            id_column=id_column,
            serialize=serialize,
            model=model,
            fmt=Format(fmt),
            name=name,
            records=records,
            columns=record_columns,
        )
    page = fetch_page(
        session,
        query,
        url=public_url(request),
        sort=sort,
        id_column=id_column,
        limit=paging.limit,
        offset=paging.offset,
        cursor_token=paging.cursor,
        id_kind=id_kind,
    )
    return envelope(response, page, serialize(session, page.rows))


def public_url(request: Request) -> URL:
    """The request's URL as clients know it: under `LABORWATCH_PUBLIC_URL` when that is set."""
    base = request.app.state.settings.public_url
    if not base:
        return request.url
    public = URL(base.rstrip("/"))
    path = public.path + request.url.path
    return request.url.replace(scheme=public.scheme, netloc=public.netloc, path=path)


def answer_claim_list(
    request: Request,
    response: Response,
    session: Session,
    engine: Engine,
    paging: Paging,
    fmt: str,
    filters: ClaimFilters,
    name: str,
) -> Any:
    """Answer a list of claims (the claims list and the report and facility sub-lists)."""
    return answer_list(
        request,
        response,
        session,
        engine,
        paging,
        fmt,
        query=claim_query(filters, session.get_bind().dialect.name),
        sorts=CLAIM_SORTS,
        id_column=col(Claim.id),
        serialize=serialize_claims,
        model=ClaimPublic,
        name=name,
        records=export_claims,
        record_columns=EXPORT_COLUMNS,
    )
