"""Listed resources described once, and the one way every list is answered: a JSON page, CSV, NDJSON, GeoJSON.

A resource module (`api.resources.*`) declares a `Listing`: its query, its sort keys, its id column and the
one function that shapes its rows. The list routes, every export format, the paging and the sort and format
enums in OpenAPI all follow from it.
"""

import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import parse_qsl

from fastapi import Query, Request
from pydantic import BaseModel
from sqlalchemy import Connection, Select
from starlette.datastructures import URL
from starlette.responses import Response

from api.auth.access import current_audience
from api.db.reader import Reader
from api.edge.clients import client_of
from api.edge.limits import Slots
from api.errors import InvalidQuery, problem_responses
from api.kit.export import EXPORT_CONTENT, GEOJSON_CONTENT, Format, Shaper, stream
from api.kit.paging import Keyset, Kind, Sort, SortKey, fetch_page, parse_sort
from api.kit.responses import dumps, json_response
from api.kit.totals import Totals
from api.kit.urls import public_url
from api.settings import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

Filters = TypeVar("Filters")

# Pages longer than this are heavy reads (a worker thread, the heavy slots), whatever their filters:
# shaping and serialising hundreds of items would hold the event loop for milliseconds.
BIG_PAGE = 100

FORMAT_TEXT = {
    Format.json: "`json` (the paged envelope, default)",
    Format.csv: "`csv` (nested objects as dotted columns, lists joined with `;`)",
    Format.ndjson: "`ndjson` (one item per line)",
    Format.geojson: "`geojson` (a FeatureCollection of the located items)",
}


LINK_HEADER = {
    "description": 'The next page of a JSON list, as `next` gives it: `<URL>; rel="next"` (not on the last).',
    "schema": {
        "type": "string",
        "examples": ['<http://127.0.0.1:8000/v1/facilities?cursor=WyJpZCJd>; rel="next"'],
    },
}


@dataclass(frozen=True)
class ListRequest:
    """The paging and format parameters of one list request, validated."""

    limit: int
    offset: int
    cursor: str | None
    sort: Sort
    format: Format


