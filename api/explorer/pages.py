"""The explorer's pages: overview, facilities, one facility, reports, the report reader, and the map's data.

Every page reads through the API's own query layer (`api.resources`, `api.listing`) with the API's own
filter and paging dependencies, so names, validation, sorting and cursors are the API's. Nothing here
writes, and nothing here is in the OpenAPI document.
"""

from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any

import anyio.to_thread
import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy import Connection
from starlette.responses import RedirectResponse, Response

from api.claims.listing import claims_of_facility, claims_of_report
from api.db.reader import ReadDep
from api.errors import Merged, NotFound
from api.explorer import STATIC_PATH, TEMPLATES_DIR
from api.explorer.bidi import finalize
from api.explorer.charts import MAX_COLUMNS, Bar, bar_chart, bar_text, binned, column_chart, figure
from api.explorer.highlight import Span, highlight
from api.facilities.listing import (
    FACILITIES,
    FacilityFilters,
    FacilityFiltersDep,
    facility_by_id,
    facility_query,
    latest_worker_figures,
    located_count,
    located_facilities,
    shape_facilities,
)
from api.facilities.merges import require_facility
from api.kit.export import Format
from api.kit.listing import ListedPage, ListRequest, read_page
from api.kit.paging import Keyset, iter_batches, parse_sort
from api.kit.urls import facility_moved_to
from api.reports.listing import REPORTS, ReportFiltersDep, report_by_id, reports_by_ids
from api.stats.compute import compute_stats
from api.vocabulary import CREDIBILITY_WORDS, RELIABILITY_WORDS, Status
from api.wording import claim_in_words, number

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=TEMPLATES_DIR)


def claim_words(claim: dict[str, Any]) -> str:
    """What a claim says, in words (api/wording.py): `production doubled`, `sleep 4 hours a day`."""
    return claim_in_words(
        claim["predicate"], claim["value"], claim["unit"], claim["approximate"], claim.get("high")
    )


def day(value: str | None, missing: str = "—") -> Markup:
    """A date kept on one line (never broken at its hyphens), or `missing`."""
    if not value:
        return escape(missing)
    return Markup('<span class="date">{}</span>').format(value)


templates.env.filters["number"] = number
templates.env.filters["bar_text"] = bar_text
templates.env.filters["day"] = day
templates.env.finalize = finalize
templates.env.globals.update(
    static=STATIC_PATH,
    figure=figure,
    claim_words=claim_words,
    statuses=[status.value for status in Status],
    reliability_words=RELIABILITY_WORDS,
    credibility_words=CREDIBILITY_WORDS,
)
# Rows of the overview's charts; the others are summed into one last bar.
CHART_ROWS = 12
FACILITY_COLUMNS = [
    ("name", "Name"),
    ("country", "Country"),
    ("city", "City"),
    ("sector", "Sector"),
    ("kind", "Kind"),
    ("workers", "Workers"),
    ("claim_count", "Claims"),
    ("last_reported", "Last reported"),
]
REPORT_COLUMNS = [
    ("title", "Title"),
    ("publisher", "Publisher"),
    ("published_on", "Published"),
    ("claim_count", "Claims"),
]


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """Render one of the explorer's templates."""
    return templates.TemplateResponse(request, template, context, status_code=status_code)


# Query parameters that page, sort or pick a format rather than filter: the "Filter" button counts the rest.
NOT_FILTERS = frozenset({"cursor", "offset", "limit", "sort", "format"})


def active_filters(request: Request) -> int:
    """How many filters the page is narrowed by (the folded filter form says so on a phone)."""
    return sum(1 for name, value in request.query_params.multi_items() if value and name not in NOT_FILTERS)


async def rendered(request: Request, template: str, **context: Any) -> Response:
    """Render one of the explorer's templates in a worker thread: a long page never holds the event loop."""
    return await anyio.to_thread.run_sync(partial(page, request, template, **context))


def link(request: Request, **changes: str | None) -> str:
    """The path and query asked for, some parameters replaced (None drops one): a same-origin link."""
    url = request.url.remove_query_params(list(changes))
    url = url.include_query_params(**{name: value for name, value in changes.items() if value is not None})
    return url.path + (f"?{url.query}" if url.query else "")


@dataclass
class Table:
    """A paged, sortable table of a list: its page, its sort, and the links that move through it."""

    page: ListedPage
    sort: str
    columns: list[dict[str, str]] = field(default_factory=list)
    next_link: str | None = None
    first_link: str | None = None


def table(request: Request, listed: ListedPage, params: ListRequest, columns: list[tuple[str, str]]) -> Table:
    """The table of one page: column headers that sort (again: the other way), next and first links."""
    current = params.sort.token
    heads = []
    for key, label in columns:
        descending = current == f"-{key}"
        ascending = current == key
        heads.append(
            {
                "label": label,
                "href": link(request, sort=key if not ascending else f"-{key}", cursor=None, offset=None),
                "aria_sort": "ascending" if ascending else "descending" if descending else "none",
            }
        )
    following = link(request, cursor=listed.next_cursor, offset=None) if listed.next_cursor else None
    paged = params.cursor is not None or params.offset > 0
    first = link(request, cursor=None, offset=None) if paged else None
    return Table(listed, current, heads, following, first)


