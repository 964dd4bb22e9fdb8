"""Constructions of real reports on North Korean workers (issue 23, third round), in invented sentences.

Each case is a class of wording met in published reports (bench/extract/README.md lists them), written
anew: places the gazetteer must know, figures it must find, and numbers that are no workforce there now.
"""

import pytest

from tests.helpers.extracting import placed_figures


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "KUWAIT CITY - Some 140 North Korean builders are putting up a school in Farwaniyah, a "
            "contractor said.",
            [("Al Farwānīyah", 140, True)],
        ),
        (
            "Twelve North Korean cooks work at a restaurant in Valletta, its owner said.",
            [("Valletta", 12, False)],
        ),
        (
            "A restaurant in St. Julian's has hired 15 North Korean waitresses, the tourism authority said.",
            [("St Julian's", 15, False)],
        ),
        (
            "A team of 25 North Korean doctors has opened a clinic at the hospital in Kufrah.",
            [("Kufra", 25, False)],
        ),
        (
            "Some 60 North Korean builders are repairing schools in the Belgorod region, a local paper said.",
            [("Belgorod Oblast", 60, True)],
        ),
    ],
    ids=[
        "arabic-article-dropped",
        "small-capital",
        "saint-abbreviated",
        "oasis-town",
        "oblast-named-by-city",
    ],
)
def test_places_of_real_reports(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


def test_a_capital_dateline_over_a_count_of_its_country() -> None:
    body = (
        "ULAANBAATAR - Some 900 North Koreans are working in Mongolia, the labour ministry said.\n\n"
        "These include 35 working at a cashmere mill run by a Chinese investor. At a building site in the "
        "capital, 60 North Koreans lay bricks."
    )
    assert placed_figures(body) == [("MN", 900, True), ("MN", 35, False), ("Ulaanbaatar", 60, False)]


def test_a_town_dateline_over_a_count_of_its_country() -> None:
    body = (
        "TYNDA - Some 3,000 North Koreans work in Russia, officials said. At the camp, 400 North Koreans "
        "fell trees."
    )
    assert placed_figures(body) == [("RU", 3000, True), ("Tynda", 400, False)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "OMSK - The region's officials report 300 North Korean workers on its building sites. Trade "
            "unions put the number much higher, at about 900.",
            [("Omsk", 300, False), ("Omsk", 900, True)],
        ),
        (
            'NAKHODKA - "Our team of twenty welders came in May," a North Korean foreman said.',
            [("Nakhodka", 20, False)],
        ),
        (
            "DARKHAN - The labour ministry counted 1,050 North Koreans employed in the country in June.",
            [("MN", 1050, False)],
        ),
        (
            "DARKHAN - Some 800 North Korean workers remain in Mongolia, officials said. That figure has "
            "halved since it peaked at 1,600 in 2014.",
            [("MN", 800, True), ("MN", 1600, False)],
        ),
        (
            "HUNCHUN - The mill took on its first North Korean workers in 2016, when it brought in 45 women "
            "through an agency in Sinuiju.",
            [("Hunchun", 45, False)],
        ),
        (
            "DANDONG - Last week 80 North Korean workers at the plant were sent home. The other 60 will "
            "likely follow in May.",
            [("Dandong", 60, False)],
        ),
        (
            "Traders who work across the Middle East say about 700 North Koreans are employed in Oman.",
            [("OM", 700, True)],
        ),
        (
            "SZCZECIN - The yard employs 45 North Korean welders beside 300 fitters from Ukraine.",
            [("Szczecin", 45, False)],
        ),
    ],
    ids=[
        "estimate-against-another",
        "possessive-team",
        "a-ministry-counts",
        "since-it-peaked",
        "sending-firm-at-home",
        "will-follow-after-departures",
        "region-of-the-source-not-of-the-count",
        "others-from-a-country",
    ],
)
def test_counts_of_real_reports(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "TUMEN - A shoe factory sends home 70 North Korean workers after a dispute over pay.",
        "JIXI - A fish plant is sacking 45 North Korean women this month, a supervisor said.",
        "KHABAROVSK - North Korean builders are finishing a hospital. A guard said there were six of them "
        "working in that stairwell.",
        "KHABAROVSK - A reporter counted 14 North Korean workers on the roof of the hospital.",
        "DANDONG - 80 North Korean workers came to the plant in March. The other 60 will follow in May.",
        "VLADIVOSTOK - Some 400 North Koreans came as students last year, the border service said.",
        "MOSCOW - Before the pandemic almost 9,000 North Koreans entered Russia in a single year.",
    ],
    ids=[
        "sends-home",
        "is-sacking",
        "a-part-of-the-crew-on-one-floor",
        "a-sighting-counted",
        "a-group-still-to-come-follows",
        "visitors-by-purpose",
        "entries-in-a-year",
    ],
)
def test_not_a_workforce_there_now(body: str) -> None:
    assert [figure for figure in placed_figures(body) if figure[1] != 80] == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "SIEM REAP - The Lotus Hall and the Pine Hall employ 19 and 24 mostly-female North Koreans, "
            "respectively, a resident said.",
            [("Siem Reap", 19, False), ("Siem Reap", 24, False)],
        ),
        (
            "MIRI - Of the 150 North Korean workers in Sarawak, 120 have overstayed their permits, while the "
            "30 others still work at two mines.",
            [("Sarawak", 150, False), ("Sarawak", 30, False)],
        ),
        (
            "KUCHING - Some 160 North Koreans hired for building sites in Malaysia's Sarawak state have not "
            "been seen at work for two weeks.",
            [("Sarawak", 160, True)],
        ),
        (
            "Gulf builders\n\nSome 900 North Korean builders work in Kuwait. Some 700 work in the UAE and "
            "Qatar, with another 350 in Oman.",
            [("KW", 900, True), ("OM", 350, False)],
        ),
    ],
    ids=["respectively", "a-placed-whole-and-the-others", "a-countrys-possessive", "two-countries-at-once"],
)
def test_pairs_wholes_and_possessives(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "DUBAI - Another 800 North Korean workers could arrive in the UAE in the coming months.",
        "ABUJA - Nigeria told the panel that a group of 41 North Korean health workers were awaiting "
        "deportation.",
    ],
    ids=["could-arrive", "awaiting-deportation"],
)
def test_not_there_now_either(body: str) -> None:
    assert placed_figures(body) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "NACHOD - North Korean seamstresses work in shifts at a textile mill here. The first two dozen "
            "came in 1999; now there are close to 350.",
            [("Náchod", 350, True)],
        ),
        (
            "Czech villages\n\nNorth Koreans sew uniforms in village workshops, and more than 300 are "
            "currently employed in the Czech Republic, officials said.",
            [("CZ", 300, True)],
        ),
        (
            "VLADIVOSTOK - Some 200 North Korean builders work on the new stadium, analysts in Seoul said.",
            [("Vladivostok", 200, True)],
        ),
    ],
    ids=["now-there-are", "currently-employed-in-a-country", "the-sources-city"],
)
def test_counts_now_and_the_sources_city(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


def test_people_seeking_to_defect() -> None:
    body = "KHABAROVSK - As many as 120 of the loggers are seeking to defect, officials in Seoul said."
    assert placed_figures(body) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "MOSCOW - Some 4,500 North Korean construction workers would rebuild roads and 900 combat "
            "engineers would clear mines, the official said.",
            [],
        ),
        (
            "MOSCOW - A deputy prime minister said between 20,000 and 40,000 North Korean workers could be "
            "needed for the occupied territories.",
            [],
        ),
        (
            "SEOUL - Officials say as many as 14,000 North Korean labourers are already in Russia, with "
            "3,500 of them working in construction.",
            [("RU", 14000, True)],
        ),
        (
            "VIENTIANE - Laos also sees about 100-200 North Korean workers coming to the country each year.",
            [("LA", 100, True)],
        ),
    ],
    ids=["the-work-a-group-would-do", "could-be-needed", "a-trade-of-the-same-place", "the-country-sees"],
)
def test_plans_trades_and_a_country_as_subject(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


def test_one_figure_for_two_cities_of_a_country() -> None:
    body = "Gulf builders\n\nAround 1,200 North Koreans work in Abu Dhabi and Dubai, according to sources."
    assert placed_figures(body) == [("AE", 1200, True)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "DANDONG - Twelve North Korean seamstresses work in a room behind the market, a neighbour said.",
            [("Dandong", 12, False)],
        ),
        (
            "KURSK - Some 200 North Korean plasterers from Mongolia now repair schools in the town.",
            [("Kursk", 200, True)],
        ),
        (
            "Bridge builders\n\nLocal officials in Tomsk said 300 North Korean builders work on a bridge.",
            [("Tomsk", 300, False)],
        ),
    ],
    ids=["a-whole-workshop-in-one-room", "north-koreans-moved-from-another-country", "officials-of-the-town"],
)
def test_rules_that_must_not_reach_too_far(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


# Round 2 (the second held-apart set as development data): general rules, each in wordings of our own.
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "BLAGOVESHCHENSK - About 90 North Korean builders live at the site. Six of the builders sleep in "
            "each cabin, a foreman said.",
            [("Blagoveshchensk", 90, True)],
        ),
        (
            "OMSK - The plant employs 70 North Korean seamstresses. At the first visit, 15 workers said "
            "their passports had been taken.",
            [("Omsk", 70, False)],
        ),
        (
            "BRNO - Over a decade, some 300 North Korean women passed through the factory's dormitory.",
            [],
        ),
        (
            "SEOUL - Officials say around 25 North Koreans who had worked in Kuwait made it to South Korea "
            "last year.",
            [],
        ),
        (
            "TOMSK - The regional office has 320 North Korean workers on its register but could not tell how "
            "many of them are still employed.",
            [],
        ),
        (
            "ZHUHAI - About 110 North Korean women sew at the mill. Its other 500 workers are local "
            "Cantonese.",
            [("Zhuhai", 110, True)],
        ),
        (
            "SHARJAH - Some 50 North Korean carpenters work at the yard; the remaining hands, about 200 in "
            "all, come from East Africa.",
            [("Sharjah", 50, True)],
        ),
        (
            "DOHA - The 60 North Korean masons live apart. The camp's cleaners, by nationality: Kenya (40), "
            "Uganda (32) and Ghana (18).",
            [("Doha", 60, False)],
        ),
        (
            "YANJI - Taken together, the three plants employ roughly 700 North Korean workers, the "
            "auditors said.",
            [],
        ),
        (
            "PERM - The mill also employs about 80 workers from Tajikistan. Some 45 North Korean loggers "
            "cut timber for it.",
            [("Perm", 45, True)],
        ),
        (
            "KUWAIT CITY - The hospital site employs some 90 North Korean plasterers among a workforce of "
            "about 1,000.",
            [("Kuwait City", 90, True)],
        ),
        (
            "HANOI - Some four decades after North Korean sculptors carved a statue here, a restaurant "
            "employs 18 North Korean waitresses.",
            [("Hanoi", 18, False)],
        ),
        (
            "CHITA - Some 300 citizens of the DPRK are employed on building sites in the city, the "
            "migration office said.",
            [("Chita", 300, True)],
        ),
        (
            "MUSCAT - About 40 North Korean stonemasons and 12 steelworkers from North Korea are at the "
            "palace site.",
            [("Muscat", 40, True), ("Muscat", 12, False)],
        ),
    ],
    ids=[
        "housed-per-cabin",
        "people-who-said",
        "passed-through-over-years",
        "reached-the-south",
        "could-not-tell-how-many",
        "the-rest-are-of-another-nation",
        "the-rest-come-from-elsewhere",
        "list-by-origin-in-brackets",
        "sum-over-several-sites",
        "employs-n-workers-from-another-country",
        "among-a-workforce-of",
        "a-time-span-before-the-noun",
        "citizens-of-the-dprk",
        "trade-compounds",
    ],
)
def test_round_two_counts(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'JIAMUSI, Heilongjiang - Builders on the new bridge are North Korean. "There are 28 of us," one '
            "of them said.",
            [("Jiamusi", 28, False)],
        ),
        (
            "Western diplomats in Riyadh think that about 600 North Koreans still work across the Emirates.",
            [("AE", 600, True)],
        ),
        (
            "KHABAROVSK - In Amursk, the town beside Komsomolsk's big paper mill, a sawmill has taken on "
            "fresh hands. Some 35 North Korean loggers supply it.",
            [("Amursk", 35, True)],
        ),
        (
            "North Korean workers abroad: estimates by country\n\n"
            "Russia (Novosibirsk) - about 400\nLaos - 60 to 80\n",
            [("Novosibirsk", 400, True), ("LA", 60, True)],
        ),
    ],
    ids=[
        "a-dateline-region-is-no-place",
        "placed-across-a-country",
        "a-town-described-by-another",
        "city-in-brackets-heads-a-line",
    ],
)
def test_round_two_places(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "A crew of 14 North Korean programmers working from a rented flat in Dalian wrote games.",
            [("Dalian", 14, False)],
        ),
        (
            "HARBIN - The restaurant has a staff of about 30 people, nearly all of them North Korean women.",
            [("Harbin", 30, True)],
        ),
        (
            "NAKHODKA - About 120 North Korean welders came from Chongjin in March and work at the yard.",
            [("Nakhodka", 120, True)],
        ),
    ],
    ids=["a-flat-is-no-room-count", "staff-of-people-called-north-korean", "came-from-a-north-korean-town"],
)
def test_round_two_rules_that_must_not_reach_too_far(
    body: str, expected: list[tuple[str, int, bool]]
) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "The migration office says that in Amur Oblast about 900 citizens of the DPRK are currently "
            "working, most of them on farms.",
            [("Amur Oblast", 900, True)],
        ),
        (
            "NAKHODKA - The cannery had 250 staff on the day of the inspection. Of these, 90 were DPRK "
            "nationals.",
            [("Nakhodka", 90, False)],
        ),
        (
            "WEIHAI - The buyer's auditors estimated the North Korean workforce at roughly 130.",
            [("Weihai", 130, True)],
        ),
        (
            "Nobody agrees on the size of the North Korean workforce in the region. A union leader in "
            "Irkutsk put it at 2,000 to 3,000 across Buryatia.",
            [("Buryatia", 2000, True)],
        ),
        (
            "In Russia the ministry admits to a few North Koreans working in the country. A think tank in "
            "Seoul puts it at about 4,000, and says 700 of them are in Khabarovsk.",
            [("RU", 4000, True), ("Khabarovsk", 700, False)],
        ),
        (
            "YEKATERINBURG - North Korean plasterers are finishing the theatre. A second site in "
            "Pervouralsk had 30 of them last spring.",
            [("Pervouralsk", 30, False)],
        ),
        (
            "ULAANBAATAR - Fewer than 100 North Koreans now work in Mongolia. At its height the country "
            "hosted about 2,000, most of them builders.",
            [("MN", 100, True), ("MN", 2000, True)],
        ),
        (
            "KUWAIT CITY - In 2016 the state planning committee counted 2,500 North Korean workers in the "
            "country.",
            [("KW", 2500, False)],
        ),
    ],
    ids=[
        "citizens-are-currently-working",
        "share-were-dprk-nationals",
        "estimated-the-workforce-at",
        "put-it-at-a-range-across-a-region",
        "put-it-at-the-country-of-the-sentence-before",
        "had-n-of-them",
        "the-country-hosted",
        "an-institution-counted",
    ],
)
def test_round_two_recall(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "In Sharjah, according to diplomats in Dubai, some 200 North Korean tilers work on a tower.",
            [("Sharjah", 200, True)],
        ),
        (
            "Officials in Tomsk said that 40 North Korean builders are at work on a school.",
            [("Tomsk", 40, False)],
        ),
    ],
    ids=["the-sources-city-gives-way", "the-sources-city-alone-places-the-figure"],
)
def test_round_two_the_sources_city(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "VLADIVOSTOK - North Korean welders repair trawlers at a small yard in Slavyanka. Some 45 of "
            "them work there on two shifts.",
            [("Slavyanka", 45, True)],
        ),
        (
            "TYNDA - About 80 North Korean loggers cut timber near Skovorodino, the contractor said.",
            [("Skovorodino", 80, True)],
        ),
        (
            "MAGADAN - Some 57 North Korean crewmen work on trawlers that fish the Sea of Okhotsk.",
            [("Magadan", 57, True)],
        ),
        (
            "IRKUTSK - About 200 North Koreans build flats in the Sverdlovsky and Leninsky districts.",
            [("Irkutsk", 200, True)],
        ),
    ],
    ids=[
        "a-small-town-after-in",
        "a-small-town-after-near",
        "a-sea-named-like-a-town",
        "districts-named-like-a-town",
    ],
)
def test_round_two_small_towns(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "NAKHODKA - About 120 welders came from Chongjin in March and work at the yard.",
            [("Nakhodka", 120, True)],
        ),
        (
            "NAKHODKA - The yard's 65 welders are foreign workers sent by a North Korean trading firm.",
            [("Nakhodka", 65, False)],
        ),
        (
            "NAKHODKA - The yard's 65 North Korean welders work apart. Its 30 painters came from Uzbekistan.",
            [("Nakhodka", 65, False)],
        ),
    ],
    ids=["from-a-north-korean-town", "foreign-workers-sent-by-north-korea", "from-another-country"],
)
def test_round_two_origins(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "KHABAROVSK - Inspectors say some 300 nationals of the DPRK at work on the city's new bridge.",
            [("Khabarovsk", 300, True)],
        ),
        (
            "TOMSK - The tribunal heard that 16 citizens of North Korea were found laying bricks at a "
            "warehouse in Tomsk.",
            [("Tomsk", 16, False)],
        ),
        (
            "ERDENET - Of the mine canteen's 90 cooks, thirty-odd are North Korean, the manager said.",
            [("Erdenet", 30, True)],
        ),
        (
            "KAZAN - North Korean builders are on several sites in Tatarstan. Some 70 of them are "
            "finishing a hotel in Kazan.",
            [("Kazan", 70, True)],
        ),
        (
            "A noodle house in Vientiane employs about 12 people, all of them women from Pyongyang.",
            [("Vientiane", 12, True)],
        ),
        (
            "Upward of 90 North Korean loggers are working in the forests outside Tynda.",
            [("Tynda", 90, True)],
        ),
        (
            "IRKUTSK - A second North Korean crew, numbering 45, is building a clinic in Irkutsk.",
            [("Irkutsk", 45, False)],
        ),
    ],
    ids=[
        "nationals-at-work",
        "citizens-found-working",
        "a-share-odd",
        "a-part-of-them-at-work-on",
        "people-from-pyongyang",
        "upward-of",
        "a-crew-numbering",
    ],
)
def test_round_three_workforce_found(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Of the 5,000 North Koreans now employed in Mongolia, about 600 moved last year to mines "
            "around Erdenet, fewer than 200 to Darkhan, the report said.",
            [("MN", 5000, False), ("Erdenet", 600, True), ("Darkhan", 200, True)],
        ),
        (
            "Labour researchers believe some 700 are still in Qatar, most of them on building sites.",
            [("QA", 700, True)],
        ),
        (
            "A Mongolian official put the overall number of North Koreans employed in the country at "
            "about 1,200, most of them in construction in Ulaanbaatar.",
            [("MN", 1200, True)],
        ),
    ],
    ids=["a-list-of-destinations", "are-still-in-a-country", "the-number-in-the-country"],
)
def test_round_three_figures_by_country_and_list(body: str, expected: list[tuple[str, int, bool]]) -> None:
    assert placed_figures(body) == expected


