"""Claim search on many claims: exact totals and every match once, whichever way the page is read.

When `q` is the only filter, the total is counted from the full-text index alone; when many claims match,
SQLite reads the claims in id order rather than sorting every match (`api.claims.listing.claim_reread`).
These tests hold both shortcuts to the plain query's answer, and check on SQLite that the plans really
avoid what they are meant to avoid.
"""

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from api.claims.listing import CLAIMS, ClaimFilters, claim_count, claim_reread
from api.claims.order import assign_id_order, key_bound, keys_in_id_order, order_key
from api.db.engine import write_session
from api.ingest.loader import load_bundle, parse_bundle
from api.kit.paging import KeyOrderedKeyset, parse_sort
from models import Claim

CLAIMS_TABLE = Claim.__table__  # type: ignore[attr-defined]
# Invented sentences: every claim says "tally"; two in three say "harvest"; one in nine says "lantern".
CLAIM_COUNT = 180
# Constant SQL: a copy of the first "lantern" claim under another id, straight into the table (as no loader
# writes it: no `id_order`).
COPY_CLAIM = (
    "INSERT INTO claim (id, report_id, facility_id, position, subject, predicate, value_number, value_text, "
    "unit, approximate, period_start, period_end, quote, span_start, span_end, attributed_to, evidence, "
    "status, notes, dated_on, search_text) SELECT :id, report_id, facility_id, position + 1000, subject, "
    "predicate, value_number, value_text, unit, approximate, period_start, period_end, quote, span_start, "
    "span_end, attributed_to, evidence, status, notes, dated_on, search_text FROM claim "
    "WHERE quote LIKE 'Tally 0 %'"
)


def _sentence(index: int) -> str:
    words = ["Tally", str(index)]
    if index % 3:
        words.append("harvest")
    if index % 9 == 0:
        words.append("lantern")
    return " ".join(words) + " recorded by the orchard clerk."


def _bundle() -> dict[str, Any]:
    sentences = [_sentence(index) for index in range(CLAIM_COUNT)]
    return {
        "report": {
            "id": "orchard-ledger",
            "title": "Orchard ledger",
            "publisher": "Ledger Desk",
            "published_on": "2024-05-01",
            "language": "en",
            "body": " ".join(sentences),
        },
        "facilities": [
            {
                "id": "orchard-camp",
                "name": "Orchard camp",
                "kind": "farm",
                "sector": "agriculture",
                "country": "RU",
            }
        ],
        "claims": [
            {
                "facility": "orchard-camp",
                "predicate": "worker_count",
                "value": 10 + index,
                "unit": "workers",
                "quote": sentence,
            }
            for index, sentence in enumerate(sentences)
        ],
    }


@pytest.fixture
def orchard(client: TestClient, engine: Engine) -> TestClient:
    with write_session(engine) as session:
        assert load_bundle(session, parse_bundle(_bundle())).status == "added"
    return client


