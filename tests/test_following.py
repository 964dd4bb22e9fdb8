"""Following changes: the change feed's filters (facility, report, country, action), its index, and Atom.

Texts are invented. Each test runs on SQLite and PostgreSQL.
"""

from typing import Any

import feedparser
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.auth.keys import create_key
from api.changes.audit import record_change
from api.db.engine import write_session
from models import Webhook
from tests.helpers.bundles import bundle, dalian_bundle


@pytest.fixture
def admin(client: TestClient, engine: Engine) -> TestClient:
    with write_session(engine) as session:
        client.headers["Authorization"] = f"Bearer {create_key(session, 'chief')}"
    return client


def actions(answer: Any) -> list[tuple[str, str]]:
    assert answer.status_code == 200, answer.text
    return [(item["action"], item["entity_id"]) for item in answer.json()["items"]]


@pytest.fixture
def history(admin: TestClient) -> dict[str, str]:
    """Two reports (RU and CN), a claim corrected, the Khabarovsk report replaced: five changes."""
    first = admin.post("/v1/reports", json=bundle())
    assert first.status_code == 201, first.text
    assert admin.post("/v1/reports", json=dalian_bundle()).status_code == 201
    claim_id = first.json()["claims"][0]["id"]
    assert admin.patch(f"/v1/claims/{claim_id}", json={"status": "disputed"}).status_code == 200
    replaced = bundle(report={**bundle()["report"], "title": "A workshop in Khabarovsk, revisited"})
    assert admin.put("/v1/reports/khabarovsk-workshop", json=replaced).status_code == 200
    return {"claim_id": claim_id}


def test_the_feed_filters_by_facility_report_country_and_action(
    admin: TestClient, history: dict[str, str]
) -> None:
    claim_id = history["claim_id"]
    khabarovsk = [
        ("report.replace", "khabarovsk-workshop"),
        ("claim.update", claim_id),
        ("report.create", "khabarovsk-workshop"),
    ]
    assert actions(admin.get("/v1/changes", params={"facility_id": "khabarovsk-workshop"})) == khabarovsk
    assert actions(admin.get("/v1/changes", params={"report_id": "khabarovsk-workshop"})) == khabarovsk
    assert actions(admin.get("/v1/changes", params={"country": "cn"})) == [
        ("report.create", "dalian-fish-plant")
    ]
    several = admin.get("/v1/changes", params=[("action", "claim.update"), ("action", "report.replace")])
    assert actions(several) == khabarovsk[:2]
    combined = admin.get("/v1/changes", params={"country": "RU", "action": "report.create"})
    assert actions(combined) == [("report.create", "khabarovsk-workshop")]
    assert actions(admin.get("/v1/changes", params={"facility_id": "nowhere"})) == []
    assert (
        admin.get("/v1/changes", params={"report_id": "dalian-fish-plant", "country": "RU"}).json()["items"]
        == []
    )


def test_filters_combine_with_since_and_paging(admin: TestClient, history: dict[str, str]) -> None:
    feed = admin.get("/v1/changes", params={"facility_id": "khabarovsk-workshop"}).json()["items"]
    oldest = feed[-1]["at"]
    later = admin.get("/v1/changes", params={"facility_id": "khabarovsk-workshop", "since": oldest})
    assert [item["id"] for item in later.json()["items"]] == [
        item["id"] for item in feed if item["at"] > oldest
    ]
    seen: list[int] = []
    page = admin.get("/v1/changes", params={"facility_id": "khabarovsk-workshop", "limit": 1}).json()
    assert page["total"] == 3
    while True:
        seen += [item["id"] for item in page["items"]]
        if page["next"] is None:
            break
        page = admin.get(page["next"]).json()
    assert seen == [item["id"] for item in feed]


def test_a_merged_facility_keeps_its_feed(admin: TestClient) -> None:
    assert admin.post("/v1/reports", json=dalian_bundle()).status_code == 201
    assert admin.post("/v1/reports", json=bundle()).status_code == 201
    merged = admin.post("/v1/facilities/dalian-fish-plant/merge", json={"into": "khabarovsk-workshop"})
    assert merged.status_code == 200, merged.text
    expected = [
        ("facility.merge", "dalian-fish-plant"),
        ("report.create", "khabarovsk-workshop"),
        ("report.create", "dalian-fish-plant"),
    ]
    # The old id and the survivor's find the same feed: the merge, and what each was before it.
    assert actions(admin.get("/v1/changes", params={"facility_id": "dalian-fish-plant"})) == expected
    assert actions(admin.get("/v1/changes", params={"facility_id": "khabarovsk-workshop"})) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [("country", "RUS"), ("country", "1"), ("action", "drop table"), ("facility_id", "x" * 129)],
)
def test_a_filter_that_cannot_be_valid_is_a_422(client: TestClient, name: str, value: str) -> None:
    answer = client.get("/v1/changes", params={name: value})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/changes.atom", params={name: value}).status_code == 422