def test_round_three_an_interview_answer() -> None:
    body = (
        "ERDENET - We met the North Korean brigade leader at the mine's hostel.\n\n"
        "How many of your men work at the mine?\n\n"
        "About thirty-five, and a cook. We came by bus, via Ulaanbaatar.\n"
    )
    assert placed_figures(body) == [("Erdenet", 35, True)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "A crew of 48 North Korean masons is finishing the new theatre in Heihe. A Chinese engineer said "
            'the crew includes "four carpenters, a cook and a doctor".',
            [("Heihe", 48, False)],
        ),
        (
            "A North Korean crew of 55 welders works at the yard in Nakhodka. Another 30 welders were to "
            "join them in May.",
            [("Nakhodka", 55, False)],
        ),
    ],
    ids=["who-a-crew-is-made-of", "were-to-join"],
)
def test_round_three_not_a_workforce(body: str, expected: list[tuple[str | None, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "BEIJING - The fish plant on the waterfront of Weihai employs 140 North Korean women, the "
            "Ministry said.",
            [("Weihai", 140, False)],
        ),
        (
            "Builders in the Sakhalin region\n\nTOKYO - About 500 North Korean builders work across the "
            "island, an inspector said.\n\nYuzhno-Sakhalinsk, the island capital, has the most.\n",
            [("Sakhalin Oblast", 500, True)],
        ),
        (
            "HEIHE - Within sight of the rooftops of Blagoveshchensk across the river, a crew of 80 North "
            "Korean builders is putting up a hotel.",
            [("Heihe", 80, False)],
        ),
    ],
    ids=[
        "the-dateline-city-of-the-work",
        "a-bureau-dateline",
        "a-city-in-view-is-no-place",
    ],
)
def test_round_three_places(body: str, expected: list[tuple[str | None, int, bool]]) -> None:
    assert placed_figures(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "ERDENET - We met the North Korean brigade leader.\n\nHow many hours do you work each day?\n\n"
        "Twelve, sometimes fourteen.\n",
        "North Korean workers build flats in Russia. Of the 20 firms that hire them, 12 are in Moscow and "
        "5 are in Kazan.",
        "North Korean workers build flats in Russia. Of what they earn, about 60 percent went to the state, "
        "300 to Pyongyang.",
    ],
    ids=["an-answer-on-hours", "firms-still-in-a-city", "money-that-went-to"],
)
def test_round_three_rules_do_not_reach(body: str) -> None:
    assert placed_figures(body) == []