async def _read_list(
    request: Request, read: ReadDep, listing: Any, filters: Any, params: ListRequest
) -> ListedPage:
    if listing.slow(filters):
        return await read(read_page, request, listing, filters, params)
    return await read.inline(read_page, request, listing, filters, params)


def _api_export(request: Request, path: str) -> Response:
    """Exports are the API's: a table asked for in another format goes to the same list there."""
    query = request.url.query
    return RedirectResponse(path + (f"?{query}" if query else ""), status_code=307)


def _overview(db: Connection) -> dict[str, Any]:
    stats = compute_stats(db, FacilityFilters())

    def bars(counts: list[Any], name: str) -> list[Bar]:
        # A group none of whose facilities has a figure has unknown workers, not zero: it comes last.
        def known(count: Any) -> float | None:
            return float(count.workers) if count.facilities_with_figure else None

        ranked = sorted(counts, key=lambda count: (-(known(count) or -1), str(getattr(count, name))))
        shown = [Bar(str(getattr(count, name) or "not given"), known(count)) for count in ranked]
        if len(shown) > CHART_ROWS:
            rest = [bar.value for bar in shown[CHART_ROWS - 1 :] if bar.value is not None]
            others = Bar(f"{len(shown) - CHART_ROWS + 1} others", sum(rest) if rest else None, muted=True)
            shown = [*shown[: CHART_ROWS - 1], others]
        return shown

    countries = bars(stats.by_country, "country")
    sectors = bars(stats.by_sector, "sector")
    return {
        "stats": stats,
        "located": located_count(db),
        "country_chart": bar_chart(countries, "Workers by country"),
        "sector_chart": bar_chart(sectors, "Workers by sector"),
        "countries": countries,
        "sectors": sectors,
    }


@router.get("/")
async def overview(request: Request, read: ReadDep) -> Response:
    """Totals, workers by country and by sector, and the map of located facilities."""
    return await rendered(request, "overview.html", **await read(_overview))


def _map_features(db: Connection) -> bytes:
    features = []
    for rows in iter_batches(db, Keyset(located_facilities(db), parse_sort(None, FACILITIES.sorts), "id")):
        for item in shape_facilities(db, rows):
            location, workers = item["location"], item["workers"]
            features.append(
                {
                    "type": "Feature",
                    "id": item["id"],
                    "geometry": {"type": "Point", "coordinates": [location["lon"], location["lat"]]},
                    "properties": {
                        "name": item["name"],
                        "city": item["city"],
                        "country": item["country"],
                        "workers": workers["value"] if workers else None,
                        "approximate": bool(workers and workers["approximate"]),
                    },
                }
            )
    return orjson.dumps({"type": "FeatureCollection", "features": features})


@router.get("/map.geojson")
async def map_data(read: ReadDep) -> Response:
    """Every located facility as a GeoJSON Point with what its marker shows: one request for the map."""
    return Response(await read(_map_features), media_type="application/geo+json")


@router.get("/facilities")
async def facilities_page(
    request: Request,
    read: ReadDep,
    filters: FacilityFiltersDep,
    params: Annotated[ListRequest, Depends(FACILITIES.params)],
) -> Response:
    """The facilities table: the API's filters, sort keys and cursors, one page at a time."""
    if params.format is not Format.json:
        return _api_export(request, "/v1/facilities")
    listed = await _read_list(request, read, FACILITIES, filters, params)
    return await rendered(
        request,
        "facilities.html",
        table=table(request, listed, params, FACILITY_COLUMNS),
        filters=filters,
        query=request.query_params,
        active_filters=active_filters(request),
        export_query=link(request, cursor=None, offset=None, sort=None, limit=None).partition("?")[2],
    )


@dataclass
class FacilityView:
    """What the facility page shows, or where the facility lives now if it was merged."""

    facility: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    more_claims: bool = False
    moved_to: str | None = None
    history_total: int = 0
    # The claims grouped by their report's origin (one independent source each), origins in first order.
    by_origin: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)


# Claims a facility page lists; the rest are a link away (the API's paged list), so a page stays small.
FACILITY_CLAIMS_SHOWN = 200
# Worker figures a facility page lists (the latest); the rest are a link away (the API's paged history).
FACILITY_FIGURES_SHOWN = 100


