"""Constructions of real reports on North Korean workers (issue 23, second round), in invented sentences.

Each case is a class of wording, not a text of bench/extract: a workforce figure the extractor must find
and place, or a number that is not a North Korean workforce there now.
"""

import pytest

from tests.helpers.extracting import placed_figures


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "KHOLMSK - A fish plant sacked 30 of its 110 North Korean workers in May after a strike.",
            [("Kholmsk", 110, False)],
        ),
        (
            "MANZHOULI - The brick works employs 700 people, 260 of them from North Korea.",
            [("Manzhouli", 260, False)],
        ),
        (
            'TUMEN - "There used to be 180 of them here," the director of a shoe factory in Tumen said.',
            [("Tumen", 180, False)],
        ),
        (
            "LONGJING - The plant took on its first North Korean welders, 36 in all, in 2015.",
            [("Longjing", 36, False)],
        ),
        (
            "Sakhalin's fish plants rely on North Korean labour. Fewer than 40 work at a cannery near "
            "Korsakov, an inspector said.",
            [("Korsakov", 40, True)],
        ),
        (
            "As many as 600 North Koreans worked in Kuwait in 2015. Of those, about 250 were at Al Ahmadi.",
            [("KW", 600, True), ("Al Aḩmadī", 250, True)],
        ),
        (
            "North Korean women gut crabs at a plant in Hunchun. A former foreman put their number at "
            "between thirty and fifty.",
            [("Hunchun", 30, True)],
        ),
        (
            "North Korean builders work in Chita. The regional labour office now counts 410, most of them on "
            "housing sites.",
            [("Chita", 410, False)],
        ),
        (
            "In Dili the North Korean restaurant has some 14 personnel, a cook said.",
            [("Dili", 14, True)],
        ),
    ],
    ids=[
        "n-of-its-m",
        "m-people-n-from-north-korea",
        "used-to-be-of-them",
        "start-figure-in-all",
        "opens-on-a-count-that-works",
        "of-those-at-a-place",
        "put-their-number-at-a-range-in-words",
        "the-office-counts",
        "personnel",
    ],
)
def test_workforce_constructions(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "OMSK - The governor said the region faces a shortage of 9,000 workers on its building sites, "
        "North Korean or not.",
        "CHITA - The project needs 3,000 workers of all trades, North Koreans among them.",
        "BLAGOVESHCHENSK - Border guards said 4,200 North Koreans entered the region last year.",
        "IRKUTSK - Over the past fifteen years some 7,000 North Koreans have worked in the region.",
        "ULAN-UDE - The ministry denied visa extensions for 35 North Korean workers in June.",
        "KAZAN - A clinic plans to open in May. More than 20 North Korean doctors, nurses and dentists are "
        "to be hired.",
    ],
    ids=[
        "labour-shortage",
        "all-trades",
        "border-entries",
        "added-up-over-years",
        "refused-visas",
        "future-list",
    ],
)
def test_not_a_workforce_there_now(body: str) -> None:
    assert placed_figures(body) == []


def test_members_of_a_team_already_counted() -> None:
    body = (
        "BENGHAZI - A North Korean medical team has begun work at a city hospital.\n\n"
        "The 30-member team, which includes eleven nurses and four surgeons, arrived in Libya in March."
    )
    assert placed_figures(body) == [("Benghazi", 30, False)]


def test_the_country_named_without_in() -> None:
    body = (
        "CAIRO - Egyptian officials met on Monday.\n\n"
        "North Korean builders are no strangers to Libya. Before 2011, some 400 North Koreans worked in the "
        "country."
    )
    assert placed_figures(body) == [("LY", 400, True)]


def test_a_buyers_country_is_no_workplace() -> None:
    body = (
        "DANDONG - A shirt factory cut its staff after a buyer in Germany cancelled an order. The remaining "
        "90 North Korean seamstresses work in one shift."
    )
    assert placed_figures(body) == [("Dandong", 90, False)]


def test_a_datelines_province_is_no_place() -> None:
    body = (
        "Shoes for Europe\n\nHELONG, Jilin - A shoe plant here has hired North Koreans.\n\n"
        "Its first North Korean workers, 25 in all, came in 2016."
    )
    assert [where for where, _, _ in placed_figures(body)] != ["Jilin"]


