"""Claims in words: every predicate of the vocabulary reads as a person would say it, in the explorer too."""

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.vocabulary import PREDICATES
from api.wording import LABELS, NUMERIC, claim_in_words
from tests.conftest import SEEDS_DIR, loaded_database

SEED_REPORT = "dailynk-garment-orders-russia"


@pytest.mark.parametrize(
    ("claim", "words"),
    [
        (("production_change", 2, "ratio", False), "production doubled (\u00d72)"),
        (("production_change", 0.5, "ratio", False), "production halved (\u00d70.5)"),
        (("production_change", 1.5, "ratio", True), "production about rose (\u00d71.5)"),
        (("production_change", 0.8, "ratio", False), "production fell (\u00d70.8)"),
        (("skill_share", 10, "percent", True), "about 10% skilled workers"),
        (("sleep_hours", 4, "hours_per_day", False), "sleep 4 hours a day"),
        (("working_hours", 16, "hours_per_day", True), "work about 16 hours a day"),
        (("worker_count", 1200, "workers", False), "1,200 workers"),
        (("worker_count", 50, "workers", True, 70), "about 50 to 70 workers"),
        (("skill_share", 10, "percent", False, 20), "10% to 20% skilled workers"),
        (("wages", "paid in kind", None, False), "wages: paid in kind"),
        (("existence", None, None, False), "existence: not stated"),
        # A unit its predicate does not use, or a predicate the table does not know: said plainly.
        (("worker_count", 3, "teams", False), "worker count: 3 teams"),
        (("night_shifts", 2, None, True), "night shifts: about 2"),
    ],
)
def test_a_claim_reads_in_words(claim: tuple[object, ...], words: str) -> None:
    assert claim_in_words(*claim) == words  # type: ignore[arg-type]


def test_every_predicate_has_its_wording() -> None:
    numeric = {name for name, spec in PREDICATES.items() if spec.numeric}
    assert set(NUMERIC) | {"production_change"} == numeric
    assert set(LABELS) == set(PREDICATES) - numeric
    for name, spec in PREDICATES.items():
        value = 3 if spec.numeric else "invented text"
        said = claim_in_words(name, value, spec.unit, False)
        assert "_" not in said, said
        assert "ratio" not in said, said


def test_the_explorer_says_each_claim_in_words(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with (
        loaded_database(backend, tmp_path_factory.mktemp("words"), SEEDS_DIR) as (db, engine),
        TestClient(create_app(db.settings(), engine)) as client,
    ):
        report = client.get(f"/reports/{SEED_REPORT}").text
        facility = client.get("/facilities/irkutsk-dprk-garment-factory").text
    # The claim list of the reader, the highlights' titles and the facility page.
    assert "<dd><bdi>production doubled (\u00d72)</bdi></dd>" in report
    assert re.search(r'<mark [^>]*title="production doubled \(\u00d72\) \(reported\)"', report)
    assert "sleep 4 hours a day" in report
    assert "about 10% skilled workers" in report
    for raw in (" ratio", "hours per day", "production change:"):
        assert raw not in report
    assert '<p class="claim-head"><strong><bdi>about 70 workers</bdi></strong>' in facility
