"""`as_of` answers agree with a plain Python reading of the rule, on a generated corpus, on both backends."""

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.app import create_app
from api.db.engine import make_engine
from api.facilities.figures import FIGURE_EXCLUDED_STATUSES
from bench.corpus import build_corpus
from tests.conftest import Database

DAYS = ["2019-06-30", "2021-01-01", "2022-12-31", "2024-06-30", "2030-01-01"]
Figure = tuple[float, bool, str, str] | None


@pytest.fixture
def generated(database: Database) -> Iterator[tuple[TestClient, Engine]]:
    """A generated corpus of 6,000 claims over 600 facilities, with undated claims and same-day ties."""
    engine = make_engine(database.settings())
    build_corpus(engine, 6_000, claims_per_report=60, claims_per_facility=10)
    with engine.begin() as connection:
        connection.execute(text("UPDATE claim SET dated_on = NULL WHERE pk % 9 = 0"))
        connection.execute(text("UPDATE claim SET dated_on = '2022-06-30' WHERE pk % 7 = 0"))
    with TestClient(create_app(database.settings(), engine)) as client:
        yield client, engine
    engine.dispose()


def reference(engine: Engine, day: str) -> dict[str, Figure]:
    """Each facility's figure on `day` by the rule read plainly: latest dated claim, then ingested last."""
    with engine.connect() as connection:
        facilities = list(connection.execute(text("SELECT id FROM facility")).scalars())
        claims = connection.execute(
            text(
                "SELECT facility_id, id, pk, value_number, approximate, dated_on, status FROM claim "
                "WHERE predicate = 'worker_count'"
            )
        ).all()
    best: dict[str, tuple[Any, ...]] = {}
    for facility_id, claim_id, pk, value, approximate, dated_on, status in claims:
        if facility_id is None or status in FIGURE_EXCLUDED_STATUSES or dated_on is None:
            continue
        dated = dated_on if isinstance(dated_on, date) else date.fromisoformat(str(dated_on))
        if dated > date.fromisoformat(day):
            continue
        candidate = (dated, pk, float(value), bool(approximate), dated.isoformat(), claim_id)
        if facility_id not in best or candidate[:2] > best[facility_id][:2]:
            best[facility_id] = candidate
    return {f: (best[f][2], best[f][3], best[f][4], best[f][5]) if f in best else None for f in facilities}


def answered(item: dict[str, Any]) -> Figure:
    workers = item["workers"]
    if workers is None:
        return None
    return (float(workers["value"]), workers["approximate"], workers["as_of"], workers["claim_id"])


def exported(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/facilities", params={"format": "ndjson", **params})
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


@pytest.mark.parametrize("day", DAYS)
def test_as_of_figures_match_the_rule(generated: tuple[TestClient, Engine], day: str) -> None:
    client, engine = generated
    expected = reference(engine, day)
    assert sum(figure is not None for figure in expected.values()) > 50 or day == DAYS[0]
    items = exported(client, as_of=day)
    assert {item["id"]: answered(item) for item in items} == expected

    # Sorted by that figure, largest first, facilities without one last, ties by id.
    by_workers = [item["id"] for item in exported(client, as_of=day, sort="-workers")]
    order = sorted(expected, key=lambda f: (expected[f] is None, -(expected[f] or (0.0,))[0], f))
    assert by_workers == order

    # The JSON pages, followed by `next`, give the same order.
    paged: list[str] = []
    url: str | None = f"/v1/facilities?as_of={day}&sort=-workers&limit=250"
    while url:
        page = client.get(url).json()
        paged.extend(item["id"] for item in page["items"])
        url = page["next"]
    assert paged == order

    # Filters and stats use the same figure.
    at_least = {f for f, figure in expected.items() if figure is not None and figure[0] >= 100}
    assert {item["id"] for item in exported(client, as_of=day, min_workers=100)} == at_least
    stats = client.get("/v1/stats", params={"as_of": day}).json()
    assert stats["facilities"] == len(expected)
    total = sum(figure[0] for figure in expected.values() if figure is not None)
    assert stats["workers_total"] == pytest.approx(total)
