"""Claim search on many claims: exact totals and every match once, whichever way the page is read.

When `q` is the only filter, the total is counted from the full-text index alone; when many claims match,
SQLite reads the claims in id order rather than sorting every match (`api.claims.listing.claim_reread`).
These tests hold both shortcuts to the plain query's answer, and check on SQLite that the plans really
avoid what they are meant to avoid.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api.claims.listing import CLAIMS, ClaimFilters, claim_count, claim_reread
from api.db.engine import write_session
from api.ingest.loader import load_bundle, parse_bundle
from api.kit.paging import parse_sort
from models import Claim

CLAIMS_TABLE = Claim.__table__  # type: ignore[attr-defined]
# Invented sentences: every claim says "tally"; two in three say "harvest"; one in nine says "lantern".
CLAIM_COUNT = 180


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


def test_sqlite_counts_from_the_index_and_reads_a_broad_search_in_id_order(
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
        reread = claim_reread(filters, db, sort, total, 10)
        narrow = claim_reread(ClaimFilters(q="lantern"), db, sort, 1, 10)
        assert claim_count(ClaimFilters(q="harvest", report_id="orchard-ledger"), db) is None
    count_plan = _plan(engine, count)
    assert not any(" claim " in f" {step} " for step in count_plan), count_plan  # the FTS5 table alone
    assert reread is not None
    assert narrow is None
    steps = _plan(engine, reread.order_by(CLAIMS_TABLE.c.id).limit(11))
    assert not any("TEMP B-TREE" in step for step in steps), steps


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
