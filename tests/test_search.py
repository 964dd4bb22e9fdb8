"""Full-text search (`q`) on facilities, claims and reports: fields, AND, phrases, hostile input, freshness.

Stemming and English stop words differ between SQLite FTS5 (porter) and PostgreSQL (`english`), so these
tests only use whole words that both index the same way.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.db.engine import write_session
from api.ingest.loader import LoadResult, load_bundle, parse_bundle

IRKUTSK = "irkutsk-dprk-garment-factory"
KRASNOYARSK = "krasnoyarsk-dprk-garment-company"
JILIN = "jilin-clothing-factory-file-photo"
VLADIVOSTOK = "vladivostok-construction-site"
DANDONG = "dandong-seafood-plant"
SHENYANG = "shenyang-restaurant"

DAILYNK = "dailynk-garment-orders-russia"
MONITOR_2023 = "test-monitor-2023"
MONITOR_2024 = "test-monitor-2024"
UNDATED = "test-undated-note"

LISTS = ["/v1/facilities", "/v1/claims", "/v1/reports"]
PROBLEM = "application/problem+json"


def items(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(path, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    found: list[dict[str, Any]] = body["items"]
    return found


def ids(client: TestClient, path: str, **params: Any) -> set[str]:
    return {item["id"] for item in items(client, path, **params)}


def claims_where(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    return items(client, "/v1/claims", **params)


# --- facilities: name, aliases, operator, city, region ---------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Rodina", {VLADIVOSTOK}),  # operator only
        ("Primorsky", {VLADIVOSTOK}),  # region only
        ("Liaoning", {DANDONG, SHENYANG}),  # region
        ("Krai", {VLADIVOSTOK, KRASNOYARSK}),  # two regions
        ("Irkutsk", {IRKUTSK}),  # name, city and region
        ("Seafood", {DANDONG}),  # name
        ("Shenyang", {SHENYANG}),  # city (and name)
        ('"Vladivostok site"', {VLADIVOSTOK}),  # the alias "Vladivostok site" (the name has "site in")
        ("Jilin", {JILIN}),
        ("Atlantis", set()),
    ],
)
def test_facility_search_reads_name_aliases_operator_city_and_region(
    api: TestClient, q: str, expected: set[str]
) -> None:
    assert ids(api, "/v1/facilities", q=q) == expected


def test_facility_search_finds_an_alias_with_a_hyphenated_number(api: TestClient) -> None:
    # "Site V-1" is an alias of the Vladivostok site and nothing else's.
    assert ids(api, "/v1/facilities", q="Site V-1") == {VLADIVOSTOK}
    assert ids(api, "/v1/facilities", q='"Site V-1"') == {VLADIVOSTOK}
    assert ids(api, "/v1/facilities", q="V-1") == {VLADIVOSTOK}


def test_search_finds_a_hyphenated_term_in_claims_and_reports(api: TestClient) -> None:
    # "COVID-19" occurs in two claim quotes (rotation, operating status) and the Daily NK body.
    expected = {claim["id"] for claim in claims_where(api, report_id=DAILYNK) if "COVID-19" in claim["quote"]}
    assert len(expected) == 2
    assert ids(api, "/v1/claims", q="COVID-19") == expected
    assert ids(api, "/v1/reports", q="COVID-19") == {DAILYNK}


# --- claims: quote and subject ---------------------------------------------------------------------


def test_claim_search_reads_the_quote(api: TestClient) -> None:
    found = claims_where(api, q="waitresses")
    assert [claim["facility_id"] for claim in found] == [SHENYANG]
    assert "waitresses" in found[0]["quote"]


def test_claim_search_reads_the_subject(api: TestClient) -> None:
    # "versus" is only in the subject "Military clothing versus ordinary clothing", not in any quote.
    found = claims_where(api, q="versus")
    assert len(found) == 1
    assert found[0]["subject"] == "Military clothing versus ordinary clothing"
    assert "versus" not in found[0]["quote"]
    # "seamsters" is in quotes; "Jilin" is in one quote and one subject of the same claim.
    assert {claim["predicate"] for claim in claims_where(api, q="Jilin")} == {"existence"}


def test_claim_search_on_the_sub_lists(api: TestClient) -> None:
    every = ids(api, "/v1/claims", q="workers")
    of_report = ids(api, f"/v1/reports/{MONITOR_2024}/claims", q="workers")
    of_facility = ids(api, f"/v1/facilities/{VLADIVOSTOK}/claims", q="workers")
    assert of_report
    assert of_report <= every
    assert of_facility <= every
    assert of_report == {c["id"] for c in claims_where(api, q="workers", report_id=MONITOR_2024)}
    assert of_facility == {c["id"] for c in claims_where(api, q="workers", facility_id=VLADIVOSTOK)}


# --- reports: title and body -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("grows", {MONITOR_2024}),  # only in the title "... Vladivostok site grows"
        ("Liaoning", {MONITOR_2023}),  # title (and body)
        ("blogger", {MONITOR_2024}),  # body only
        ("waitresses", {MONITOR_2023}),  # body only
        ("seamsters", {DAILYNK}),  # body only
        ("Krasnoyarsk", {DAILYNK, UNDATED}),  # title of one, body of both
        ("Vladivostok", {MONITOR_2023, MONITOR_2024}),
        ("Atlantis", set()),
    ],
)
def test_report_search_reads_title_and_body(api: TestClient, q: str, expected: set[str]) -> None:
    assert ids(api, "/v1/reports", q=q) == expected


def test_report_list_items_found_by_search_carry_no_body(api: TestClient) -> None:
    (report,) = items(api, "/v1/reports", q="blogger")
    assert "body" not in report
    assert "blogger" in api.get(f"/v1/reports/{report['id']}").json()["body"]


# --- several words, phrases, case ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "words", "each"),
    [
        ("/v1/facilities", "Liaoning seafood", ["Liaoning", "seafood"]),
        ("/v1/facilities", "garment Krasnoyarsk", ["garment", "Krasnoyarsk"]),
        ("/v1/claims", "Krasnoyarsk workers", ["Krasnoyarsk", "workers"]),
        ("/v1/claims", "orders clients", ["orders", "clients"]),
        ("/v1/reports", "Vladivostok blogger", ["Vladivostok", "blogger"]),
        ("/v1/reports", "Irkutsk seamsters", ["Irkutsk", "seamsters"]),
    ],
)
def test_several_words_must_all_match(api: TestClient, path: str, words: str, each: list[str]) -> None:
    both = ids(api, path, q=words)
    assert both
    expected = set.intersection(*(ids(api, path, q=word) for word in each))
    assert both == expected
    assert any(ids(api, path, q=word) != both for word in each), "pick words that narrow each other"


@pytest.mark.parametrize(
    ("path", "word"),
    [("/v1/facilities", "Liaoning"), ("/v1/claims", "workers"), ("/v1/reports", "Vladivostok")],
)
def test_a_word_that_matches_nothing_empties_an_and_query(api: TestClient, path: str, word: str) -> None:
    assert ids(api, path, q=word)
    assert ids(api, path, q=f"{word} zzyzxqwv") == set()
    assert ids(api, path, q=f"zzyzxqwv {word}") == set()


@pytest.mark.parametrize(
    ("path", "apart", "adjacent", "phrase_finds"),
    [
        # "Rodina Construction" then the city "Vladivostok": both words, never side by side.
        ("/v1/facilities", "Rodina Vladivostok", "Rodina Construction", {VLADIVOSTOK}),
        # Daily NK: "garment company in Irkutsk"; test-monitor-2023: "The Irkutsk garment factory".
        ("/v1/reports", "garment Irkutsk", "Irkutsk garment", {MONITOR_2023}),
        # "work 14 hours a day": "work" and "hours" are one word apart.
        ("/v1/claims", "work hours", "14 hours", None),
    ],
)
def test_a_quoted_phrase_matches_only_adjacent_words_in_order(
    api: TestClient, path: str, apart: str, adjacent: str, phrase_finds: set[str] | None
) -> None:
    as_words = ids(api, path, q=apart)
    assert as_words, f"{apart!r} as bare words should match"
    as_phrase = ids(api, path, q=f'"{apart}"')
    assert as_phrase < as_words
    adjacent_found = ids(api, path, q=f'"{adjacent}"')
    assert adjacent_found
    if phrase_finds is not None:
        assert as_phrase == set()
        assert adjacent_found == phrase_finds


def test_a_claim_phrase_needs_the_words_side_by_side(api: TestClient) -> None:
    (hours,) = [c for c in claims_where(api, report_id=MONITOR_2024) if c["predicate"] == "working_hours"]
    assert hours["quote"] == "work 14 hours a day"
    assert hours["id"] in ids(api, "/v1/claims", q="work hours")
    assert hours["id"] not in ids(api, "/v1/claims", q='"work hours"')
    assert hours["id"] in ids(api, "/v1/claims", q='"work 14 hours"')
    assert hours["id"] not in ids(api, "/v1/claims", q='"hours 14 work"')


def test_a_phrase_and_a_word_together(api: TestClient) -> None:
    assert ids(api, "/v1/reports", q='"Irkutsk garment" Vladivostok') == {MONITOR_2023}
    assert ids(api, "/v1/reports", q='"Irkutsk garment" blogger') == set()
    assert ids(api, "/v1/facilities", q='"Rodina Construction" Primorsky') == {VLADIVOSTOK}


@pytest.mark.parametrize(
    ("path", "spellings"),
    [
        ("/v1/facilities", ["rodina", "RODINA", "Rodina", "rOdInA"]),
        ("/v1/claims", ["waitresses", "WAITRESSES", "Waitresses"]),
        ("/v1/reports", ["blogger", "BLOGGER", "Blogger"]),
        ("/v1/reports", ['"irkutsk garment"', '"IRKUTSK GARMENT"']),
    ],
)
def test_search_ignores_case(api: TestClient, path: str, spellings: list[str]) -> None:
    results = [ids(api, path, q=spelling) for spelling in spellings]
    assert results[0]
    assert all(result == results[0] for result in results)


# --- search with other filters and with paging -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/v1/facilities", {"q": "Liaoning", "kind": "restaurant"}, {SHENYANG}),
        ("/v1/facilities", {"q": "Liaoning", "country": "RU"}, set()),
        ("/v1/facilities", {"q": "garment", "country": "RU"}, {IRKUTSK, KRASNOYARSK}),
        ("/v1/facilities", {"q": "Krai", "min_workers": 150}, {VLADIVOSTOK}),
        ("/v1/facilities", {"q": "Liaoning", "bbox": "120,40,130,45"}, {SHENYANG}),
        ("/v1/reports", {"q": "Vladivostok", "publisher": "TEST MONITOR"}, {MONITOR_2023, MONITOR_2024}),
        ("/v1/reports", {"q": "Vladivostok", "published_from": "2024-01-01"}, {MONITOR_2024}),
        ("/v1/reports", {"q": "Krasnoyarsk", "publisher": "Field Notes"}, {UNDATED}),
    ],
)
def test_search_combines_with_other_filters(
    api: TestClient, path: str, params: dict[str, Any], expected: set[str]
) -> None:
    assert ids(api, path, **params) == expected
    without_q = {k: v for k, v in params.items() if k != "q"}
    assert ids(api, path, **params) == ids(api, path, q=params["q"]) & ids(api, path, **without_q)


def test_claim_search_combines_with_claim_filters(api: TestClient) -> None:
    found = claims_where(api, q="workers", predicate="worker_count", status="reported")
    assert found
    assert all(c["predicate"] == "worker_count" and c["status"] == "reported" for c in found)
    assert {c["id"] for c in found} == {
        c["id"] for c in claims_where(api, q="workers") if c["predicate"] == "worker_count"
    } & {c["id"] for c in claims_where(api, status="reported")}
    disputed = claims_where(api, q="workers", facility_id=VLADIVOSTOK, status="disputed")
    assert [c["value"] for c in disputed] == [900]


def test_next_keeps_q_and_walks_every_match_once(api: TestClient) -> None:
    everything = items(api, "/v1/claims", q="workers", sort="-value")
    assert len(everything) > 5
    response = api.get("/v1/claims", params={"q": "workers", "sort": "-value", "limit": 2})
    seen: list[dict[str, Any]] = []
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(everything)
        seen.extend(body["items"])
        if body["next"] is None:
            break
        assert "q=workers" in body["next"]
        response = api.get(body["next"])
    assert seen == everything


def test_offset_paging_with_q(api: TestClient) -> None:
    everything = items(api, "/v1/claims", q="Russia")
    page = api.get("/v1/claims", params={"q": "Russia", "limit": 3, "offset": 2}).json()
    assert page["items"] == everything[2:5]
    assert page["total"] == len(everything)


# --- input that is not words -----------------------------------------------------------------------


@pytest.mark.parametrize("q", ["!!!", "---", '""', "*", "()"])
@pytest.mark.parametrize("path", LISTS)
def test_q_without_word_characters_finds_nothing(api: TestClient, path: str, q: str) -> None:
    response = api.get(path, params={"q": q})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["items"], body["total"], body["next"]) == ([], 0, None)


@pytest.mark.parametrize("q", ["", " ", "\t"])
@pytest.mark.parametrize("path", LISTS)
def test_a_blank_q_is_no_filter(api: TestClient, path: str, q: str) -> None:
    # Dashboards send an empty search box as q=; it should not empty the list.
    assert api.get(path, params={"q": q}).json() == api.get(path).json()


HOSTILE = [
    '"',
    '""',
    '"unterminated',
    'unterminated"',
    '"a" "',
    "*",
    "foo*",
    "*foo",
    "NEAR(a b)",
    "NEAR(",
    "a AND OR NOT b",
    "AND",
    "OR",
    "NOT",
    "-x",
    "x:y",
    "column:value",
    "search_text:workers",
    "^start",
    "(",
    ")",
    "{}",
    "{a b}",
    "[",
    "'",
    "''",
    "\\",
    "\\\\'",
    ";DROP TABLE claim;--",
    "'; DROP TABLE report; --",
    "%",
    "_",
    "%_%",
    "&|!<->",
    "a & b | !c <-> d",
    ":*",
    "workers:*",
    "a <2> b",
    "+",
    "workers^2",
    "x" * 500,
    "word " * 100,
    '"' * 500,
    "로동자",
    "Красноярск",
    "北朝鮮 労働者",
    "\U0001f9f5\U0001f3ed",
    "e\u0301",
    "\u200b",
    "\ufeff",
    "\x01\x02\x03",
    "\x1f\x7f",
    "tab\there",
    "line\nbreak\r\n",
    "\u2028\u2029",
    "\ud7ff",
]


@pytest.mark.parametrize("q", HOSTILE, ids=[f"{i:02d}" for i in range(len(HOSTILE))])
def test_hostile_search_strings_answer_200(api: TestClient, q: str) -> None:
    for path in [*LISTS, "/v1/stats"]:
        assert_answers(api, path, q)


@pytest.mark.parametrize(
    "q", ['"unterminated', "NEAR(a b)", "a AND OR NOT b", "x:y", "&|!<->", ":*", "'", "\\"]
)
@pytest.mark.parametrize("path", [f"/v1/reports/{DAILYNK}/claims", f"/v1/facilities/{VLADIVOSTOK}/claims"])
def test_hostile_search_strings_answer_200_on_the_sub_lists(api: TestClient, path: str, q: str) -> None:
    assert_answers(api, path, q)


def assert_answers(api: TestClient, path: str, q: str) -> None:
    response = api.get(path, params={"q": q})
    assert response.status_code == 200, f"{path} q={q!r}: {response.status_code} {response.text[:300]}"
    body = response.json()
    if "items" in body:
        assert body["total"] == len(body["items"])


def test_hostile_strings_do_not_hide_real_words(api: TestClient) -> None:
    # Syntax characters around a real word are ignored; the word still matches.
    for q in ["Rodina*", "(Rodina)", "Rodina:", "-Rodina", "^Rodina", "'Rodina'", "Rodina;--"]:
        assert ids(api, "/v1/facilities", q=q) == {VLADIVOSTOK}, q
    # Search keywords are plain words, not operators: "OR" does not widen an AND.
    assert ids(api, "/v1/facilities", q="Rodina OR Liaoning") == set()


def test_the_tables_survive_hostile_search(api: TestClient) -> None:
    for q in [";DROP TABLE claim;--", "'; DROP TABLE report; --"]:
        for path in LISTS:
            assert api.get(path, params={"q": q}).status_code == 200
    assert api.get("/v1/claims").json()["total"] == 30
    assert api.get("/v1/reports").json()["total"] == 4


@pytest.mark.parametrize("path", [*LISTS, f"/v1/reports/{DAILYNK}/claims", "/v1/stats"])
@pytest.mark.parametrize("q", ["\x00", "work\x00ers", "\x00" * 3])
def test_nul_in_q_is_a_422_problem(api: TestClient, path: str, q: str) -> None:
    response = api.get(path, params={"q": q})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["loc"] == ["query", "q"]


@pytest.mark.parametrize("path", [*LISTS, f"/v1/facilities/{VLADIVOSTOK}/claims", "/v1/stats"])
def test_q_longer_than_500_characters_is_a_422_problem(api: TestClient, path: str) -> None:
    assert api.get(path, params={"q": "x" * 500}).status_code == 200
    assert api.get(path, params={"q": "\u00e9" * 500}).status_code == 200
    for q in ["x" * 501, "workers " * 70, "\U0001f9f5" * 501]:
        response = api.get(path, params={"q": q})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"][0]["loc"] == ["query", "q"]


# --- the index follows writes ----------------------------------------------------------------------

FRESH_BODY = (
    "Inspectors counted 45 seamstresses at the Zaryadye workshop near Nakhodka.\n"
    "The owner, a firm called Okeanpromstroi, denied it."
)


def fresh_bundle(report_id: str, title: str) -> dict[str, Any]:
    return {
        "report": {
            "id": report_id,
            "title": title,
            "publisher": "Harbour Watch",
            "published_on": "2024-09-01",
            "language": "en",
            "body": FRESH_BODY,
        },
        "facilities": [
            {
                "id": "nakhodka-workshop",
                "name": "Sewing workshop near Nakhodka",
                "aliases": ["Zaryadye workshop"],
                "kind": "workshop",
                "sector": "garment",
                "operator": "Okeanpromstroi",
                "city": "Nakhodka",
                "region": "Primorsky Krai",
                "country": "RU",
            }
        ],
        "claims": [
            {
                "facility": "nakhodka-workshop",
                "subject": "Quillwort inspection",
                "predicate": "worker_count",
                "value": 45,
                "unit": "workers",
                "quote": "counted 45 seamstresses",
            }
        ],
    }


def load(engine: Engine, data: dict[str, Any]) -> LoadResult:
    with write_session(engine) as session:
        return load_bundle(session, parse_bundle(data))


def test_search_finds_the_words_of_a_new_bundle_at_once(client: TestClient, engine: Engine) -> None:
    for path in LISTS:
        assert ids(client, path, q="Nakhodka") == set()
    assert load(engine, fresh_bundle("harbour-watch-1", "Tidewater inspection report")).status == "added"

    assert ids(client, "/v1/facilities", q="Zaryadye") == {"nakhodka-workshop"}  # alias
    assert ids(client, "/v1/facilities", q="Okeanpromstroi") == {"nakhodka-workshop"}  # operator
    assert ids(client, "/v1/facilities", q="Primorsky") == {"nakhodka-workshop"}  # region
    assert ids(client, "/v1/facilities", q="Nakhodka") == {"nakhodka-workshop"}  # name and city
    assert len(ids(client, "/v1/claims", q="seamstresses")) == 1  # quote
    assert len(ids(client, "/v1/claims", q="Quillwort")) == 1  # subject
    assert ids(client, "/v1/reports", q="Tidewater") == {"harbour-watch-1"}  # title
    assert ids(client, "/v1/reports", q="Okeanpromstroi") == {"harbour-watch-1"}  # body
    assert ids(client, "/v1/reports", q='"Zaryadye workshop"') == {"harbour-watch-1"}

    # A second report with the same body: both are found; loading it again changes nothing.
    load(engine, fresh_bundle("harbour-watch-2", "Second look"))
    assert load(engine, fresh_bundle("harbour-watch-2", "Second look")).status == "unchanged"
    assert ids(client, "/v1/reports", q="Okeanpromstroi") == {"harbour-watch-1", "harbour-watch-2"}
    assert ids(client, "/v1/reports", q="Tidewater") == {"harbour-watch-1"}
    assert len(ids(client, "/v1/claims", q="seamstresses")) == 2
    assert ids(client, "/v1/facilities", q="Zaryadye") == {"nakhodka-workshop"}


def test_search_folds_case_beyond_ascii(client: TestClient, engine: Engine) -> None:
    body = "Фабрика в Красноярске: работают 120 рабочих. 로동자 300명이 일한다. Ein Werk in Zürich. ΑΘΗΝΑ."
    load(
        engine,
        {
            "report": {
                "id": "unicode-note",
                "title": "Юникод",
                "publisher": "X",
                "language": "ru",
                "body": body,
            },
            "facilities": [
                {
                    "id": "krasnoyarsk-sewing",
                    "name": "Швейная фабрика",
                    "aliases": ["로동자 공장"],
                    "city": "Красноярск",
                    "country": "RU",
                }
            ],
            "claims": [
                {
                    "facility": "krasnoyarsk-sewing",
                    "predicate": "worker_count",
                    "value": 120,
                    "unit": "workers",
                    "quote": "работают 120 рабочих",
                }
            ],
        },
    )
    for q in ["Красноярске", "красноярске", "КРАСНОЯРСКЕ", "로동자", "zürich", "ZÜRICH", "αθηνα", "юникод"]:
        assert ids(client, "/v1/reports", q=q) == {"unicode-note"}, q
    for q in ["Красноярск", "КРАСНОЯРСК", "швейная", "로동자", '"로동자 공장"']:
        assert ids(client, "/v1/facilities", q=q) == {"krasnoyarsk-sewing"}, q
    assert len(ids(client, "/v1/claims", q="РАБОЧИХ")) == 1
