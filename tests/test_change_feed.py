"""What the public change feed keeps of a deleted report: its entries, none of its content.

The entries stay (who, when, which action, the report, claim and facility ids) so that a client holding a
copy can remove what went; the title, publisher, url, source, body hash and analysts' notes are
overwritten in the stored log by the delete itself.
"""

import json
import sqlite3
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.auth.keys import create_key
from api.db.engine import make_engine, write_session
from api.db.migrate import alembic_config
from api.kit import inlist
from tests.conftest import Database
from tests.helpers.bundles import bundle, report_bundle

SECRETS = ("Hidden Title", "Hidden Monitor", "https://example.org/hidden", "a named informant", "note QQQ")


@pytest.fixture
def admin(client: TestClient, engine: Engine) -> TestClient:
    with write_session(engine) as session:
        client.headers["Authorization"] = f"Bearer {create_key(session, 'chief')}"
    return client


def sensitive() -> dict[str, Any]:
    return report_bundle(
        id="sensitive", title="Hidden Title", publisher="Hidden Monitor",
        url="https://example.org/hidden", source="a named informant",
    )  # fmt: skip


def stored_log(engine: Engine) -> str:
    with engine.connect() as connection:
        rows = connection.execute(sa.text('SELECT "before", "after" FROM change')).all()
    return json.dumps([[str(row[0]), str(row[1])] for row in rows])


def test_a_deleted_report_keeps_its_entries_but_not_its_content(admin: TestClient, engine: Engine) -> None:
    assert admin.post("/v1/reports", json=bundle()).status_code == 201  # another report, kept whole
    posted = admin.post("/v1/reports", json=sensitive()).json()
    claim_id = posted["claims"][0]["id"]
    patched = admin.patch(f"/v1/claims/{claim_id}", json={"status": "disputed", "notes": "note QQQ"})
    assert patched.status_code == 200
    replaced = admin.put("/v1/reports/sensitive", json={**sensitive(), "claims": sensitive()["claims"][:1]})
    assert replaced.status_code == 200
    assert any(secret in admin.get("/v1/changes").text for secret in SECRETS)  # readable until deleted
    assert admin.delete("/v1/reports/sensitive").status_code == 204

    feed = admin.get("/v1/changes").json()["items"]
    assert [(c["action"], c["entity_id"], c["key_name"]) for c in feed] == [
        ("report.delete", "sensitive", "chief"),
        ("report.replace", "sensitive", "chief"),
        ("claim.update", claim_id, "chief"),
        ("report.create", "sensitive", "chief"),
        ("report.create", "khabarovsk-workshop", "chief"),
    ]
    deleted, replace, update, create, other = feed
    assert deleted["before"] == {
        "id": "sensitive",
        "claim_ids": [claim_id],
        "facility_ids": ["khabarovsk-workshop"],
        "content_removed": True,
    }
    assert deleted["after"] is None
    trace = {"id", "claim_ids", "facility_ids", "content_removed"}
    assert set(replace["before"]) == set(replace["after"]) == trace
    assert create["after"]["claim_ids"] == [claim["id"] for claim in posted["claims"]]
    assert update["before"] == {"status": "reported", "content_removed": True}
    assert update["after"] == {"status": "disputed", "content_removed": True}
    assert other["after"]["title"] == "A workshop in Khabarovsk"

    for fmt in ("json", "csv", "ndjson"):
        text = admin.get("/v1/changes", params={"format": fmt, "limit": 500}).text
        assert not [secret for secret in SECRETS if secret in text], fmt
    assert not [secret for secret in SECRETS if secret in stored_log(engine)]  # gone, not hidden


def test_a_report_created_again_after_a_delete_is_logged_whole(admin: TestClient) -> None:
    assert admin.post("/v1/reports", json=sensitive()).status_code == 201
    assert admin.delete("/v1/reports/sensitive").status_code == 204
    assert admin.post("/v1/reports", json=sensitive()).status_code == 201
    newest = admin.get("/v1/changes").json()["items"][0]
    assert (newest["action"], newest["after"]["source"]) == ("report.create", "a named informant")


def test_the_migration_scrubs_reports_deleted_before_it(database: Database) -> None:
    engine = make_engine(database.settings())
    config = alembic_config(database.url)
    change = sa.table(
        "change",
        *(sa.column(name) for name in ("id", "at", "key_name", "action", "entity_type", "entity_id")),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
    )
    report = {"id": "old", "title": "Hidden Title", "source": "a named informant", "claim_ids": ["clm-1"]}
    entries = [
        ("report.create", "report", "old", None, report),
        ("claim.update", "claim", "clm-1", {"notes": None}, {"notes": "note QQQ"}),
        ("report.delete", "report", "old", report, None),
        ("report.create", "report", "old", None, {**report, "title": "Back again"}),  # created anew
    ]
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0006")
            at = sa.func.now() if database.backend == "postgresql" else "2026-01-01 00:00:00"
            for action, kind, entity_id, before, after in entries:
                values = {"action": action, "entity_type": kind, "entity_id": entity_id}
                connection.execute(
                    change.insert().values(at=at, key_name="cli", before=before, after=after, **values)
                )
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(sa.select(change.c.before, change.c.after).order_by("id")).all()
        assert [tuple(row) for row in rows] == [
            (None, {"id": "old", "claim_ids": ["clm-1"], "content_removed": True}),
            ({"content_removed": True}, {"content_removed": True}),
            ({"id": "old", "claim_ids": ["clm-1"], "content_removed": True}, None),
            (None, {**report, "title": "Back again"}),
        ]
    finally:
        engine.dispose()


# More claim ids than the IN list chunk the test sets, and more than SQLite then lets a statement bind.
MANY_CLAIMS = 40


def many_claims() -> dict[str, Any]:
    """The sensitive report with `MANY_CLAIMS` claims, each quoting a sentence of its own."""
    sentences = [f"Site {i} employs {i + 1} workers." for i in range(MANY_CLAIMS)]
    claim = bundle()["claims"][0]
    claims = [{**claim, "quote": text[:-1], "value": i + 1} for i, text in enumerate(sentences)]
    return {**sensitive(), "claims": claims, "report": {**sensitive()["report"], "body": " ".join(sentences)}}


def test_a_report_with_more_claim_ids_than_a_statement_binds_is_deleted_whole(
    admin: TestClient, engine: Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    posted = admin.post("/v1/reports", json=many_claims())
    assert posted.status_code == 201, posted.text
    claim_ids = [claim["id"] for claim in posted.json()["claims"]]
    for index in (0, MANY_CLAIMS // 2, MANY_CLAIMS - 1):  # entries in the first, a middle, the last chunk
        note = {"status": "disputed", "notes": "note QQQ"}
        assert admin.patch(f"/v1/claims/{claim_ids[index]}", json=note).status_code == 200
    monkeypatch.setattr(inlist, "IN_CHUNK", 7)
    if backend == "sqlite":
        # What psycopg's 65,535 parameters are to PostgreSQL, in small: a statement binds at most 30 here.
        @sa.event.listens_for(engine, "checkout")
        def _few_parameters(dbapi_connection: Any, *_args: Any) -> None:
            dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 30)

        engine.pool.dispose()  # connections checked in before the listener get it too on their next checkout
    assert admin.delete("/v1/reports/sensitive").status_code == 204
    assert "note QQQ" not in stored_log(engine)
    updates = [c for c in admin.get("/v1/changes").json()["items"] if c["action"] == "claim.update"]
    assert len(updates) == 3
    assert all(c["after"] == {"status": "disputed", "content_removed": True} for c in updates)
