"""The shipped seed: the article verbatim, its bundle loaded through `laborwatch seed`, every quote placed."""

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli.main import app as cli
from api.settings import get_settings
from tests.conftest import SEEDS_DIR, Database

REPORT_ID = "dailynk-garment-orders-russia"
SOURCE = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_777e459705dab12a.txt"


def run_seed(database: Database, monkeypatch: pytest.MonkeyPatch, folder: Path = SEEDS_DIR) -> str:
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("LABORWATCH_SEEDS_DIR", str(folder))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["seed"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def seeded(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    run_seed(database, monkeypatch)
    with TestClient(create_app(database.settings())) as client:
        yield client


def test_document_is_the_shared_source_verbatim() -> None:
    shipped = SEEDS_DIR / "documents" / "000_777e459705dab12a.txt"
    if not SOURCE.exists():
        pytest.skip("the shared source folder is not beside this checkout")
    assert shipped.read_bytes() == SOURCE.read_bytes()


def test_seed_loads_the_report_with_its_metadata(seeded: TestClient) -> None:
    report = seeded.get(f"/v1/reports/{REPORT_ID}").json()
    body = (SEEDS_DIR / "documents" / "000_777e459705dab12a.txt").read_bytes().decode("utf-8")
    assert report["body"] == body
    assert report["sha256"] == hashlib.sha256(body.encode("utf-8")).hexdigest()
    assert report["publisher"] == "Daily NK"
    assert report["url"] is None
    assert report["published_on"] is None
    assert report["language"] == "en"
    assert report["contributors"] == [
        {"name": "David Black", "role": "translator"},
        {"name": "Robert Lauler", "role": "editor"},
    ]
    assert "reporting partner" in report["source"]
    bundle = yaml.safe_load((SEEDS_DIR / "bundles" / "dailynk-garment-orders-russia.yaml").read_text())
    assert report["title"] == bundle["report"]["title"] != body.splitlines()[0]
    assert report["facility_ids"] == [
        "irkutsk-dprk-garment-factory",
        "jilin-clothing-factory-file-photo",
        "krasnoyarsk-dprk-garment-company",
    ]
    assert report["claim_count"] == len(bundle["claims"]) >= 15


def test_every_seeded_quote_is_the_body_at_its_span(seeded: TestClient) -> None:
    body = seeded.get(f"/v1/reports/{REPORT_ID}").json()["body"]
    claims = seeded.get(f"/v1/reports/{REPORT_ID}/claims", params={"limit": 500}).json()["items"]
    assert claims
    for claim in claims:
        span = claim["span"]
        assert body[span["start"] : span["end"]] == claim["quote"], claim["id"]


def test_russian_facilities_with_their_figures(seeded: TestClient) -> None:
    page = seeded.get("/v1/facilities", params={"country": "RU"}).json()
    by_city = {item["city"]: item for item in page["items"]}
    assert set(by_city) == {"Irkutsk", "Krasnoyarsk"}
    irkutsk, krasnoyarsk = by_city["Irkutsk"], by_city["Krasnoyarsk"]
    assert irkutsk["workers"]["value"] == 70
    assert irkutsk["workers"]["approximate"] is True
    assert irkutsk["workers"]["as_of"] is None
    assert krasnoyarsk["workers"]["value"] == 100
    assert irkutsk["location"] == {
        "lat": pytest.approx(52.3, abs=0.1),
        "lon": pytest.approx(104.3, abs=0.1),
        "precision": "city",
    }
    assert krasnoyarsk["location"]["precision"] == "city"
    assert krasnoyarsk["location"]["lat"] == pytest.approx(56.0, abs=0.1)


def test_file_photo_facility_in_jilin(seeded: TestClient) -> None:
    facility = seeded.get("/v1/facilities/jilin-clothing-factory-file-photo").json()
    claims = seeded.get("/v1/facilities/jilin-clothing-factory-file-photo/claims").json()["items"]
    assert facility["country"] == "CN"
    assert facility["location"]["precision"] == "region"
    assert facility["workers"] is None
    assert [claim["evidence"] for claim in claims] == ["photo_caption"]
    assert "Jilin Province" in claims[0]["quote"]


@pytest.mark.parametrize(
    ("predicate", "value", "unit", "approximate", "words"),
    [
        ("production_change", 2, "ratio", False, "double that of 2022"),
        ("worker_count", 70, "workers", True, "about 70 workers"),
        ("worker_count", 100, "workers", True, "about 100 workers"),
        ("skill_share", 10, "percent", True, "only about 10%"),
        ("sleep_hours", 4, "hours_per_day", False, "four hours a day"),
    ],
)
def test_seeded_figures_are_numbers_with_units(
    seeded: TestClient, predicate: str, value: int, unit: str, approximate: bool, words: str
) -> None:
    claims = seeded.get("/v1/claims", params={"predicate": predicate, "limit": 500}).json()["items"]
    matching = [claim for claim in claims if words in claim["quote"]]
    assert len(matching) == 1, [claim["quote"] for claim in claims]
    assert matching[0]["value"] == value
    assert matching[0]["unit"] == unit
    assert matching[0]["approximate"] is approximate


@pytest.mark.parametrize(
    "words",
    [
        "shut down onsite operations",
        "meet the foreign currency quotas",
        "pay monthly wages",
        "construction overalls",
        "more profitable",
        "needlework skills",
        "not rotated out",
        "training to their workers at night",
        "work all night",
    ],
)
def test_each_statement_of_the_article_has_a_claim(seeded: TestClient, words: str) -> None:
    claims = seeded.get(f"/v1/reports/{REPORT_ID}/claims", params={"limit": 500}).json()["items"]
    assert any(words in claim["quote"] for claim in claims)


def test_seed_twice_changes_nothing(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    first = run_seed(database, monkeypatch)
    assert "1 added, 0 unchanged" in first
    with TestClient(create_app(database.settings())) as client:
        before = client.get("/v1/claims", params={"limit": 500}).json()
    second = run_seed(database, monkeypatch)
    assert "0 added, 1 unchanged" in second
    with TestClient(create_app(database.settings())) as client:
        after = client.get("/v1/claims", params={"limit": 500}).json()
    assert after == before
