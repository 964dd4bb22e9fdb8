"""Evidence, weighed (contract 8.1-8.4): lineage, ranges, support and grades, through HTTP.

Every report here is invented: a facility in an invented town, and reports that reprint, translate and
cite one another.
"""

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from api.auth.keys import Role, create_key
from api.cli import app as cli
from api.db.engine import write_session
from api.db.migrate import alembic_config
from api.extract.draft import propose_claims
from api.settings import get_settings
from tests.conftest import Database

FACILITY = {
    "id": "lakeside-sewing-shop",
    "name": "Lakeside sewing shop",
    "kind": "workshop",
    "sector": "garment",
    "city": "Ozersk-on-Test",
    "country": "RU",
    "operator_country": "KP",
}


def report(
    report_id: str,
    body: str,
    *,
    published_on: str | None = "2024-03-01",
    derived_from: dict[str, str] | None = None,
    claims: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An invented bundle about the Lakeside sewing shop."""
    data: dict[str, Any] = {
        "report": {
            "id": report_id,
            "title": f"Report {report_id}",
            "publisher": "Invented Wire",
            "published_on": published_on,
            "language": "en",
            "body": body,
            **extra,
        },
        "facilities": [FACILITY],
        "claims": claims or [],
    }
    if derived_from is not None:
        data["report"]["derived_from"] = derived_from
    return data


def workers(value: float, quote: str, **extra: Any) -> dict[str, Any]:
    """A worker_count claim about the Lakeside sewing shop."""
    return {
        "facility": FACILITY["id"],
        "predicate": "worker_count",
        "value": value,
        "unit": "workers",
        "quote": quote,
        **extra,
    }


ORIGINAL = "The Lakeside sewing shop employs about 70 workers from the North, a trader said."
TRANSLATION = "Lakeside 봉제공장에서 북한 노동자 약 70명이 일한다고 한 상인이 말했다."


@pytest.fixture
def writer(client: TestClient, engine: Engine) -> Iterator[TestClient]:
    with write_session(engine) as session:
        client.headers["Authorization"] = f"Bearer {create_key(session, 'weigher', role=Role.EDITOR)}"
    yield client
    del client.headers["Authorization"]


def post(client: TestClient, bundle: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = client.post("/v1/reports", json=bundle)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def claim_of(client: TestClient, report_id: str) -> dict[str, Any]:
    (claim,) = client.get(f"/v1/reports/{report_id}/claims").json()["items"]
    result: dict[str, Any] = claim
    return result


def facility(client: TestClient) -> dict[str, Any]:
    result: dict[str, Any] = client.get(f"/v1/facilities/{FACILITY['id']}").json()
    return result


def original(**extra: Any) -> dict[str, Any]:
    return report(
        "invented-original",
        ORIGINAL,
        claims=[workers(70, "employs about 70 workers", approximate=True)],
        **extra,
    )


# --- 8.1 lineage ---------------------------------------------------------------------------------------


def test_a_chain_of_derivations_has_one_origin_and_lists_derivatives(writer: TestClient) -> None:
    post(writer, original())
    translated = post(
        writer,
        report(
            "invented-translation",
            TRANSLATION,
            language="ko",
            derived_from={"report": "invented-original", "relation": "translation"},
        ),
    )
    assert translated["report"]["derived_from"] == {"report": "invented-original", "relation": "translation"}
    assert translated["report"]["origin"] == "invented-original"
    post(
        writer,
        report(
            "invented-reprint",
            TRANSLATION + "\n(reprinted)",
            derived_from={"report": "invented-translation", "relation": "reprint"},
        ),
    )
    post(writer, report("invented-other", "Another text entirely, about a fish plant."))

    reprint = writer.get("/v1/reports/invented-reprint").json()
    assert reprint["origin"] == "invented-original"  # the root of the chain, not its parent
    root = writer.get("/v1/reports/invented-original").json()
    assert root["derived_from"] is None
    assert root["origin"] == "invented-original"
    assert root["derivatives"] == ["invented-translation"]
    assert writer.get("/v1/reports/invented-translation").json()["derivatives"] == ["invented-reprint"]

    listed = writer.get("/v1/reports", params={"origin": "invented-original"}).json()
    assert [item["id"] for item in listed["items"]] == [
        "invented-original",
        "invented-reprint",
        "invented-translation",
    ]
    assert all("derivatives" not in item for item in listed["items"])  # the detail view only

    rows = list(csv.DictReader(io.StringIO(writer.get("/v1/reports", params={"format": "csv"}).text)))
    by_id = {row["id"]: row for row in rows}
    assert by_id["invented-reprint"]["derived_from.report"] == "invented-translation"
    assert by_id["invented-reprint"]["derived_from.relation"] == "reprint"
    assert by_id["invented-reprint"]["origin"] == "invented-original"
    assert by_id["invented-other"]["origin"] == "invented-other"


@pytest.mark.parametrize(
    ("derived_from", "why"),
    [
        ({"report": "no-such-report", "relation": "cites"}, "unknown report"),
        ({"report": "invented-original", "relation": "paraphrase"}, "relation"),
    ],
)
def test_an_unknown_report_or_relation_is_refused_naming_derived_from(
    writer: TestClient, derived_from: dict[str, str], why: str
) -> None:
    post(writer, original())
    before = writer.get("/v1/changes").json()["total"]
    refused = writer.post("/v1/reports", json=report("invented-copy", "Text.", derived_from=derived_from))
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["errors"][0]["loc"][:2] == ["report", "derived_from"]
    assert "report.derived_from" in problem["detail"] or why == "relation"
    assert writer.get("/v1/reports/invented-copy").status_code == 404
    assert writer.get("/v1/changes").json()["total"] == before


def test_a_chain_back_to_the_report_itself_is_refused(writer: TestClient) -> None:
    post(writer, original())
    post(
        writer,
        report(
            "invented-b",
            "B cites the original.",
            derived_from={"report": "invented-original", "relation": "cites"},
        ),
    )
    cycle = original(derived_from={"report": "invented-b", "relation": "reprint"})
    refused = writer.put("/v1/reports/invented-original", json=cycle)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["report", "derived_from"]
    assert "report.derived_from" in refused.json()["detail"]
    assert writer.get("/v1/reports/invented-original").json()["derived_from"] is None  # nothing written
    itself = report("invented-c", "C.", derived_from={"report": "invented-c", "relation": "reprint"})
    assert writer.post("/v1/reports", json=itself).status_code == 422


def test_an_identical_body_shares_the_earlier_reports_origin_undeclared(writer: TestClient) -> None:
    post(writer, original())
    copied = "  The Lakeside sewing shop employs about 70\n workers from the North,\ta trader said. "
    answered = post(writer, report("invented-aggregator", copied))
    assert answered["report"]["derived_from"] is None  # nothing declared
    assert answered["report"]["origin"] == "invented-original"
    assert writer.get("/v1/reports/invented-original").json()["derivatives"] == ["invented-aggregator"]
    assert writer.get("/v1/reports", params={"origin": "invented-original"}).json()["total"] == 2


def test_a_replaced_original_with_its_reprints_text_keeps_one_origin_for_both(writer: TestClient) -> None:
    """The reprint declares the original; the original, replaced later, has the reprint's text: one origin."""
    post(writer, report("invented-first", "A first version of the story."))
    reprint = {"report": "invented-first", "relation": "reprint"}
    post(writer, report("invented-reprint", ORIGINAL, derived_from=reprint))
    replaced = writer.put("/v1/reports/invented-first", json=report("invented-first", ORIGINAL + "\n"))
    assert replaced.status_code == 200, replaced.text
    origins = {
        report_id: writer.get(f"/v1/reports/{report_id}").json()["origin"]
        for report_id in ("invented-first", "invented-reprint")
    }
    assert origins == {"invented-first": "invented-first", "invented-reprint": "invented-first"}
    listed = writer.get("/v1/reports", params={"origin": "invented-first"}).json()
    assert sorted(item["id"] for item in listed["items"]) == ["invented-first", "invented-reprint"]


def test_deleting_a_report_detaches_its_derivatives(client: TestClient, engine: Engine) -> None:
    with write_session(engine) as session:
        client.headers["Authorization"] = f"Bearer {create_key(session, 'chief')}"
    post(client, original())
    post(
        client,
        report(
            "invented-translation",
            TRANSLATION,
            derived_from={"report": "invented-original", "relation": "translation"},
            claims=[workers(70, "약 70명")],
        ),
    )
    assert claim_of(client, "invented-translation")["support"]["sources"] == 1  # one origin
    assert client.delete("/v1/reports/invented-original").status_code == 204
    orphan = client.get("/v1/reports/invented-translation").json()
    assert orphan["derived_from"] is None
    assert orphan["origin"] == "invented-translation"


# --- 8.2 ranges ----------------------------------------------------------------------------------------


def test_a_range_has_its_high_end_everywhere(writer: TestClient) -> None:
    ranged = report(
        "invented-range",
        "Between 50 and 70 workers sew there.",
        claims=[workers(50, "Between 50 and 70 workers", high=70)],
    )
    post(writer, ranged)
    claim = claim_of(writer, "invented-range")
    assert (claim["value"], claim["high"]) == (50, 70)
    rows = list(csv.DictReader(io.StringIO(writer.get("/v1/claims", params={"format": "csv"}).text)))
    assert rows[0]["high"] == "70"
    assert "support.sources" in rows[0]


@pytest.mark.parametrize("high", [40, -1, "seventy"])
def test_a_high_below_the_value_is_refused(writer: TestClient, high: Any) -> None:
    bad = report("invented-range", "Between 50 and 70 workers.", claims=[workers(50, "50 and 70", high=high)])
    refused = writer.post("/v1/reports", json=bad)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"][:2] == ["claims", 0]
    assert writer.get("/v1/reports").json()["total"] == 0


# --- 8.3 support ---------------------------------------------------------------------------------------


def corpus(client: TestClient) -> dict[str, str]:
    """Five reports on one facility; returns their worker claims' ids by report."""
    post(client, original())  # about 70: [56, 84], 2024-03-01
    post(
        client,
        report(
            "invented-translation",
            TRANSLATION,
            derived_from={"report": "invented-original", "relation": "translation"},
            claims=[workers(70, "약 70명", approximate=True)],
        ),
    )  # the same origin: it adds no source
    post(
        client,
        report(
            "invented-independent",
            "A visitor counted 60 to 65 sewing workers at Lakeside.",
            published_on="2024-06-01",
            claims=[workers(60, "60 to 65 sewing workers", high=65)],
        ),
    )  # [60, 65] overlaps [56, 84]: agrees
    post(
        client,
        report(
            "invented-contrary",
            "An official said 300 workers sew at Lakeside.",
            published_on="2024-09-01",
            claims=[workers(300, "300 workers")],
        ),
    )  # within a year, no overlap: conflicts
    post(
        client,
        report(
            "invented-old",
            "Back then 300 workers sewed at Lakeside.",
            published_on="2021-01-01",
            claims=[workers(300, "300 workers sewed")],
        ),
    )  # over a year from the others: not comparable with them
    ids = {}
    for report_id in ("invented-original", "invented-translation", "invented-independent"):
        ids[report_id] = claim_of(client, report_id)["id"]
    for report_id in ("invented-contrary", "invented-old"):
        ids[report_id] = claim_of(client, report_id)["id"]
    return ids


def test_support_counts_origins_not_copies(writer: TestClient) -> None:
    ids = corpus(writer)
    support = claim_of(writer, "invented-original")["support"]
    agreeing = sorted([ids["invented-translation"], ids["invented-independent"]])
    assert support == {
        "sources": 2,
        "agreeing": agreeing,
        "agreeing_count": 2,
        "conflicting": [ids["invented-contrary"]],
        "conflicting_count": 1,
    }
    contrary = claim_of(writer, "invented-contrary")["support"]
    assert contrary["sources"] == 1
    assert contrary["agreeing"] == []
    assert contrary["conflicting_count"] == 3  # original, translation, independent: all within a year
    old = claim_of(writer, "invented-old")["support"]
    assert old == {
        "sources": 1,
        "agreeing": [],
        "agreeing_count": 0,
        "conflicting": [],
        "conflicting_count": 0,
    }

    figure = facility(writer)["workers"]
    assert figure["claim_id"] == ids["invented-contrary"]  # the figure rule is unchanged: latest wins
    assert (figure["sources"], figure["conflicting_sources"]) == (1, 2)


def test_support_follows_status_changes_deletes_and_filters(writer: TestClient) -> None:
    ids = corpus(writer)
    patched = writer.patch(f"/v1/claims/{ids['invented-contrary']}", json={"status": "disputed"})
    assert patched.status_code == 200
    assert patched.json()["support"]["sources"] == 0  # a disputed claim has no sources of its own
    assert claim_of(writer, "invented-original")["support"]["conflicting"] == []
    figure = facility(writer)["workers"]
    assert figure["claim_id"] == ids["invented-independent"]
    assert (figure["sources"], figure["conflicting_sources"]) == (2, 0)

    listed = writer.get("/v1/facilities", params={"min_sources": 2}).json()
    assert [item["id"] for item in listed["items"]] == [FACILITY["id"]]
    assert writer.get("/v1/facilities", params={"min_sources": 3}).json()["total"] == 0
    two = writer.get("/v1/claims", params={"min_sources": 2}).json()["items"]
    assert sorted(claim["id"] for claim in two) == sorted(
        ids[r] for r in ("invented-original", "invented-translation", "invented-independent")
    )
    assert writer.get("/v1/stats").json()["corroborated_facilities"] == 1
    assert writer.get("/v1/claims", params={"min_sources": -1}).status_code == 422

    # A text claim has no support at all.
    post(
        writer,
        report(
            "invented-wages",
            "The workers at Lakeside are paid nothing.",
            claims=[
                {
                    "facility": FACILITY["id"],
                    "predicate": "wages",
                    "value": "nothing",
                    "quote": "paid nothing",
                }
            ],
        ),
    )
    assert claim_of(writer, "invented-wages")["support"] is None


def test_a_replace_that_changes_lineage_changes_support(writer: TestClient) -> None:
    ids = corpus(writer)
    independent = report(
        "invented-independent",
        "A visitor counted 60 to 65 sewing workers at Lakeside.",
        published_on="2024-06-01",
        derived_from={"report": "invented-original", "relation": "cites"},
        claims=[workers(60, "60 to 65 sewing workers", high=65)],
    )
    assert writer.put("/v1/reports/invented-independent", json=independent).status_code == 200
    assert claim_of(writer, "invented-original")["support"]["sources"] == 1  # now one origin in all
    assert claim_of(writer, "invented-independent")["id"] == ids["invented-independent"]


def test_a_merge_brings_figures_together(client: TestClient, engine: Engine) -> None:
    with write_session(engine) as session:
        client.headers["Authorization"] = f"Bearer {create_key(session, 'chief')}"
    post(client, original())
    other = {**FACILITY, "id": "lakeside-shop-2", "name": "Lakeside shop"}
    bundle = report(
        "invented-second",
        "Some 75 workers sew at the Lakeside shop.",
        claims=[{**workers(75, "Some 75 workers", approximate=True), "facility": "lakeside-shop-2"}],
    )
    bundle["facilities"] = [other]
    post(client, bundle)
    assert claim_of(client, "invented-second")["support"]["sources"] == 1
    assert (
        client.post("/v1/facilities/lakeside-shop-2/merge", json={"into": FACILITY["id"]}).status_code == 200
    )
    assert claim_of(client, "invented-second")["support"]["sources"] == 2
    assert facility(client)["workers"]["sources"] == 2


# --- 8.4 grades ----------------------------------------------------------------------------------------


def test_grades_from_the_bundle_patch_the_feed_and_filters(writer: TestClient) -> None:
    graded = original(reliability="B")
    graded["claims"][0]["credibility"] = 2
    post(writer, graded)
    post(
        writer,
        report("invented-other", "Some 80 workers.", claims=[workers(80, "Some 80 workers", credibility=4)]),
    )
    assert writer.get("/v1/reports/invented-original").json()["reliability"] == "B"
    assert writer.get("/v1/reports/invented-other").json()["reliability"] is None
    assert claim_of(writer, "invented-original")["credibility"] == 2

    patched = writer.patch("/v1/reports/invented-other", json={"reliability": "E"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["reliability"] == "E"
    change = writer.get("/v1/changes").json()["items"][0]
    assert (change["action"], change["entity_id"]) == ("report.update", "invented-other")
    assert (change["before"], change["after"]) == ({"reliability": None}, {"reliability": "E"})

    claim_id = claim_of(writer, "invented-other")["id"]
    assert writer.patch(f"/v1/claims/{claim_id}", json={"credibility": 5}).json()["credibility"] == 5
    change = writer.get("/v1/changes").json()["items"][0]
    assert (change["before"], change["after"]) == ({"credibility": 4}, {"credibility": 5})

    def ids(path: str, **params: Any) -> list[str]:
        response = writer.get(path, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids("/v1/reports", reliability=["B", "E"]) == ["invented-original", "invented-other"]
    assert ids("/v1/reports", reliability="E") == ["invented-other"]
    assert ids("/v1/claims", reliability="B") == [claim_of(writer, "invented-original")["id"]]
    assert ids("/v1/claims", credibility=[5, 1]) == [claim_id]


@pytest.mark.parametrize(
    "body",
    [{"reliability": "G"}, {"title": "new"}, {"reliability": "B", "title": "new"}, {}, {"reliability": 1}],
)
def test_only_a_valid_reliability_is_patched(writer: TestClient, body: dict[str, Any]) -> None:
    post(writer, original())
    refused = writer.patch("/v1/reports/invented-original", json=body)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert writer.get("/v1/reports/invented-original").json()["reliability"] is None


def test_grades_out_of_range_are_refused(writer: TestClient) -> None:
    post(writer, original())
    claim_id = claim_of(writer, "invented-original")["id"]
    assert writer.patch(f"/v1/claims/{claim_id}", json={"credibility": 7}).status_code == 422
    assert writer.patch("/v1/reports/nothing-here", json={"reliability": "A"}).status_code == 404
    assert writer.get("/v1/claims", params={"credibility": 0}).status_code == 422
    assert writer.get("/v1/reports", params={"reliability": "Z"}).status_code == 422
    bad = original(reliability="a+")
    assert writer.post("/v1/reports", json={**bad, "report": {**bad["report"], "id": "x"}}).status_code == 422


def test_patching_a_report_needs_a_key(client: TestClient, writer: TestClient) -> None:
    post(writer, original())
    key = writer.headers.pop("Authorization")
    assert client.patch("/v1/reports/invented-original", json={"reliability": "A"}).status_code == 401
    writer.headers["Authorization"] = key


# --- exports and recompute -----------------------------------------------------------------------------


def test_the_ftm_export_says_the_lineage_range_grade_and_support(writer: TestClient) -> None:
    ids = corpus(writer)
    writer.patch("/v1/reports/invented-original", json={"reliability": "B"})
    lines = writer.get("/v1/export/ftm").text.splitlines()
    entities = {entity["id"]: entity for entity in map(json.loads, lines)}
    translation = entities["lw-report-invented-translation"]["properties"]["notes"]
    assert "Translation of lw-report-invented-original" in translation
    assert "Origin: lw-report-invented-original" in translation
    original_notes = entities["lw-report-invented-original"]["properties"]["notes"]
    assert "Source reliability (Admiralty): B, usually reliable" in original_notes
    summary = entities[f"lw-claim-{ids['invented-independent']}"]["properties"]["summary"]
    assert summary[0] == "worker_count: 60-65 workers"
    assert "independent sources: 2; agreeing claims: 2; conflicting claims: 1" in summary


def test_recompute_rebuilds_origins_and_support(
    database: Database, writer: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus(writer)
    expected = [
        writer.get(f"/v1/claims/{claim['id']}").json() for claim in writer.get("/v1/claims").json()["items"]
    ]
    reports = writer.get("/v1/reports").json()["items"]
    figure = facility(writer)["workers"]
    with engine.begin() as connection:  # what a changed rule would leave: stored support out of step
        connection.execute(text("UPDATE report SET origin_id = id"))
        connection.execute(text("UPDATE claim SET support_sources = 9, support_agreeing = '[]'"))
        connection.execute(text("UPDATE facility SET workers_sources = NULL"))
    monkeypatch.setenv("DATABASE_URL", database.url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["recompute"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert [writer.get(f"/v1/claims/{claim['id']}").json() for claim in expected] == expected
    assert writer.get("/v1/reports").json()["items"] == reports
    assert facility(writer)["workers"] == figure


def test_extract_writes_a_ranges_high_end_in_high() -> None:
    _facilities, claims = propose_claims("Between 30 and 40 North Korean seamstresses work in Khabarovsk.")
    (claim,) = claims
    assert (claim.value, claim.high) == (30, 40)
    assert "range" not in (claim.notes or "")


# --- Korean and Chinese search -------------------------------------------------------------------------

KOREAN = "레이크사이드 봉제공장에서 북한 노동자 약 70명이 일한다고 한 상인이 말했다. 공장장은 中國 商人이다."


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("공장", True),  # a two-syllable word inside 봉제공장에서 ("at the sewing factory")
        ("봉제공장", True),
        ("공장에서", True),
        ("노동자", True),
        ("상인", True),
        ("中國", True),
        ("商人", True),
        ("공장 노동자", True),  # every word must match
        ('"북한 노동자"', True),
        ("공장 물고기", False),  # "fish" is not in it
        ("장공", False),  # the syllables out of order
        ("Lakeside 공장", False),  # the English word is not in this text
    ],
)
def test_q_finds_a_korean_or_chinese_word_inside_a_longer_one(
    writer: TestClient, q: str, found: bool
) -> None:
    post(writer, original())
    post(
        writer,
        report(
            "invented-korean",
            KOREAN,
            language="ko",
            derived_from={"report": "invented-original", "relation": "translation"},
            claims=[workers(70, "북한 노동자 약 70명", approximate=True)],
        ),
    )
    reports = writer.get("/v1/reports", params={"q": q}).json()["items"]
    assert [item["id"] for item in reports] == (["invented-korean"] if found else [])
    if q in ("노동자", "공장 노동자"):
        claims = writer.get("/v1/claims", params={"q": q.rsplit(maxsplit=1)[-1]}).json()["items"]
        assert [claim["report_id"] for claim in claims] == ["invented-korean"]
    assert writer.get("/v1/reports", params={"q": "trader"}).json()["items"][0]["id"] == "invented-original"


def test_a_facility_name_in_korean_is_found_by_a_word_of_it(writer: TestClient) -> None:
    bundle = original()
    bundle["facilities"] = [{**FACILITY, "aliases": ["레이크사이드봉제공장"]}]
    post(writer, bundle)
    listed = writer.get("/v1/facilities", params={"q": "봉제"}).json()["items"]
    assert [item["id"] for item in listed] == [FACILITY["id"]]


def test_migration_0008_fills_origins_support_and_bigrams_of_existing_rows(
    database: Database, writer: TestClient, engine: Engine
) -> None:
    ids = corpus(writer)
    post(writer, report("invented-korean", KOREAN, language="ko"))
    post(writer, report("invented-copy", KOREAN + "\n"))  # an identical body: the earlier one's origin
    before = {claim_id: writer.get(f"/v1/claims/{claim_id}").json()["support"] for claim_id in ids.values()}
    figure = facility(writer)["workers"]
    config = alembic_config(database.url)
    with engine.begin() as connection:  # back to before lineage and support, data kept
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
        connection.execute(text("UPDATE report SET search_text = title"))  # as if stored before bigrams
        connection.execute(text("UPDATE report SET search_text = body WHERE id = 'invented-korean'"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    after = {claim_id: writer.get(f"/v1/claims/{claim_id}").json()["support"] for claim_id in ids.values()}
    # Declared lineage is new in 0008: the translation counts as a source of its own until declared again.
    assert after[ids["invented-original"]]["sources"] == 3
    assert {k: v["agreeing"] for k, v in after.items()} == {k: v["agreeing"] for k, v in before.items()}
    assert facility(writer)["workers"] == {**figure, "conflicting_sources": 3}
    assert writer.get("/v1/reports/invented-copy").json()["origin"] == "invented-korean"
    assert [r["id"] for r in writer.get("/v1/reports", params={"q": "공장"}).json()["items"]] == [
        "invented-korean"
    ]


# --- the explorer --------------------------------------------------------------------------------------


def test_the_explorer_shows_the_weighing(writer: TestClient) -> None:
    ids = corpus(writer)
    writer.patch("/v1/reports/invented-original", json={"reliability": "B"})
    writer.patch(f"/v1/claims/{ids['invented-independent']}", json={"credibility": 2})
    page = writer.get(f"/facilities/{FACILITY['id']}")
    assert page.status_code == 200
    html = " ".join(page.text.split())
    assert "300 — 1 independent source, 2 conflicting" in re.sub(r"<[^>]+>", "", html)
    # Grouped by origin: the translation's claim sits under the original's heading, with it.
    original_at = html.index('Source: <a href="/reports/invented-original">')
    independent_at = html.index('Source: <a href="/reports/invented-independent">')
    translation_claim = html.index(f'id="claim-{ids["invented-translation"]}"')
    assert original_at < translation_claim
    assert html.count("Source: <a href=") == 4  # four origins: original, independent, contrary, old
    assert "B: usually reliable" in html
    assert "2: probably true" in html
    assert independent_at > 0

    reader = " ".join(writer.get("/reports/invented-translation").text.split())
    assert (
        'This report is a translation of <a href="/reports/invented-original">'
        "<bdi>Report invented-original</bdi></a>" in reader
    )
    assert "Reprinted text:" in reader
    assert "source not graded" in reader
    origin = " ".join(writer.get("/reports/invented-original").text.split())
    link = '<a href="/reports/invented-translation"><bdi>Report invented-translation</bdi></a> (translation)'
    assert f"Reprinted, translated or cited by: {link}" in origin
    assert "Reprinted text:" not in origin
    assert "B: usually reliable" in origin
    ranged = " ".join(writer.get("/reports/invented-independent").text.split())
    assert "60 to 65 workers" in ranged
    assert "2 independent sources; 2 agreeing, 1 conflicting claim" in ranged
