"""`laborwatch recompute`: every stored figure and count rebuilt from the claims by the one figure rule."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from api.cli import app as cli
from api.ingest.seed import seed
from api.settings import get_settings
from tests.conftest import SEEDS_DIR, Database


def test_recompute_restores_every_stored_figure_from_the_claims(
    database: Database, engine: Engine, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(engine, SEEDS_DIR)
    expected = client.get("/v1/facilities").json()["items"]
    etag = client.get("/v1/facilities").headers["etag"]
    assert any(item["workers"] is not None for item in expected)
    with engine.begin() as connection:  # what a changed rule would leave: stored figures out of step
        connection.execute(
            text(
                "UPDATE facility SET workers_value = NULL, workers_claim_id = NULL, claim_count = 0, "
                "report_count = 0, first_reported = NULL"
            )
        )
    assert client.get("/v1/facilities").json()["items"] != expected

    monkeypatch.setenv("DATABASE_URL", database.url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["recompute"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"recomputed the figures of {len(expected)} facilities" in result.output

    again = client.get("/v1/facilities")
    assert again.json()["items"] == expected
    assert again.headers["etag"] != etag  # the data version moved: caches revalidate
    changes = client.get("/v1/changes").json()["items"]
    assert [change["action"] for change in changes] == ["report.create"]  # no audit entry of its own