@dataclass(frozen=True)
class Listing(Generic[Filters]):
    """Everything one listed resource's lists need; `params` is the FastAPI dependency made from it."""

    name: str
    item: type[BaseModel]
    query: Callable[[Filters, Connection], Select[Any]]
    shape: Shaper
    sorts: dict[str, SortKey]
    id_column: str = "id"
    id_kind: Kind = "str"
    default_sort: str = "id"
    formats: tuple[Format, ...] = (Format.json, Format.csv, Format.ndjson)
    # Whether these filters may make the list's queries long (full text, figures as of a date): such lists
    # are read in a worker thread, the others on the event loop on SQLite (see `api.db.reader.Reader`).
    slow: Callable[[Filters], bool] = lambda _filters: False
    # A cheaper count of the matches for these filters (the same number), or None to count the query.
    count: Callable[[Filters, Connection], Select[Any] | None] = lambda _filters, _db: None
    # Knowing (filters, db, sort, total, limit), another keyset of the same rows, columns and order that
    # reads the page faster, or None (see `api.kit.paging.fetch_page`).
    reread: Callable[[Filters, Connection, Sort, int, int], Keyset | None] = lambda *_args: None
    # Whether a total may be remembered per data version (`api.kit.totals`): true when every write that
    # changes what the list holds bumps the data version.
    remember_totals: bool = False
    params: Callable[..., Awaitable[ListRequest]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", _params_dependency(self))

    def sort_tokens(self) -> list[str]:
        """Every value `sort` takes: each key, ascending and with `-` for descending."""
        return [token for name in self.sorts for token in (name, f"-{name}")]

    def responses(self) -> dict[int | str, dict[str, Any]]:
        """The OpenAPI responses of this list: the envelope or a stream in each format, and the problems."""
        content = dict(EXPORT_CONTENT)
        if Format.geojson in self.formats:
            content |= GEOJSON_CONTENT
        ok = {
            "description": "The list envelope, or a stream of every row in the asked `format`.",
            "content": content,
            "headers": {"Link": LINK_HEADER},
        }
        return {200: ok, **problem_responses(400, 422, 429)}


def _params_dependency(listing: "Listing[Any]") -> Callable[..., Awaitable[ListRequest]]:
    """Build the dependency that reads a list's paging, sort and format, with enums made from `listing`."""
    title = listing.item.__name__.removesuffix("Public")
    sort_enum = StrEnum(f"{title}Sort", {token: token for token in listing.sort_tokens()})  # type: ignore[misc]
    format_enum = StrEnum(f"{title}Format", {fmt.value: fmt.value for fmt in listing.formats})  # type: ignore[misc]
    json_format = format_enum("json")
    keys = ", ".join(listing.sorts)
    formats = ", ".join(FORMAT_TEXT[fmt] for fmt in listing.formats)

    async def params(
        request: Request,
        limit: Annotated[
            int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page, 1 to 500.", examples=[50])
        ] = DEFAULT_PAGE_SIZE,
        offset: Annotated[
            int,
            Query(
                ge=0,
                description="Items to skip (at most LABORWATCH_MAX_OFFSET); deeper, follow `next`.",
                examples=[0],
            ),
        ] = 0,
        cursor: Annotated[
            str | None,
            Query(
                max_length=2000,
                description="Opaque cursor from a previous page's `next` link (made for the same `sort`).",
                examples=[
                    "WyJpZCIsImNsbS0wMDAwMDAwMDAwMDAwMDAwMDAwMCIsImNsbS0wMDAwMDAwMDAwMDAwMDAwMDAwMCIsNTBd"
                ],
            ),
        ] = None,
        sort: Annotated[
            sort_enum | None,
            Query(
                description=f"Sort on one of: {keys}; prefix `-` for descending (missing values come last "
                f"either way). Default `{listing.default_sort}`.",
                examples=[listing.sort_tokens()[-1]],
            ),
        ] = None,
        fmt: Annotated[
            format_enum,
            Query(
                alias="format",
                description=f"{formats}. Every format but `json` streams every matching row (no paging, "
                "same filters and sort).",
                examples=["csv"],
            ),
        ] = json_format,
    ) -> ListRequest:
        max_offset: int = request.app.state.settings.max_offset
        if offset > max_offset:
            raise InvalidQuery(
                f"offset may be at most {max_offset}; follow the `next` link to go deeper.",
                [{"loc": ["query", "offset"], "msg": f"must be at most {max_offset}"}],
            )
        chosen = parse_sort(str(sort) if sort is not None else None, listing.sorts, listing.default_sort)
        return ListRequest(limit, offset, cursor, chosen, Format(str(fmt)))

    return params


async def answer_list(
    reader: Reader,
    request: Request,
    listing: Listing[Filters],
    filters: Filters,
    params: ListRequest,
    export_name: str | None = None,
    *,
    check: Callable[[Connection], None] | None = None,
) -> Response:
    """Answer a list request on the reader: in a worker thread when its filters may be slow or it exports.

    `check` runs first on the same connection (a sub-list's parent must exist).
    """

    def work(db: Connection) -> Response:
        if check is not None:
            check(db)
        return answer(db, request, listing, filters, params, export_name)

    if params.format is not Format.json:
        return await _export(reader, request, listing, filters, params, export_name, check)
    if listing.slow(filters) or params.limit > BIG_PAGE:
        return await reader(work)
    return await reader.inline(work)


async def _export(
    reader: Reader,
    request: Request,
    listing: Listing[Filters],
    filters: Filters,
    params: ListRequest,
    export_name: str | None,
    check: Callable[[Connection], None] | None,
) -> Response:
    """Stream every row, within the export limits."""
    settings = request.app.state.settings

    def opened(db: Connection, release: Callable[[], None]) -> Response:
        if check is not None:
            check(db)
        keyset = Keyset(listing.query(filters, db), params.sort, listing.id_column)
        name = export_name or listing.name
        return stream(
            db,
            keyset,
            listing.shape,
            listing.item,
            params.format,
            name,
            send_timeout_s=settings.export_send_timeout_s,
            cleanup=reader.cleanup,
            release=release,
        )

    return await open_export(reader, request, opened)


async def open_export(
    reader: Reader, request: Request, opened: Callable[[Connection, Callable[[], None]], Response]
) -> Response:
    """Answer an export within the export limits: a slot per export, held until its body ends.

    `opened(db, release)` reads the first rows in a worker thread and returns the streamed response,
    which closes `db` and calls `release` when it ends; if it fails, both are done here.
    """
    slots: Slots = request.app.state.exports
    settings = request.app.state.settings
    release = slots.take(client_of(request.scope, settings.trusted_proxies))
    try:
        return await reader.opened(lambda db: opened(db, release))
    except BaseException:
        release()
        raise


@dataclass(frozen=True)
class ListedPage:
    """One page of a list, shaped: its items, the total of matches and the cursor of the next page."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    next_cursor: str | None


def read_page(
    db: Connection, request: Request, listing: Listing[Filters], filters: Filters, params: ListRequest
) -> ListedPage:
    """Read and shape one page of a list: what the JSON envelope and the explorer's tables both show."""
    keyset = Keyset(listing.query(filters, db), params.sort, listing.id_column)

    def reread(total: int) -> Keyset | None:
        return listing.reread(filters, db, params.sort, total, params.limit)

    version = data_version(request)
    url = public_url(request)
    totals: Totals | None = getattr(request.app.state, "totals", None) if listing.remember_totals else None
    remembered_as = f"{current_audience().value}:{url.path}?{_filters(url)}"
    known = totals.get(version, remembered_as) if totals is not None else None
    page = fetch_page(
        db,
        keyset,
        limit=params.limit,
        offset=params.offset,
        cursor_token=params.cursor,
        counted_under=f"{version}:{_filters_key(url)}",
        id_kind=listing.id_kind,
        counting=listing.count(filters, db) if known is None else None,
        reread=reread,
        known_total=known,
    )
    if totals is not None and page.counted:
        totals.put(version, remembered_as, page.total)
    following = page.next.encode() if page.next is not None else None
    return ListedPage(listing.shape(db, page.rows), page.total, page.limit, page.offset, following)


def answer(
    db: Connection,
    request: Request,
    listing: Listing[Filters],
    filters: Filters,
    params: ListRequest,
    export_name: str | None = None,
) -> Response:
    """Answer a list request with one page in the envelope (with `Link: rel="next"`)."""
    page = read_page(db, request, listing, filters, params)
    next_url = None
    headers = None
    if page.next_cursor is not None:
        url = public_url(request)
        next_url = str(url.remove_query_params("offset").include_query_params(cursor=page.next_cursor))
        headers = {"Link": f'<{next_url}>; rel="next"'}
    envelope = {
        "items": page.items,
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "next": next_url,
    }
    return json_response(envelope, headers=headers)


def data_version(request: Request) -> int:
    """The data version this request is answered under: as the ETag middleware read it, else read now."""
    version = getattr(request.state, "data_version", None)
    if isinstance(version, int):
        return version
    read: int = request.app.state.versions.read()
    return read


def _filters_key(url: URL) -> str:
    """A digest of the path, filters and sort (not the paging), to tell whether a carried total applies."""
    return f"{zlib.crc32(dumps([url.path, _filter_params(url)])):08x}"


def _filter_params(url: URL) -> list[tuple[str, str]]:
    """The query parameters that choose a list's rows and order (not the paging), sorted."""
    return sorted(
        (name, value)
        for name, value in parse_qsl(url.query, keep_blank_values=True)
        if name not in ("cursor", "offset", "limit")
    )


def _filters(url: URL) -> str:
    """The path's filters and sort in full (not a digest: the key of a total shared by every client)."""
    return dumps(_filter_params(url)).decode()
