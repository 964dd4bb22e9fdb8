"""Deployment shapes: an instance whose DATABASE_URL names a read-only copy (a PostgreSQL hot standby)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth.keys import create_key
from api.db.engine import make_engine, write_session
from api.db.migrate import migrate
from api.ingest.seed import seed
from tests.conftest import SEEDS_DIR, Database


@pytest.fixture
def replica(backend: str, database: Database) -> Iterator[tuple[TestClient, str]]:
    """An app on a database every transaction of which is read-only, as on a hot standby; and a key."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    primary = make_engine(database.settings())
    migrate(primary)
    seed(primary, SEEDS_DIR)
    with write_session(primary) as session:
        key = create_key(session, "editor")
    primary.dispose()
    url = database.url + "%20-cdefault_transaction_read_only%3Don"
    settings = database.settings().model_copy(update={"database_url": url})
    with TestClient(create_app(settings)) as client:
        yield client, key


def test_a_read_only_instance_answers_reads_and_refuses_writes_with_503(
    replica: tuple[TestClient, str],
) -> None:
    client, key = replica
    facilities = client.get("/v1/facilities")
    assert facilities.status_code == 200
    assert facilities.json()["total"] > 0
    tag = facilities.headers["etag"]
    assert client.get("/v1/facilities", headers={"If-None-Match": tag}).status_code == 304
    claim_id = client.get("/v1/claims", params={"limit": 1}).json()["items"][0]["id"]
    response = client.patch(
        f"/v1/claims/{claim_id}", json={"status": "disputed"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    assert "read-only" in response.json()["detail"]
    assert client.get(f"/v1/claims/{claim_id}").json()["status"] != "disputed"