def _facility(db: Connection, facility_id: str) -> FacilityView:
    try:
        require_facility(db, facility_id)
    except Merged as merged:
        return FacilityView(moved_to=merged.survivor_id)
    facility = facility_by_id(db, facility_id)
    claims = claims_of_facility(db, facility_id, FACILITY_CLAIMS_SHOWN + 1)
    more = len(claims) > FACILITY_CLAIMS_SHOWN
    claims = claims[:FACILITY_CLAIMS_SHOWN]
    reports = reports_by_ids(db, sorted({claim["report_id"] for claim in claims}))
    groups: dict[str, list[dict[str, Any]]] = {}
    for claim in claims:
        origin = (
            reports[claim["report_id"]]["origin"] if claim["report_id"] in reports else claim["report_id"]
        )
        groups.setdefault(origin, []).append(claim)
    origins = {origin for origin in groups if origin not in reports}
    reports |= reports_by_ids(db, sorted(origins))
    history, history_total = latest_worker_figures(db, facility_id, FACILITY_FIGURES_SHOWN)
    return FacilityView(
        facility, history, claims, reports, more, history_total=history_total, by_origin=list(groups.items())
    )


@router.get("/facilities/{facility_id}")
async def facility_page(
    request: Request, read: ReadDep, facility_id: Annotated[str, Path(max_length=128)]
) -> Response:
    """One facility: where, its current figure, its figures over time, and every claim with its report."""
    view = await read(_facility, facility_id)
    if view.moved_to is not None:
        where = facility_moved_to(request, facility_id, view.moved_to, under="/facilities")
        return RedirectResponse(where, status_code=308)
    history = binned(
        [
            Bar(item["as_of"] or "undated", float(item["value"]), item["approximate"], not item["counts"])
            for item in view.history
        ]
    )
    return await rendered(
        request,
        "facility.html",
        facility=view.facility,
        history=view.history,
        history_total=view.history_total,
        chart_binned=len(view.history) > MAX_COLUMNS,
        history_chart=column_chart(history, "Worker figures over time") if history else None,
        claims=view.claims,
        by_origin=view.by_origin,
        more_claims=view.more_claims,
        reports=view.reports,
    )


@router.get("/reports")
async def reports_page(
    request: Request,
    read: ReadDep,
    filters: ReportFiltersDep,
    params: Annotated[ListRequest, Depends(REPORTS.params)],
) -> Response:
    """The reports, paged with the API's cursors and sortable by the API's sort keys."""
    if params.format is not Format.json:
        return _api_export(request, "/v1/reports")
    listed = await _read_list(request, read, REPORTS, filters, params)
    return await rendered(
        request,
        "reports.html",
        table=table(request, listed, params, REPORT_COLUMNS),
        query=request.query_params,
        active_filters=active_filters(request),
    )


# Claims the reader lists beside the text, a page at a time (`?claims=2`); every span stays marked.
REPORT_CLAIMS_SHOWN = 200


@dataclass
class ReportView:
    """What the reader shows: the report, its claims and facilities, and the body with the highlights."""

    report: dict[str, Any]
    claims: list[dict[str, Any]]
    facilities: dict[str, Any]
    text: Markup
    # The reports its lineage names (its parent, origin and derivatives), by id, for their titles.
    related: dict[str, dict[str, Any]] = field(default_factory=dict)


def _report(db: Connection, report_id: str) -> ReportView:
    """The reader's content, highlights included (they cost a sort per piece: off the event loop)."""
    report = report_by_id(db, report_id)
    if report is None:
        raise NotFound(f"No report with id {report_id!r}.")
    named = db.execute(facility_query(FacilityFilters(report_id=report_id), db)).all()
    facilities = {facility["id"]: facility for facility in shape_facilities(db, named)}
    claims = claims_of_report(db, report_id)
    parent = report["derived_from"]["report"] if report["derived_from"] else None
    lineage = {report["origin"], *report["derivatives"], *([parent] if parent else [])} - {report_id}
    related = reports_by_ids(db, sorted(lineage))
    if report["body"] is None:  # withheld (a restricted report): no text to mark
        return ReportView(report, claims, facilities, Markup(""), related)
    spans = [Span.of(claim, claim_title(claim)) for claim in claims if claim["span"] is not None]
    return ReportView(report, claims, facilities, highlight(report["body"], spans), related)


def claim_title(claim: dict[str, Any]) -> str:
    """A claim in one line, as a highlight's tooltip says it."""
    return f"{claim_words(claim)} ({claim['status']})"


@router.get("/reports/{report_id}")
async def report_page(
    request: Request,
    read: ReadDep,
    report_id: Annotated[str, Path(max_length=128)],
    claims_page: Annotated[int, Query(alias="claims", ge=1, le=1000)] = 1,
) -> Response:
    """The report reader: the stored text with every claim's span highlighted, and the claims beside it."""
    view = await read(_report, report_id)
    start = (claims_page - 1) * REPORT_CLAIMS_SHOWN
    shown = view.claims[start : start + REPORT_CLAIMS_SHOWN]
    pages = max(1, -(-len(view.claims) // REPORT_CLAIMS_SHOWN))
    return await rendered(
        request,
        "report.html",
        report=view.report,
        claims=shown,
        claim_total=len(view.claims),
        claims_from=start + 1,
        claims_page=claims_page,
        claims_pages=pages,
        facilities=view.facilities,
        text=view.text,
        related=view.related,
        titles={claim["id"]: claim_title(claim) for claim in shown},
    )