def test_a_past_peak_and_the_count_now() -> None:
    body = (
        "DARKHAN - The number of North Korean workers in Mongolia peaked at 1,900 in 2015 and stood at 800 "
        "in March, officials said."
    )
    assert placed_figures(body) == [("MN", 1900, False), ("MN", 800, False)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'TONGHUA - North Korean workers sew shirts here. "There used to be 260 of us," a worker said. '
            '"Then 150 were sent back. The other 110 still work here."',
            [("Tonghua", 260, False), ("Tonghua", 110, False)],
        ),
        (
            "KURSK - North Korean workers are hired by local farms. The men worked in a brigade of thirty to "
            "forty men on a farm in the Kursk region.",
            [("Kursk Oblast", 30, True)],
        ),
        (
            "VLADIVOSTOK - North Korean programmers are busy. A second team, about a dozen strong, writes "
            "code in the city.",
            [("Vladivostok", 12, True)],
        ),
        ("North Korean builders in Sohar number between 250 and 300.", [("Sohar", 250, True)]),
        (
            "SEOUL - A 38-member North Korean medical team has arrived in Ulan-Ude, the hospital said.",
            [("Ulan-Ude", 38, False)],
        ),
    ],
    ids=[
        "the-other-n",
        "a-brigade-of-a-range",
        "a-dozen-strong",
        "workers-number-a-range",
        "member-team-3-words",
    ],
)
def test_group_constructions(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        'BELOGORSK - North Korean builders are back. "A Korean brigade of ten costs less than three of '
        'ours," a rival said.',
        "HUNCHUN - North Korean women work at three plants. The staff at the three sites number about 900.",
    ],
    ids=["a-brigade-as-an-illustration", "all-staff-number"],
)
def test_group_sizes_that_are_not_a_count(body: str) -> None:
    assert placed_figures(body) == []


def test_a_second_town_with_its_own_count() -> None:
    body = (
        "YEKATERINBURG - At least 70 North Korean plasterers work on the tower. Fewer than 20 work in "
        "Pervouralsk."
    )
    assert placed_figures(body) == [("Yekaterinburg", 70, True), ("Pervouralsk", 20, True)]


@pytest.mark.parametrize(
    "body",
    [
        "TOMSK - Last year 12 North Korean men were murdered at a building site in the city.",
        "TOMSK - Police said 14 North Korean workers were jailed for theft.",
        "NAKHODKA - Port officials detained 62 North Korean crew members on Monday.",
    ],
    ids=["murdered", "jailed", "detained-before"],
)
def test_people_harmed_or_held_are_not_a_workforce(body: str) -> None:
    assert placed_figures(body) == []


def test_expats_who_remain() -> None:
    body = "DOHA - Fewer than 1,000 North Korean expats remain in Qatar, an official said."
    assert placed_figures(body) == [("QA", 1000, True)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "ULAANBAATAR - Mongolia now has 1,190 North Korean workers, after peaking at 2,123 in 2013, the "
            "agency said.",
            [("MN", 1190, False), ("MN", 2123, False)],
        ),
        (
            "ULAANBAATAR - The number of North Korean workers in Mongolia, which peaked at some 2,100 in "
            "2013, has fallen to 1,190.",
            [("MN", 2100, True), ("MN", 1190, False)],
        ),
    ],
    ids=["after-peaking-at", "which-peaked-has-fallen-to"],
)
def test_a_peak_told_after_or_inside(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "NOVOSIBIRSK - North Korean builders are wanted. The region lacks an estimated 4,500-5,000 workers.",
        "NOVOSIBIRSK - The region needs 2,000 North Korean builders for its housing programme.",
        "DANDONG - Some 170 North Korean workers were forced to return home in August.",
        "DANDONG - Some 170 North Korean workers went home in August.",
    ],
    ids=["lacks-a-range", "needs", "forced-to-return", "went-home"],
)
def test_workers_wanted_or_gone_home(body: str) -> None:
    assert placed_figures(body) == []