def _walk(client: TestClient, **params: Any) -> tuple[list[str], set[int]]:
    """Every id of a list, following `next`; and every `total` the pages gave."""
    seen: list[str] = []
    totals: set[int] = set()
    response = client.get("/v1/claims", params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        totals.add(body["total"])
        if body["next"] is None:
            return seen, totals
        response = client.get(body["next"])


def _expected(engine: Engine, word: str) -> list[str]:
    """The ids of the claims whose quote holds `word`, read from the claim table itself."""
    with engine.connect() as db:
        quotes = db.execute(select(CLAIMS_TABLE.c.id, CLAIMS_TABLE.c.quote)).all()
    return sorted(claim_id for claim_id, quote in quotes if word in quote.lower().split())


@pytest.mark.parametrize("word", ["tally", "harvest", "lantern"])
@pytest.mark.parametrize("limit", [7, 50])
def test_a_search_pages_through_every_match_once_in_id_order(
    orchard: TestClient, engine: Engine, word: str, limit: int
) -> None:
    expected = _expected(engine, word)
    assert expected  # the word is in the corpus
    seen, totals = _walk(orchard, q=word, limit=limit)
    assert seen == expected
    assert totals == {len(expected)}


@pytest.mark.parametrize("word", ["harvest", "lantern"])
def test_descending_and_offset_pages_of_a_search(orchard: TestClient, engine: Engine, word: str) -> None:
    expected = _expected(engine, word)
    seen, _totals = _walk(orchard, q=word, limit=25, sort="-id")
    assert seen == expected[::-1]
    body = orchard.get("/v1/claims", params={"q": word, "limit": 10, "offset": 20}).json()
    assert [item["id"] for item in body["items"]] == expected[20:30]
    assert body["total"] == len(expected)


def test_a_search_with_another_filter_counts_both(orchard: TestClient, engine: Engine) -> None:
    expected = _expected(engine, "harvest")
    body = orchard.get(
        "/v1/claims", params={"q": "harvest", "report_id": "orchard-ledger", "limit": 5}
    ).json()
    assert body["total"] == len(expected)
    body = orchard.get("/v1/claims", params={"q": "harvest", "predicate": "wages"}).json()
    assert (body["total"], body["items"]) == (0, [])


def test_a_search_that_matches_nothing(orchard: TestClient) -> None:
    body = orchard.get("/v1/claims", params={"q": "quince"}).json()
    assert (body["total"], body["items"], body["next"]) == (0, [], None)


def _plan(engine: Engine, statement: Any) -> list[str]:
    with engine.connect() as db:
        sql = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        return [row[-1] for row in db.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]


def test_sqlite_counts_from_the_index_and_reads_a_search_in_id_order(
    orchard: TestClient, engine: Engine, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    filters = ClaimFilters(q="harvest")
    sort = parse_sort(None, CLAIMS.sorts, CLAIMS.default_sort)
    with engine.connect() as db:
        count = claim_count(filters, db)
        total = db.scalar(select(func.count()).select_from(CLAIMS.query(filters, db).subquery()))
        assert count is not None
        assert total is not None
        assert db.scalar(count) == total == len(_expected(engine, "harvest"))
        broad = claim_reread(filters, db, sort, total, 10)
        narrow = claim_reread(ClaimFilters(q="lantern"), db, sort, 1, 10)
        filtered = ClaimFilters(q="harvest", report_id="orchard-ledger")
        walked = claim_reread(filtered, db, sort, total, 10)
        assert claim_reread(replace(filtered, q="lantern"), db, sort, 1, 10) is None
        assert claim_count(filtered, db) is None
    count_plan = _plan(engine, count)
    assert not any(" claim " in f" {step} " for step in count_plan), count_plan  # the FTS5 table alone
    # `q` alone, broad or narrow: the FTS5 table read in rowid order, which is the id's, and no sort
    for keyset in (broad, narrow):
        assert isinstance(keyset, KeyOrderedKeyset)
        steps = _plan(engine, keyset.ordered().limit(11))
        assert "claim_fts" in steps[0], steps
        assert not any("TEMP B-TREE" in step for step in steps), steps
    # another filter beside `q`, and many matches: the matches tested while walking the id order
    assert walked is not None
    assert not isinstance(walked, KeyOrderedKeyset)


def test_a_claim_whose_key_does_not_sort_as_its_id_leaves_search_answers_unchanged(
    orchard: TestClient, engine: Engine, backend: str
) -> None:
    # A claim whose id is not `clm-` and 20 hex digits (or whose key another claim holds) gets minus its
    # pk as its key (api/claims/order.py): searches then read their pages the slower way, same answers.
    with engine.begin() as connection:
        connection.execute(text(COPY_CLAIM), {"id": "zz-copy-of-a-lantern-claim"})
    expected = _expected(engine, "lantern")
    assert "zz-copy-of-a-lantern-claim" in expected
    with engine.connect() as db:
        assert keys_in_id_order(db) is (backend != "sqlite")
        keys = db.execute(
            select(CLAIMS_TABLE.c.id_order).where(CLAIMS_TABLE.c.id == "zz-copy-of-a-lantern-claim")
        ).scalar()
        assert (keys is not None and keys < 0) if backend == "sqlite" else keys is None
    for sort in ("id", "-id"):
        seen, totals = _walk(orchard, q="lantern", limit=4, sort=sort)
        assert seen == (expected if sort == "id" else expected[::-1])
        assert totals == {len(expected)}


def test_keys_sort_as_ids() -> None:
    ids = sorted(f"clm-{index * 0x9E3779B97F4A7C15 % 16**20:020x}" for index in range(1, 200))
    keys = [order_key(claim_id) for claim_id in ids]
    assert None not in keys
    assert keys == sorted(key for key in keys if key is not None)
    assert len(set(keys)) == len(keys)
    assert order_key("clm-0123456789abcdef0123") == 0x0123456789ABCDE
    assert order_key("clm-0123456789ABCDEF0123") is None  # not as the loader writes ids
    assert order_key("figure-1") is None
    assert key_bound("clm-0123456789abcdef") == 0x0123456789ABCDE  # a cursor's id, cut short
    assert key_bound("clm-0123") is None


def test_a_key_held_by_another_claim_is_not_given_again(
    orchard: TestClient, engine: Engine, backend: str
) -> None:
    with engine.connect() as db:
        stored = db.execute(select(CLAIMS_TABLE.c.id, CLAIMS_TABLE.c.id_order).limit(1)).one()
        rows = [
            {"id": stored.id[:-5] + "fffff" if stored.id[-5:] != "fffff" else stored.id[:-5] + "00000"},
            {"id": "clm-abcdefabcdefabc00000"},
            {"id": "clm-abcdefabcdefabc00001"},
            {"id": stored.id},
        ]
        assign_id_order(db, rows)
    if backend != "sqlite":
        assert all("id_order" not in row for row in rows)  # PostgreSQL leaves the key null
        return
    assert stored.id_order == order_key(stored.id)
    assert [row["id_order"] for row in rows] == [None, 0xABCDEFABCDEFABC, None, stored.id_order]


def _second_bundle() -> dict[str, Any]:
    """Another report of the orchard: three more claims saying "lantern"."""
    bundle = _bundle()
    sentences = [f"Lantern {index} lit by the night clerk." for index in range(3)]
    bundle["report"] = {**bundle["report"], "id": "orchard-night-ledger", "body": " ".join(sentences)}
    bundle["claims"] = [
        {**bundle["claims"][0], "value": 5 + index, "quote": sentence}
        for index, sentence in enumerate(sentences)
    ]
    return bundle


@pytest.mark.parametrize("params", [{"q": "lantern"}, {"q": "lantern", "predicate": "worker_count"}, {}])
def test_a_total_asked_again_is_the_same_and_follows_every_write(
    orchard: TestClient, engine: Engine, params: dict[str, str]
) -> None:
    # Totals are remembered per data version (api/kit/totals.py): asked again, the same number; after
    # a write, the new one, for the same URL, its first page and the pages after it.
    first = orchard.get("/v1/claims", params={**params, "limit": 5}).json()
    again = orchard.get("/v1/claims", params={**params, "limit": 5}).json()
    assert again == first
    with write_session(engine) as session:
        assert load_bundle(session, parse_bundle(_second_bundle())).status == "added"
    after = orchard.get("/v1/claims", params={**params, "limit": 5}).json()
    assert after["total"] == first["total"] + 3
    following = orchard.get(first["next"]).json()  # a cursor made before the write counts again
    assert following["total"] == after["total"]
    seen, totals = _walk(orchard, **params, limit=50)
    assert totals == {after["total"]}
    assert len(seen) == after["total"]
