"""`bbox` and `as_of` on the facility list, and each facility's worker figures over time."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

IRKUTSK = "irkutsk-dprk-garment-factory"  # 52.2978, 104.2964
KRASNOYARSK = "krasnoyarsk-dprk-garment-company"  # 56.0153, 92.8932
JILIN = "jilin-clothing-factory-file-photo"  # 43.7, 126.2
VLADIVOSTOK = "vladivostok-construction-site"  # 43.1155, 131.8855
DANDONG = "dandong-seafood-plant"  # no location
SHENYANG = "shenyang-restaurant"  # 41.8057, 123.4315
LOCATED = {IRKUTSK, KRASNOYARSK, JILIN, VLADIVOSTOK, SHENYANG}
PROBLEM = "application/problem+json"

Item = dict[str, Any]


def facilities(api: TestClient, **params: Any) -> list[Item]:
    response = api.get("/v1/facilities", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    found: list[Item] = body["items"]
    return found


def ids(api: TestClient, **params: Any) -> set[str]:
    return {item["id"] for item in facilities(api, **params)}


def figures(api: TestClient, **params: Any) -> dict[str, int | float | None]:
    return {
        item["id"]: item["workers"]["value"] if item["workers"] else None
        for item in facilities(api, **params)
    }


def assert_problem(response: Any, loc: list[str]) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 422
    assert body["errors"][0]["loc"] == loc


# --- bbox ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bbox", "expected"),
    [
        ("-180,-90,180,90", LOCATED),
        ("90,40,140,60", LOCATED),
        ("100,50,110,55", {IRKUTSK}),
        ("120,40,135,45", {JILIN, VLADIVOSTOK, SHENYANG}),
        ("126.2,43.7,131.8855,43.7", {JILIN}),  # a line along Jilin's latitude
        ("104.2964,52.2978,104.2964,52.2978", {IRKUTSK}),  # a box that is exactly one point
        ("104.2964,52,110,53", {IRKUTSK}),  # on the western edge
        ("100,52,104.2964,53", {IRKUTSK}),  # on the eastern edge
        ("100,52.2978,110,53", {IRKUTSK}),  # on the southern edge
        ("100,50,110,52.2978", {IRKUTSK}),  # on the northern edge
        ("104.2965,52,110,53", set()),  # just east of it
        ("100,52.2979,110,53", set()),  # just north of it
        ("-10,-10,10,10", set()),
        ("-180,-90,-170,-80", set()),
    ],
)
def test_bbox_selects_the_located_facilities_inside_it(
    api: TestClient, bbox: str, expected: set[str]
) -> None:
    assert ids(api, bbox=bbox) == expected


def test_bbox_agrees_with_the_facilities_locations(api: TestClient) -> None:
    everything = facilities(api)
    box = (110.0, 40.0, 130.0, 50.0)
    inside = {
        item["id"]
        for item in everything
        if item["location"]
        and box[0] <= item["location"]["lon"] <= box[2]
        and box[1] <= item["location"]["lat"] <= box[3]
    }
    assert inside == {JILIN, SHENYANG}
    assert ids(api, bbox=",".join(str(v) for v in box)) == inside


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"bbox": "90,40,140,60", "country": "CN"}, {JILIN, SHENYANG}),
        ({"bbox": "90,40,140,60", "country": "RU", "min_workers": 100}, {KRASNOYARSK, VLADIVOSTOK}),
        ({"bbox": "90,40,140,60", "sector": "garment", "kind": "factory"}, {IRKUTSK, JILIN}),
        ({"bbox": "90,40,140,60", "q": "Liaoning"}, {SHENYANG}),
        ({"bbox": "90,40,140,60", "report_id": "test-monitor-2023"}, {VLADIVOSTOK, SHENYANG, IRKUTSK}),
        ({"bbox": "90,40,140,60", "as_of": "2023-12-31", "min_workers": 1}, {IRKUTSK, VLADIVOSTOK}),
        ({"bbox": "120,40,135,45", "operator_country": "KP"}, {VLADIVOSTOK, SHENYANG}),
    ],
)
def test_bbox_combines_with_other_filters(
    api: TestClient, params: dict[str, Any], expected: set[str]
) -> None:
    assert ids(api, **params) == expected
    others = {k: v for k, v in params.items() if k != "bbox"}
    assert ids(api, **params) == ids(api, bbox=params["bbox"]) & ids(api, **others)


def test_bbox_keeps_sort_and_paging(api: TestClient) -> None:
    everything = facilities(api, bbox="90,40,140,60", sort="-workers")
    assert [item["id"] for item in everything] == [VLADIVOSTOK, KRASNOYARSK, IRKUTSK, JILIN, SHENYANG]
    first = api.get("/v1/facilities", params={"bbox": "90,40,140,60", "sort": "-workers", "limit": 2}).json()
    assert first["total"] == 5
    second = api.get(first["next"]).json()
    assert [item["id"] for item in first["items"] + second["items"]] == [
        VLADIVOSTOK,
        KRASNOYARSK,
        IRKUTSK,
        JILIN,
    ]


@pytest.mark.parametrize(
    "bbox",
    [
        "1,2,3",
        "1,2,3,4,5",
        ",,,",
        "1,2,3,",
        "a,b,c,d",
        "1,2,3,four",
        "nan,0,1,1",
        "0,NaN,1,1",
        "inf,0,1,1",
        "0,0,-inf,1",
        "0,0,1,Infinity",
        "0,0,1,91",
        "0,-91,1,1",
        "0,0,181,1",
        "-181,0,1,1",
        "10,0,5,1",
        "0,10,1,5",
        "1;2;3;4",
        "1 2 3 4",
        "[1,2,3,4]",
        "0x1,2,3,4",
    ],
)
def test_an_invalid_bbox_is_a_422_problem(api: TestClient, bbox: str) -> None:
    assert_problem(api.get("/v1/facilities", params={"bbox": bbox}), ["query", "bbox"])


def test_an_invalid_bbox_is_refused_everywhere_it_is_taken(api: TestClient) -> None:
    for path, params in [
        ("/v1/facilities", {"format": "geojson"}),
        ("/v1/facilities", {"format": "csv"}),
        ("/v1/stats", {}),
    ]:
        assert_problem(api.get(path, params={**params, "bbox": "0,0,181,1"}), ["query", "bbox"])


# --- as_of -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "value", "dated"),
    [
        ("2020-01-01", None, None),
        ("2023-05-30", None, None),
        ("2023-05-31", 150, "2023-05-31"),  # the period's end, inclusive
        ("2023-12-31", 150, "2023-05-31"),
        ("2024-02-29", 150, "2023-05-31"),
        ("2024-03-01", 200, "2024-03-01"),  # no period: dated by its report, 2024-03-01
        ("2024-06-01", 200, "2024-03-01"),
        ("2025-01-01", 200, "2024-03-01"),  # the 900 of 2024-12-31 is disputed
        ("2099-12-31", 200, "2024-03-01"),
    ],
)
def test_vladivostok_as_of(api: TestClient, as_of: str, value: int | None, dated: str | None) -> None:
    (item,) = facilities(api, as_of=as_of, city="Vladivostok")
    if value is None:
        assert item["workers"] is None
        return
    assert item["workers"]["value"] == value
    assert item["workers"]["as_of"] == dated
    claim = api.get(f"/v1/claims/{item['workers']['claim_id']}").json()
    assert claim["value"] == value
    assert claim["facility_id"] == VLADIVOSTOK


@pytest.mark.parametrize("as_of", ["2020-01-01", "2023-12-31", "2025-01-01", "2099-12-31"])
def test_undated_claims_are_left_out_of_as_of(api: TestClient, as_of: str) -> None:
    # Krasnoyarsk's only figures (100 and 120) come from reports without a date.
    (krasnoyarsk,) = facilities(api, as_of=as_of, city="Krasnoyarsk")
    assert krasnoyarsk["workers"] is None
    # Irkutsk's undated 70 never shows; its dated 85 does from 2023-05-31 on.
    (irkutsk,) = facilities(api, as_of=as_of, city="Irkutsk")
    if as_of < "2023-05-31":
        assert irkutsk["workers"] is None
    else:
        assert irkutsk["workers"]["value"] == 85
    # Today both have figures.
    assert figures(api)[KRASNOYARSK] == 120


def test_as_of_shows_every_facility_with_its_figure_then(api: TestClient) -> None:
    assert figures(api, as_of="2023-12-31") == {
        IRKUTSK: 85,
        KRASNOYARSK: None,
        JILIN: None,
        VLADIVOSTOK: 150,
        DANDONG: 300,
        SHENYANG: None,
    }
    assert figures(api, as_of="2023-05-31")[DANDONG] is None  # dated by its report, 2023-06-01
    assert figures(api, as_of="2023-06-01")[DANDONG] == 300


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"as_of": "2023-12-31", "min_workers": 100}, {VLADIVOSTOK, DANDONG}),
        ({"as_of": "2023-12-31", "max_workers": 160}, {IRKUTSK, VLADIVOSTOK}),
        ({"as_of": "2023-12-31", "min_workers": 151}, {DANDONG}),
        ({"as_of": "2024-06-01", "min_workers": 160}, {VLADIVOSTOK, DANDONG}),
        ({"as_of": "2024-06-01", "min_workers": 100, "max_workers": 250}, {VLADIVOSTOK}),
        ({"as_of": "2020-01-01", "min_workers": 0}, set()),
        ({"as_of": "2023-12-31", "min_workers": 100, "country": "RU"}, {VLADIVOSTOK}),
        ({"min_workers": 100, "max_workers": 130}, {KRASNOYARSK}),  # today, undated 120 counts
    ],
)
def test_min_and_max_workers_use_the_as_of_figure(
    api: TestClient, params: dict[str, Any], expected: set[str]
) -> None:
    assert ids(api, **params) == expected


def test_sort_by_workers_uses_the_as_of_figure(api: TestClient) -> None:
    ascending = facilities(api, as_of="2023-12-31", sort="workers")
    assert [item["id"] for item in ascending] == [IRKUTSK, VLADIVOSTOK, DANDONG, JILIN, KRASNOYARSK, SHENYANG]
    descending = facilities(api, as_of="2023-12-31", sort="-workers")
    assert [item["id"] for item in descending] == [
        DANDONG,
        VLADIVOSTOK,
        IRKUTSK,
        JILIN,
        KRASNOYARSK,
        SHENYANG,
    ]


@pytest.mark.parametrize(
    "as_of", ["yesterday", "2023-13-01", "2023-02-30", "2023-1-1", "31/12/2023", "0000-01-01"]
)
def test_an_invalid_as_of_is_a_422_problem(api: TestClient, as_of: str) -> None:
    assert_problem(api.get("/v1/facilities", params={"as_of": as_of}), ["query", "as_of"])


# --- /v1/facilities/{id}/workers -------------------------------------------------------------------


def history(api: TestClient, facility_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/facilities/{facility_id}/workers")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["facility_id"] == facility_id
    assert body["total"] == len(body["items"])
    return body


def test_vladivostok_history(api: TestClient) -> None:
    body = history(api, VLADIVOSTOK)
    assert [(i["value"], i["as_of"], i["status"], i["counts"]) for i in body["items"]] == [
        (150, "2023-05-31", "reported", True),
        (200, "2024-03-01", "reported", True),
        (900, "2024-12-31", "disputed", False),
    ]
    assert [item["current"] for item in body["items"]] == [False, True, False]
    assert [item["report_id"] for item in body["items"]] == [
        "test-monitor-2023",
        "test-monitor-2024",
        "test-monitor-2024",
    ]
    assert body["items"][2]["quote"] == "claimed 900 workers would arrive by December 2024"


def test_undated_figures_come_last_in_ingest_order(api: TestClient) -> None:
    irkutsk = history(api, IRKUTSK)["items"]
    assert [(item["value"], item["as_of"]) for item in irkutsk] == [(85, "2023-05-31"), (70, None)]
    krasnoyarsk = history(api, KRASNOYARSK)["items"]
    assert [(item["value"], item["as_of"]) for item in krasnoyarsk] == [(100, None), (120, None)]
    assert [item["current"] for item in krasnoyarsk] == [False, True]


@pytest.mark.parametrize("facility_id", [IRKUTSK, KRASNOYARSK, JILIN, VLADIVOSTOK, DANDONG, SHENYANG])
def test_history_lists_every_worker_count_claim_and_marks_the_current_one(
    api: TestClient, facility_id: str
) -> None:
    body = history(api, facility_id)
    claims = api.get(
        f"/v1/facilities/{facility_id}/claims", params={"predicate": "worker_count", "limit": 500}
    ).json()["items"]
    by_id = {claim["id"]: claim for claim in claims}
    assert sorted(item["claim_id"] for item in body["items"]) == sorted(by_id)
    for item in body["items"]:
        claim = by_id[item["claim_id"]]
        assert item["value"] == claim["value"]
        assert item["approximate"] == claim["approximate"]
        assert item["status"] == claim["status"]
        assert item["quote"] == claim["quote"]
        assert item["report_id"] == claim["report_id"]
        assert item["counts"] == (claim["status"] not in {"disputed", "retracted"})
    dated = [item["as_of"] for item in body["items"] if item["as_of"] is not None]
    assert dated == sorted(dated)
    assert [item["as_of"] for item in body["items"]] == dated + [None] * (len(body["items"]) - len(dated))

    workers = api.get(f"/v1/facilities/{facility_id}").json()["workers"]
    current = [item for item in body["items"] if item["current"]]
    if workers is None:
        assert current == []
    else:
        assert [item["claim_id"] for item in current] == [workers["claim_id"]]
        assert current[0]["value"] == workers["value"]
        assert current[0]["counts"] is True


def test_history_agrees_with_as_of(api: TestClient) -> None:
    # On each date in the history, as_of gives the latest counted figure dated on or before it.
    for facility_id in (VLADIVOSTOK, IRKUTSK, DANDONG):
        items = history(api, facility_id)["items"]
        for day in {item["as_of"] for item in items if item["as_of"]}:
            counted = [i for i in items if i["counts"] and i["as_of"] is not None and i["as_of"] <= day]
            expected = max(counted, key=lambda i: i["as_of"])["value"] if counted else None
            assert figures(api, as_of=day)[facility_id] == expected, (facility_id, day)


def test_a_facility_without_worker_claims_has_an_empty_history(api: TestClient) -> None:
    assert history(api, SHENYANG)["items"] == []
    assert history(api, JILIN)["total"] == 0


@pytest.mark.parametrize("facility_id", ["no-such-place", "VLADIVOSTOK-CONSTRUCTION-SITE", "x" * 128])
def test_history_of_an_unknown_facility_is_a_404_problem(api: TestClient, facility_id: str) -> None:
    response = api.get(f"/v1/facilities/{facility_id}/workers")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 404
    assert facility_id in body["detail"]


def test_history_takes_no_query_parameters(api: TestClient) -> None:
    response = api.get(f"/v1/facilities/{VLADIVOSTOK}/workers", params={"as_of": "2023-12-31"})
    assert_problem(response, ["query", "as_of"])
