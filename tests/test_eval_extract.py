"""The scorer of `make eval-extract` on tiny hand-made drafts and gold files, as its README defines it."""

from pathlib import Path

import pytest

from api.extract.credits import PLACEHOLDER
from api.ingest.loader import parse_bundle
from bench.extract import (
    Pair,
    Scored,
    main,
    match_pairs,
    normalise_place,
    proposed_pairs,
    read_gold,
    same_sector,
    same_text,
    totals,
)
from tests.helpers.bundles import bundle


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Gdańsk", "Gdansk"),
        ("Amur Oblast", "amur region"),
        ("Amur", "AMUR territory"),
        ("Ulan-Ude", "ulan  ude"),
        ("Primorsky Krai", "Primorsky"),
    ],
)
def test_place_names_normalise_alike(a: str, b: str) -> None:
    assert normalise_place(a) == normalise_place(b)


def test_only_one_trailing_generic_word_is_dropped_and_never_the_only_word() -> None:
    assert normalise_place("Region") == "region"
    assert normalise_place("Kamchatka Peninsula District") == "kamchatka peninsula"
    assert normalise_place("Amur") != normalise_place("Amur Bay")


def gold(place: str, value: float, *, country: str = "RU", also: tuple[str, ...] = ()) -> Pair:
    return Pair(place, country, value, approximate=True, also=also)


def test_a_proposal_matches_on_place_or_also_country_and_value() -> None:
    golds = [gold("Zeya", 300, also=("Amur",)), gold("Szczecin", 60, country="PL")]
    proposed = [
        Pair("Amur Oblast", "RU", 300, True),  # an `also` name
        Pair("Szczecin", "DE", 60, False),  # wrong country
        Pair("Szczecin", "PL", 61, False),  # wrong value
        Pair(None, None, 60, False),  # no place matches nothing
    ]
    assert match_pairs(proposed, golds) == [(0, 0)]


def test_matching_is_one_to_one_so_a_repeated_figure_counts_against_precision() -> None:
    golds = [gold("Hunchun", 200)]
    proposed = [Pair("Hunchun", "RU", 200, True), Pair("Hunchun", "RU", 200, True)]
    assert match_pairs(proposed, golds) == [(0, 0)]


def test_matching_finds_the_most_pairs_not_the_first_greedy_ones() -> None:
    # The first proposal could take either gold pair; taking the first would leave the second unmatched.
    golds = [gold("Amur", 40, also=("Zeya",)), gold("Zeya", 40)]
    proposed = [Pair("Zeya", "RU", 40, True), Pair("Amur", "RU", 40, True)]
    assert match_pairs(proposed, golds) == [(0, 1), (1, 0)]


@pytest.mark.parametrize(
    ("proposed", "expected", "same"),
    [
        (PLACEHOLDER, None, True),
        ("UNKNOWN", None, True),
        (None, None, True),
        (PLACEHOLDER, "Baltic Herald", False),
        ("  “The Baltic Herald” ", "the baltic herald", True),
        ("Baltic Herald", None, False),
    ],
)
def test_a_placeholder_counts_as_null(proposed: str | None, expected: str | None, same: bool) -> None:
    assert same_text(proposed, expected) is same


@pytest.mark.parametrize(
    ("proposed", "expected", "same"),
    [("seafood", "seafood processing", True), ("Garment factory", "garment", True), ("farm", "IT", False)],
)
def test_sectors_match_when_one_contains_the_other(proposed: str, expected: str, same: bool) -> None:
    assert same_sector(proposed, expected) is same
    assert not same_sector(None, expected)


def test_a_draft_gives_a_pair_per_figure_placed_by_its_facility(tmp_path: Path) -> None:
    data = bundle()
    data["claims"][0]["notes"] = "the text gives a range (30 to 40)"
    data["claims"].append({**data["claims"][0], "facility": None, "subject": "workers in Russia"})
    pairs = proposed_pairs(parse_bundle(data))
    value = data["claims"][0]["value"]
    assert [(p.place, p.country, p.value, p.high) for p in pairs] == [
        ("Khabarovsk", "RU", value, 40),
        (None, None, value, 40),
    ]

    text = tmp_path / "01-a.gold.yaml"
    text.write_text(
        "pairs:\n  - {place: Khabarovsk, country: RU, value: 30, high: 40, approximate: true}\n"
        "title: A workshop in Khabarovsk\npublisher: null\nsector: garment\n",
        encoding="utf-8",
    )
    scored = Scored("01-a", [Pair("Khabarovsk", "RU", 30, False, 40)], read_gold(text), [(0, 0)])
    scored.title, scored.publisher, scored.sector = "A workshop in Khabarovsk", PLACEHOLDER, "garment"
    result = totals([scored, Scored("02-b", [Pair(None, None, 5, True)], read_gold(text), [])])
    assert (result.proposed, result.gold, result.matched) == (2, 2, 1)
    assert (result.precision, result.recall, result.approximate, result.ranges) == (0.5, 0.5, 0.0, 1.0)
    assert result.metadata == {"title": (1, 2), "publisher": (2, 2), "sector": (1, 2)}


def test_check_exits_1_below_the_target_and_0_without_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "01-one.txt").write_text("Workers in Khabarovsk\n\nNo figures at all.\n", encoding="utf-8")
    (tmp_path / "01-one.gold.yaml").write_text(
        "pairs:\n  - {place: Khabarovsk, country: RU, value: 40, approximate: false}\n"
        "title: Workers in Khabarovsk\npublisher: null\n",
        encoding="utf-8",
    )
    assert main(["--texts", str(tmp_path)]) == 0
    assert main(["--texts", str(tmp_path), "--check"]) == 1
    out = capsys.readouterr().out
    assert "- missed gold        (Khabarovsk, RU, 40)" in out
    assert "precision n/a   recall 0.00" in out
    assert "drafts refused before review: 1/1" in out
    assert "drafts accepted after review: 1/1" in out
