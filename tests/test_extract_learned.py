"""`laborwatch extract --scorer learned`: the learned scorer's drafts, its weights file and its training."""

from pathlib import Path

import yaml
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.extract import Scorer, draft_from_file
from api.extract.learned import WEIGHTS, load_weights
from api.ingest.loader import parse_bundle
from bench.extract_learn import train

# An invented report: a dateline city, a North Korean count there, and numbers that count no one.
REPORT = """North Korean seamstresses at a Dandong garment plant

DANDONG - About 120 North Korean women sew sportswear at a garment factory on the edge of Dandong,
according to two traders who supply it.

The plant pays their wages to a North Korean trading company, some 30 percent of which reaches them.
Its owner said in 2024 that orders had fallen by 15 percent since the spring.
"""


def _claims(path: Path, scorer: Scorer) -> list[tuple[str | None, int | float | str | None]]:
    bundle = parse_bundle(yaml.safe_load(draft_from_file(path, scorer=scorer)), draft=True)
    cities = {facility.id: facility.city for facility in bundle.facilities}
    return [(cities.get(claim.facility or ""), claim.value) for claim in bundle.claims]


def test_learned_scorer_drafts_the_workforce_at_its_place_and_no_share_or_year(tmp_path: Path) -> None:
    path = tmp_path / "dandong.txt"
    path.write_text(REPORT, encoding="utf-8")
    assert _claims(path, Scorer.learned) == [("Dandong", 120)]


def test_learned_scorer_from_the_command_line_and_a_wrong_scorer_refused(tmp_path: Path) -> None:
    path = tmp_path / "dandong.txt"
    path.write_text(REPORT, encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", "--scorer", "learned", str(path)])
    assert result.exit_code == 0, result.output
    draft = yaml.safe_load(result.output)
    assert [claim["value"] for claim in draft["claims"]] == [120]
    assert "learned model" in draft["claims"][0]["notes"]
    refused = CliRunner().invoke(cli, ["extract", "--scorer", "guess", str(path)])
    assert refused.exit_code == 1
    assert "--scorer must be one of rules, learned" in refused.output


def test_weights_file_is_the_two_models_without_the_rules_outputs() -> None:
    weights = load_weights()
    assert set(weights) == {"figure", "place", "threshold", "rules"}
    assert weights["rules"] == {"used": 0.0}
    assert 0 < weights["threshold"]["figure"] < 1
    assert not [feature for model in ("figure", "place") for feature in weights[model] if "R:" in feature]
    assert WEIGHTS.stat().st_size < 200_000  # a small file shipped in the package


def test_training_is_deterministic_and_learns_the_feature_that_tells() -> None:
    rows = [(["noun=WRK", f"w{index % 3}"], True) for index in range(20)]
    rows += [(["noun=UNIT", f"w{index % 3}"], False) for index in range(20)]
    first, second = train(rows), train(rows)
    assert first == second
    assert first["noun=WRK"] > 0 > first["noun=UNIT"]
