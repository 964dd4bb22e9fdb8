"""The hot list queries are index searches on SQLite: no scan of a whole table, no sort of every match.

SQLite's `EXPLAIN QUERY PLAN` is what the planner will do, whatever the table's size, so these plans are a
regression test for the indexes of migration 0005 (speed itself is measured in `bench/`, not here).
"""

from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Select, func, select

from api.claims.listing import CLAIMS, ClaimFilters, any_restricted_query
from api.facilities.listing import FACILITIES, FacilityFilters
from api.kit.listing import Listing
from api.kit.paging import Keyset, parse_sort
from api.reports.listing import REPORTS, ReportFilters

CASES: list[tuple[Listing[Any], Any, str]] = [
    (FACILITIES, FacilityFilters(country=("RU",), city="irkutsk"), "facility"),
    (FACILITIES, FacilityFilters(country=("RU",)), "facility"),
    (FACILITIES, FacilityFilters(city="Irkutsk"), "facility"),
    (FACILITIES, FacilityFilters(region="Irkutsk Oblast"), "facility"),
    (FACILITIES, FacilityFilters(sector=("GARMENT",)), "facility"),
    (FACILITIES, FacilityFilters(kind=("factory",)), "facility"),
    (REPORTS, ReportFilters(publisher="daily nk"), "report"),
    (CLAIMS, ClaimFilters(report_id="dailynk-garment-orders-russia"), "claim"),
    (CLAIMS, ClaimFilters(facility_id="irkutsk-dprk-garment-factory"), "claim"),
]
IDS = [f"{listing.name}:{filters}" for listing, filters, _table in CASES]


def plan(db: Connection, statement: Select[Any]) -> list[str]:
    sql = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    return [row[-1] for row in db.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]


@pytest.fixture
def sqlite_corpus(backend: str, corpus: Engine) -> Engine:
    if backend != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    return corpus


@pytest.mark.parametrize(("listing", "filters", "table"), CASES, ids=IDS)
def test_a_filtered_page_and_its_count_search_an_index(
    sqlite_corpus: Engine, listing: Listing[Any], filters: Any, table: str
) -> None:
    with sqlite_corpus.connect() as db:
        query = listing.query(filters, db)
        page = Keyset(query, parse_sort(None, listing.sorts, listing.default_sort), listing.id_column)
        count = select(func.count()).select_from(query.order_by(None).subquery())
        for steps in (plan(db, page.ordered().limit(51)), plan(db, count)):
            assert any(step.startswith(f"SEARCH {table} USING") for step in steps), steps
            assert not any(step.startswith(f"SCAN {table}") for step in steps), steps
        if listing is not CLAIMS:  # a claim's id order is its own index; equality filters keep it
            assert not any("TEMP B-TREE" in step for step in plan(db, page.ordered().limit(51)))


def test_whether_any_report_is_restricted_reads_the_partial_index(sqlite_corpus: Engine) -> None:
    # Asked by every public claim search; without the index (migration 0012) it read every report body.
    with sqlite_corpus.connect() as db:
        steps = plan(db, any_restricted_query())
    assert any("USING INDEX ix_report_restricted" in step for step in steps), steps


@pytest.mark.parametrize(
    "filters",
    [
        FacilityFilters(country=("RU",), city="irkutsk", min_sources=2),
        FacilityFilters(country=("RU",), min_sources=2),
    ],
    ids=["country and city", "country"],
)
def test_corroborated_figures_of_a_place_are_sought_not_filtered(
    sqlite_corpus: Engine, filters: FacilityFilters
) -> None:
    # Few figures have two sources: the list seeks them by the place and `workers_sources` (migration
    # 0013) rather than reading every facility of the place from the table to test its sources.
    with sqlite_corpus.connect() as db:
        query = FACILITIES.query(filters, db)
        page = Keyset(
            query, parse_sort(None, FACILITIES.sorts, FACILITIES.default_sort), FACILITIES.id_column
        )
        steps = plan(db, page.ordered().limit(51))
    assert any("workers_sources>?" in step for step in steps), steps