def test_a_filtered_feed_reads_the_subject_index(admin: TestClient, engine: Engine, history: Any) -> None:
    for name, index in (
        ("facility_id", "ix_change_subject_facility"),
        ("report_id", "ix_change_subject_report"),
        ("country", "ix_change_subject_country"),
    ):
        sql = f"SELECT change_id FROM change_subject WHERE {name} = 'x'"  # noqa: S608 - names of ours
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                plan = " ".join(str(row) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            else:
                connection.exec_driver_sql("SET enable_seqscan = off")  # a tiny table: ask what it could use
                plan = " ".join(str(row) for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))
        assert index in plan, plan


def test_a_change_that_rolls_back_leaves_no_subject_and_no_event(engine: Engine, admin: TestClient) -> None:
    with write_session(engine) as session:
        session.add(Webhook(id="wh_test", url="https://example.org/h", filters={}, secret="sealed"))

    def failing_write() -> None:
        with write_session(engine) as session:
            record_change(
                session, "chief", "report.delete", "report", "ghost", before={"facility_ids": ["f"]}
            )
            raise RuntimeError("the write fails after its change was recorded")

    with pytest.raises(RuntimeError):
        failing_write()
    refused = admin.post("/v1/reports", json=bundle(claims=[{**bundle()["claims"][0], "quote": "not there"}]))
    assert refused.status_code == 422
    with engine.connect() as connection:
        for table in ("change", "change_subject", "webhook_event"):
            assert connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 0, table  # noqa: S608
    assert admin.post("/v1/reports", json=bundle()).status_code == 201
    with engine.connect() as connection:
        counts = [
            connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
            for table in ("change", "change_subject", "webhook_event")
        ]
    assert counts == [1, 1, 1]


# -- Atom ------------------------------------------------------------------------------------------------


def test_the_atom_feed_is_valid_atom_with_titles_in_words(admin: TestClient, history: Any) -> None:
    answer = admin.get("/v1/changes.atom", params={"facility_id": "khabarovsk-workshop"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.title == "laborwatch: changes concerning Sewing workshop in Khabarovsk"
    changes = admin.get("/v1/changes", params={"facility_id": "khabarovsk-workshop"}).json()["items"]
    assert [entry.id for entry in feed.entries] == [f"urn:laborwatch:change:{c['id']}" for c in changes]
    titles = [entry.title for entry in feed.entries]
    assert titles[0] == "Revised figure for Sewing workshop in Khabarovsk: about 40 workers"
    assert titles[1].startswith(f"Claim {history['claim_id']} on Sewing workshop in Khabarovsk corrected")
    assert "status now disputed" in titles[1]
    assert titles[2] == "New figure for Sewing workshop in Khabarovsk: about 40 workers"
    base = "http://testserver"
    assert feed.entries[0].link == f"{base}/reports/khabarovsk-workshop"
    link = feed.entries[0].links[0]
    assert (link.rel, link.type) == ("alternate", "text/html")
    assert feed.entries[1].link == f"{base}/reports/khabarovsk-workshop#about-{history['claim_id']}"
    assert feed.entries[0].updated == changes[0]["at"]
    assert feed.entries[0].author == "chief"


def test_the_atom_feed_takes_the_filters_and_keeps_the_newest_fifty(
    admin: TestClient, engine: Engine
) -> None:
    assert admin.post("/v1/reports", json=dalian_bundle()).status_code == 201
    with write_session(engine) as session:
        for number in range(55):
            record_change(session, "chief", "claim.update", "claim", f"nothing-{number}", after={"n": number})
    everything = feedparser.parse(admin.get("/v1/changes.atom").content)
    assert len(everything.entries) == 50
    assert everything.entries[0].title == "Claim nothing-54 corrected: n now 54"
    only = feedparser.parse(admin.get("/v1/changes.atom", params={"country": "CN"}).content)
    assert [entry.title for entry in only.entries] == [
        "New figure for Fish processing plant in Dalian: about 300 workers"
    ]
    assert only.entries[0].link.endswith("/reports/dalian-fish-plant")


def test_an_atom_title_says_a_range_as_the_api_words_it(admin: TestClient) -> None:
    bundle = dalian_bundle()
    bundle["claims"][0] |= {"value": 250, "high": 300, "approximate": False}
    assert admin.post("/v1/reports", json=bundle).status_code == 201
    feed = feedparser.parse(admin.get("/v1/changes.atom", params={"country": "CN"}).content)
    assert [entry.title for entry in feed.entries] == [
        "New figure for Fish processing plant in Dalian: 250 to 300 workers"
    ]


def test_the_atom_feed_has_an_etag_and_answers_304(admin: TestClient, history: Any) -> None:
    first = admin.get("/v1/changes.atom")
    etag = first.headers["etag"]
    again = admin.get("/v1/changes.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert admin.post("/v1/reports", json=dalian_bundle(id="dalian-2")).status_code in (200, 201, 409)
    changed = admin.get("/v1/changes.atom", headers={"If-None-Match": etag})
    assert changed.status_code == 200


def test_an_empty_atom_feed_is_still_valid(client: TestClient) -> None:
    feed = feedparser.parse(client.get("/v1/changes.atom", params={"facility_id": "nowhere"}).content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.entries == []
    assert feed.feed.updated
