"""The bundle loader: its refusals (nothing written), quote placement, idempotency and conflicts."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.db.engine import make_engine
from api.db.migrate import migrate
from api.errors import Conflict, InvalidBundle
from api.ingest.seed import load_bundle_file
from api.settings import get_settings
from tests.conftest import Database
from tests.helpers.bundles import BODY, bundle, load


def with_claim(index: int, **fields: Any) -> dict[str, Any]:
    data = bundle()
    data["claims"][index].update(fields)
    return data


def stored_counts(client: TestClient) -> list[int]:
    return [client.get(f"/v1/{kind}").json()["total"] for kind in ("reports", "facilities", "claims")]


def test_a_valid_bundle_is_stored_with_exact_spans(engine: Engine, client: TestClient) -> None:
    result = load(engine, bundle())
    assert result.status == "added"
    report = client.get("/v1/reports/khabarovsk-workshop").json()
    assert report["body"] == BODY
    claims = client.get("/v1/reports/khabarovsk-workshop/claims").json()["items"]
    assert len(claims) == 3
    for claim in claims:
        assert BODY[claim["span"]["start"] : claim["span"]["end"]] == claim["quote"]
    facility = client.get("/v1/facilities/khabarovsk-workshop").json()
    assert facility["aliases"] == ["Workshop K"]
    assert facility["workers"]["value"] == 40
    assert facility["workers"]["as_of"] == "2024-05-01"


def test_quotes_match_across_folded_white_space(engine: Engine, client: TestClient) -> None:
    load(engine, bundle())
    quotes = {c["predicate"]: c["quote"] for c in client.get("/v1/claims").json()["items"]}
    # The bundle wrote single spaces; the body has a double space and a no-break space there.
    assert quotes["working_hours"] == "Some  of them work 16 hours a day"
    assert quotes["skill_share"] == "only about 20% are trained.\u00a0The workshop"


REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown top-level field", bundle(extra=1), "extra"),
    ("unknown report field", {**bundle(), "report": {**bundle()["report"], "author": "x"}}, "author"),
    ("unknown claim field", with_claim(0, confidence="high"), "claim 0"),
    ("unknown predicate", with_claim(1, predicate="overtime"), "unknown predicate"),
    ("quote not in body", with_claim(0, quote="employs about 41 North Korean"), "not found"),
    ("quote differs beyond white space", with_claim(0, quote="Employs about 40"), "not found"),
    ("quote appears twice", with_claim(0, quote="about"), "appears"),
    ("occurrence too large", with_claim(0, quote="employs about 40", occurrence=2), "occurrence"),
    ("unknown facility", with_claim(0, facility="nowhere-workshop"), "unknown facility"),
    ("percent above 100", with_claim(2, value=101), "at most 100"),
    ("hours above 24", with_claim(1, value=25), "at most 24"),
    ("negative count", with_claim(0, value=-1), ">= 0"),
    ("infinite count", with_claim(0, value=float("inf")), "claim 0"),
    ("not a number", with_claim(0, value=float("nan")), "claim 0"),
    ("text for a number", with_claim(0, value="forty"), "needs a number"),
    ("boolean for a number", with_claim(0, value=True), "claim 0"),
    ("wrong unit", with_claim(0, unit="people"), "counted in"),
    ("unit on a text predicate", with_claim(0, predicate="wages", value="none", unit="workers"), "no unit"),
    ("no facility and no subject", with_claim(0, facility=None), "subject"),
    ("period backwards", with_claim(0, period={"start": "2024-02-01", "end": "2024-01-01"}), "period"),
    ("bad evidence", with_claim(0, evidence="rumour"), "claim 0"),
    ("bad status", with_claim(0, status="maybe"), "claim 0"),
    ("NUL in a note", with_claim(0, notes="a\x00b"), "NUL"),
    ("repeated claim", {**bundle(), "claims": [bundle()["claims"][0]] * 2}, "repeats claim 0"),
    ("bad country", {**bundle(), "facilities": [{**bundle()["facilities"][0], "country": "XX"}]}, "alpha-2"),
    (
        "three-letter country",
        {**bundle(), "facilities": [{**bundle()["facilities"][0], "country": "RUS"}]},
        "alpha-2",
    ),
    (
        "latitude out of range",
        {
            **bundle(),
            "facilities": [
                {**bundle()["facilities"][0], "location": {"lat": 91, "lon": 0, "precision": "city"}}
            ],
        },
        "lat",
    ),
    (
        "longitude out of range",
        {
            **bundle(),
            "facilities": [
                {**bundle()["facilities"][0], "location": {"lat": 0, "lon": 181, "precision": "city"}}
            ],
        },
        "lon",
    ),
    ("bad report id", {**bundle(), "report": {**bundle()["report"], "id": "Has Spaces"}}, "report.id"),
    ("NUL in the body", {**bundle(), "report": {**bundle()["report"], "body": "a\x00b"}}, "NUL"),
    ("bad language", {**bundle(), "report": {**bundle()["report"], "language": "english!"}}, "BCP 47"),
    (
        "bad role",
        {**bundle(), "report": {**bundle()["report"], "contributors": [{"name": "X", "role": "boss"}]}},
        "role",
    ),
    (
        "body and body_file",
        {**bundle(), "report": {**bundle()["report"], "body_file": "x.txt"}},
        "exactly one",
    ),
    ("not a mapping", [1, 2, 3], "bundle"),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("name", "data", "words"), REFUSALS, ids=[case[0] for case in REFUSALS])
def test_a_bad_bundle_is_refused_whole(
    engine: Engine, client: TestClient, name: str, data: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidBundle) as refused:
        load(engine, copy.deepcopy(data))
    text = refused.value.detail + json.dumps(refused.value.errors)
    assert words in text, (name, text)
    assert refused.value.errors, "a refusal lists where each problem is"
    assert stored_counts(client) == [0, 0, 0]


def test_a_refusal_names_the_claim_and_lists_every_problem(engine: Engine) -> None:
    data = bundle()
    data["claims"][1]["quote"] = "sixteen hours"
    data["claims"][2]["facility"] = "nowhere"
    with pytest.raises(InvalidBundle) as refused:
        load(engine, data)
    assert refused.value.detail.startswith(
        "Invalid bundle: claim 1 (working_hours, facility khabarovsk-workshop)"
    )
    assert [error["loc"] for error in refused.value.errors] == [
        ["claims", 1, "quote"],
        ["claims", 2, "facility"],
    ]


def test_the_same_bundle_again_changes_nothing(engine: Engine, client: TestClient) -> None:
    first = load(engine, bundle())
    before = client.get("/v1/claims").json()
    second = load(engine, bundle())
    assert (first.status, second.status) == ("added", "unchanged")
    assert second.claim_ids == first.claim_ids
    assert client.get("/v1/claims").json() == before


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d["report"].update(body=BODY + " More."), id="another body"),
        pytest.param(lambda d: d["claims"].pop(), id="fewer claims"),
        pytest.param(lambda d: d["claims"][0].update(value=45), id="another value"),
        pytest.param(lambda d: d["report"].update(title="Another title"), id="another title"),
    ],
)
def test_the_same_report_id_with_other_content_is_a_conflict(
    engine: Engine, client: TestClient, change: Any
) -> None:
    load(engine, bundle())
    before = client.get("/v1/claims").json()
    data = bundle()
    change(data)
    with pytest.raises(Conflict, match="khabarovsk-workshop"):
        load(engine, data)
    assert client.get("/v1/claims").json() == before


def test_claim_ids_are_the_same_in_another_database(engine: Engine, backend: str, tmp_path: Path) -> None:
    first = load(engine, bundle())
    other = Database(backend, tmp_path / "other")
    (tmp_path / "other").mkdir()
    other_engine = make_engine(other.settings())
    try:
        migrate(other_engine)
        second = load(other_engine, bundle())
    finally:
        other_engine.dispose()
        other.drop()
    assert second.claim_ids == first.claim_ids
    assert len(set(first.claim_ids)) == 3


def test_yaml_and_json_files_of_one_bundle_are_the_same_bundle(engine: Engine, tmp_path: Path) -> None:
    data = bundle()
    body = data["report"].pop("body")
    (tmp_path / "text.txt").write_text(body, encoding="utf-8")
    data["report"]["body_file"] = "text.txt"
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(data), encoding="utf-8")
    assert load_bundle_file(engine, tmp_path / "a.yaml").status == "added"
    assert load_bundle_file(engine, tmp_path / "b.json").status == "unchanged"


def test_a_missing_body_file_is_refused(engine: Engine, tmp_path: Path) -> None:
    data = bundle()
    del data["report"]["body"]
    data["report"]["body_file"] = "missing.txt"
    with pytest.raises(InvalidBundle, match="body_file"):
        load(engine, data, tmp_path)


def test_a_stored_facility_is_reused_not_overwritten(engine: Engine, client: TestClient) -> None:
    load(engine, bundle())
    data = bundle()
    data["report"]["id"] = "khabarovsk-follow-up"
    data["facilities"][0]["name"] = "Renamed"
    data["claims"] = data["claims"][:1]
    load(engine, data)
    facility = client.get("/v1/facilities/khabarovsk-workshop").json()
    assert facility["name"] == "Sewing workshop in Khabarovsk"
    assert facility["report_count"] == 2
    assert facility["claim_count"] == 4


def test_seed_command_refuses_a_bad_bundle_and_exits_non_zero(
    database: Database, engine: Engine, client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bad.yaml").write_text(
        yaml.safe_dump(with_claim(0, quote="not in the text")), encoding="utf-8"
    )
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("LABORWATCH_SEEDS_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["seed"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "claim 0 (worker_count, facility khabarovsk-workshop)" in result.output
    assert "not found" in result.output
    assert stored_counts(client) == [0, 0, 0]


def test_invalid_yaml_is_refused_with_its_file_name(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("report: [unclosed", encoding="utf-8")
    with pytest.raises(InvalidBundle, match=r"broken\.yaml"):
        load_bundle_file(engine, path)
