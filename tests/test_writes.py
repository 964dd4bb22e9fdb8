"""The write routes through HTTP: keys, create/replace/delete reports, patch claims, merge facilities.

Every refusal is checked to leave nothing written: no report, no facility, no audit entry.
"""

import copy
import csv
import io
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine

from api.app import create_app
from api.auth.keys import create_key, revoke_key
from api.db.engine import write_session
from api.extract import draft_from_file, mark_reviewed
from api.extract.credits import PLACEHOLDER
from api.settings import Settings
from tests.conftest import DATA_DIR, Database
from tests.helpers.bundles import BODY, bundle, second_facility


@pytest.fixture
def key(engine: Engine) -> str:
    with write_session(engine) as session:
        return create_key(session, "analyst")


@pytest.fixture
def writer(client: TestClient, key: str) -> Iterator[TestClient]:
    client.headers["Authorization"] = f"Bearer {key}"
    yield client
    del client.headers["Authorization"]


def totals(client: TestClient) -> dict[str, int]:
    return {
        kind: client.get(f"/v1/{kind}").json()["total"]
        for kind in ("reports", "facilities", "claims", "changes")
    }


EMPTY = {"reports": 0, "facilities": 0, "claims": 0, "changes": 0}
WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/v1/reports", bundle()),
    ("PUT", "/v1/reports/khabarovsk-workshop", bundle()),
    ("DELETE", "/v1/reports/khabarovsk-workshop", None),
    ("PATCH", "/v1/claims/clm-00000000000000000000", {"status": "disputed"}),
    ("POST", "/v1/facilities/khabarovsk-workshop/merge", {"into": "elsewhere"}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-key", "Basic YWxhZGRpbjpvcGVu", "Bearer ", "revoked"]
)
def test_every_write_needs_a_valid_key(
    client: TestClient,
    engine: Engine,
    key: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    authorization: str | None,
) -> None:
    headers = {}
    if authorization == "revoked":
        with write_session(engine) as session:
            revoke_key(session, "analyst")
        headers["Authorization"] = f"Bearer {key}"
    elif authorization is not None:
        headers["Authorization"] = authorization
    response = client.request(method, path, json=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert key not in response.text
    assert totals(client) == EMPTY


def test_post_a_new_report_then_the_same_again(writer: TestClient) -> None:
    created = writer.post("/v1/reports", json=bundle())
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "added"
    assert body["dry_run"] is False
    assert body["report"]["id"] == "khabarovsk-workshop"
    assert body["report"]["body"] == BODY
    assert [facility["id"] for facility in body["facilities"]] == ["khabarovsk-workshop"]
    assert body["facilities"][0]["workers"]["value"] == 40
    assert [claim["predicate"] for claim in body["claims"]] == [
        "worker_count",
        "working_hours",
        "skill_share",
    ]
    assert created.headers["location"] == "/v1/reports/khabarovsk-workshop"
    assert writer.get(created.headers["location"]).json() == body["report"]
    before = totals(writer)

    again = writer.post("/v1/reports", json=bundle())
    assert again.status_code == 200
    assert "location" not in again.headers
    assert again.json()["status"] == "unchanged"
    assert again.json()["claims"] == body["claims"]
    assert totals(writer) == before


def test_dry_run_answers_like_a_write_and_writes_nothing(writer: TestClient) -> None:
    dry = writer.post("/v1/reports", params={"dry_run": "true"}, json=bundle())
    assert dry.status_code == 201
    assert dry.json()["dry_run"] is True
    assert "location" not in dry.headers  # nothing was created there
    assert len(dry.json()["claims"]) == 3
    assert totals(writer) == EMPTY
    etag = writer.get("/v1/reports").headers["etag"]
    real = writer.post("/v1/reports", json=bundle())
    assert [c["id"] for c in real.json()["claims"]] == [c["id"] for c in dry.json()["claims"]]
    assert writer.get("/v1/reports").headers["etag"] != etag
    again = writer.post("/v1/reports", params={"dry_run": "true"}, json=bundle())
    assert (again.status_code, again.json()["status"]) == (200, "unchanged")
    refused = writer.post("/v1/reports", params={"dry_run": "true"}, json={**bundle(), "extra": 1})
    assert refused.status_code == 422


def with_claim(index: int, **fields: Any) -> dict[str, Any]:
    data = bundle()
    data["claims"][index].update(fields)
    return data


REFUSED: list[tuple[str, Any, int, str]] = [
    ("quote not in body", with_claim(1, quote="sixteen hours"), 422, "claim 1 (working_hours"),
    (
        "unknown facility",
        with_claim(0, facility="elsewhere"),
        422,
        "claim 0 (worker_count, facility elsewhere)",
    ),
    ("unknown predicate", with_claim(2, predicate="overtime"), 422, "claim 2"),
    ("unknown field", with_claim(0, certainty="high"), 422, "claim 0"),
    ("value out of range", with_claim(2, value=150), 422, "claim 2"),
    (
        "body_file",
        {**bundle(), "report": {**bundle()["report"], "body": None, "body_file": "x.txt"}},
        422,
        "body",
    ),
    ("not an object", [1, 2], 422, "bundle"),
    ("NUL in a quote", with_claim(0, quote="employs\x00about"), 422, "NUL"),
]


@pytest.mark.parametrize(("name", "payload", "status", "words"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_bundle_leaves_no_trace(
    writer: TestClient, name: str, payload: Any, status: int, words: str
) -> None:
    response = writer.post("/v1/reports", json=payload)
    assert response.status_code == status, (name, response.text)
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert words in problem["detail"] + str(problem.get("errors")), problem
    assert problem["errors"]
    assert totals(writer) == EMPTY


def test_malformed_json_is_a_problem_not_a_500(writer: TestClient) -> None:
    response = writer.post(
        "/v1/reports", content=b'{"report": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert totals(writer) == EMPTY


def with_repeat(data: Any, text: str, repeated: str) -> bytes:
    """`data` as JSON text with `text` (one member, as json.dumps writes it) followed by `repeated`."""
    dumped = json.dumps(data)
    assert dumped.count(text) == 1
    return dumped.replace(text, f"{text}, {repeated}").encode()


def assert_repeated_key(response: Any, loc: list[str | int]) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == [loc]
    assert "more than once" in response.json()["errors"][0]["msg"]


JSON = {"Content-Type": "application/json"}


def test_a_key_given_twice_is_422_on_post_put_and_patch(writer: TestClient) -> None:
    """JSON parsers keep a repeated key's last value: the body is refused instead, naming the place."""
    title = '"title": "A workshop in Khabarovsk"'
    twice = with_repeat(bundle(), title, '"title": "Another title"')
    assert_repeated_key(writer.post("/v1/reports", content=twice, headers=JSON), ["body", "report", "title"])
    assert totals(writer) == EMPTY

    stored = writer.post("/v1/reports", json=bundle())
    assert stored.status_code == 201
    before = writer.get("/v1/reports/khabarovsk-workshop").json()
    changes = totals(writer)
    in_claim = with_repeat(bundle(), '"value": 40', '"value": 41')
    put = writer.put("/v1/reports/khabarovsk-workshop", content=in_claim, headers=JSON)
    assert_repeated_key(put, ["body", "claims", 0, "value"])
    put = writer.put("/v1/reports/khabarovsk-workshop", content=twice, headers=JSON)
    assert_repeated_key(put, ["body", "report", "title"])

    claim = writer.get("/v1/claims").json()["items"][0]
    patch = b'{"status": "disputed", "notes": "n", "status": "corroborated"}'
    assert_repeated_key(
        writer.patch(f"/v1/claims/{claim['id']}", content=patch, headers=JSON), ["body", "status"]
    )
    merge = b'{"into": "elsewhere", "into": "khabarovsk-workshop"}'
    response = writer.post("/v1/facilities/khabarovsk-workshop/merge", content=merge, headers=JSON)
    assert_repeated_key(response, ["body", "into"])

    assert writer.get("/v1/reports/khabarovsk-workshop").json() == before
    assert writer.get(f"/v1/claims/{claim['id']}").json() == claim
    assert totals(writer) == changes


def test_same_id_with_other_content_is_a_conflict(writer: TestClient) -> None:
    writer.post("/v1/reports", json=bundle())
    before = totals(writer)
    other = with_claim(0, value=45)
    response = writer.post("/v1/reports", json=other)
    assert response.status_code == 409
    assert "PUT /v1/reports/khabarovsk-workshop" in response.json()["detail"]
    assert totals(writer) == before
    assert writer.get("/v1/facilities/khabarovsk-workshop").json()["workers"]["value"] == 40


def test_put_replaces_a_report_and_recomputes_figures(writer: TestClient) -> None:
    created = writer.put("/v1/reports/khabarovsk-workshop", json=bundle())
    assert created.status_code == 201
    assert created.headers["location"] == "/v1/reports/khabarovsk-workshop"
    old = {claim["predicate"]: claim["id"] for claim in created.json()["claims"]}
    replacement = with_claim(0, value=45, approximate=False)
    replacement["claims"] = replacement["claims"][:2]
    response = writer.put("/v1/reports/khabarovsk-workshop", json=replacement)
    assert response.status_code == 200
    assert response.json()["status"] == "replaced"
    assert "location" not in response.headers
    new = {claim["predicate"]: claim["id"] for claim in response.json()["claims"]}
    assert new["working_hours"] == old["working_hours"]  # same content, same id
    assert new["worker_count"] != old["worker_count"]  # another value, another claim
    claims = writer.get("/v1/claims").json()["items"]
    assert {claim["id"] for claim in claims} == set(new.values())
    entry = writer.get("/v1/changes").json()["items"][0]
    assert entry["action"] == "report.replace"
    assert entry["before"]["claim_ids"] == list(old.values())
    assert entry["after"]["claim_ids"] == list(new.values())
    workers = writer.get("/v1/facilities/khabarovsk-workshop").json()["workers"]
    assert (workers["value"], workers["approximate"]) == (45, False)
    same = writer.put("/v1/reports/khabarovsk-workshop", json=replacement)
    assert (same.status_code, same.json()["status"]) == (200, "unchanged")
    mismatch = writer.put("/v1/reports/another-id", json=replacement)
    assert mismatch.status_code == 422
    assert writer.get("/v1/reports/another-id").status_code == 404


def test_a_refused_put_keeps_the_old_report(writer: TestClient) -> None:
    writer.post("/v1/reports", json=bundle())
    claims = writer.get("/v1/claims").json()
    report = writer.get("/v1/reports/khabarovsk-workshop").json()
    facility = writer.get("/v1/facilities/khabarovsk-workshop").json()
    counts = totals(writer)
    refused = with_claim(0, quote="not in the text")
    refused["report"]["title"] = "A new title"
    response = writer.put("/v1/reports/khabarovsk-workshop", json=refused)
    assert response.status_code == 422
    assert writer.get("/v1/claims").json() == claims
    assert writer.get("/v1/reports/khabarovsk-workshop").json() == report
    assert writer.get("/v1/facilities/khabarovsk-workshop").json() == facility
    assert totals(writer) == counts


def test_a_write_refused_after_it_began_leaves_nothing(writer: TestClient) -> None:
    # The report is deleted and its claims rewritten inside the transaction before the race is lost:
    # a claim id already taken by another report is only found after the old version was removed.
    writer.post("/v1/reports", json=bundle())
    other = bundle()
    other["report"]["id"] = "other-report"
    writer.post("/v1/reports", json=other)
    claims = writer.get("/v1/claims", params={"limit": 500}).json()
    report = writer.get("/v1/reports/khabarovsk-workshop").json()
    counts = totals(writer)
    renamed = bundle()
    renamed["report"]["id"] = "other-report"
    renamed["report"]["title"] = "Renamed"
    renamed["facilities"][0]["name"] = "Changed"
    response = writer.put("/v1/reports/other-report", json={**renamed, "claims": renamed["claims"] * 2})
    assert response.status_code == 422
    assert writer.get("/v1/claims", params={"limit": 500}).json() == claims
    assert writer.get("/v1/reports/khabarovsk-workshop").json() == report
    assert totals(writer) == counts


def test_patch_a_claim_status_moves_the_figure(writer: TestClient) -> None:
    writer.post("/v1/reports", json=bundle())
    follow_up = bundle()
    follow_up["report"].update(id="khabarovsk-follow-up", published_on="2024-09-01", body="Now 55 workers.")
    follow_up["claims"] = [
        {
            "facility": "khabarovsk-workshop",
            "predicate": "worker_count",
            "value": 55,
            "unit": "workers",
            "quote": "55 workers",
        }
    ]
    newer = writer.post("/v1/reports", json=follow_up).json()["claims"][0]["id"]
    assert writer.get("/v1/facilities/khabarovsk-workshop").json()["workers"]["claim_id"] == newer

    response = writer.patch(f"/v1/claims/{newer}", json={"status": "disputed", "notes": "Contradicted."})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["notes"]) == ("disputed", "Contradicted.")
    assert writer.get("/v1/facilities/khabarovsk-workshop").json()["workers"]["value"] == 40

    cleared = writer.patch(f"/v1/claims/{newer}", json={"notes": None})
    assert (cleared.json()["status"], cleared.json()["notes"]) == ("disputed", None)
    restored = writer.patch(f"/v1/claims/{newer}", json={"status": "corroborated"})
    assert restored.json()["status"] == "corroborated"
    assert writer.get("/v1/facilities/khabarovsk-workshop").json()["workers"]["value"] == 55


@pytest.mark.parametrize(
    "payload", [{}, {"status": "maybe"}, {"status": None}, {"value": 3}, {"notes": "a\x00b"}, [1]]
)
def test_patch_refuses_what_cannot_be_valid(writer: TestClient, payload: Any) -> None:
    writer.post("/v1/reports", json=bundle())
    claim = writer.get("/v1/claims").json()["items"][0]
    changes_before = totals(writer)["changes"]
    response = writer.patch(f"/v1/claims/{claim['id']}", json=payload)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert writer.get(f"/v1/claims/{claim['id']}").json() == claim
    assert totals(writer)["changes"] == changes_before


def test_patch_an_unknown_claim_is_404(writer: TestClient) -> None:
    assert writer.patch("/v1/claims/clm-00000000000000000000", json={"status": "disputed"}).status_code == 404


def test_delete_a_report_takes_its_claims_and_recomputes(writer: TestClient) -> None:
    writer.post("/v1/reports", json=bundle())
    follow_up = copy.deepcopy(bundle())
    follow_up["report"].update(id="khabarovsk-follow-up", published_on="2024-09-01", body="Now 55 workers.")
    follow_up["claims"] = [
        {
            "facility": "khabarovsk-workshop",
            "predicate": "worker_count",
            "value": 55,
            "unit": "workers",
            "quote": "55 workers",
        }
    ]
    writer.post("/v1/reports", json=follow_up)
    assert writer.get("/v1/facilities/khabarovsk-workshop").json()["workers"]["value"] == 55
    response = writer.delete("/v1/reports/khabarovsk-follow-up")
    assert response.status_code == 204
    assert response.content == b""
    assert writer.get("/v1/reports/khabarovsk-follow-up").status_code == 404
    assert writer.get("/v1/claims", params={"report_id": "khabarovsk-follow-up"}).json()["total"] == 0
    facility = writer.get("/v1/facilities/khabarovsk-workshop").json()
    assert (facility["workers"]["value"], facility["report_count"], facility["claim_count"]) == (40, 1, 3)
    assert writer.delete("/v1/reports/khabarovsk-follow-up").status_code == 404
    writer.delete("/v1/reports/khabarovsk-workshop")
    orphan = writer.get("/v1/facilities/khabarovsk-workshop").json()
    assert (orphan["workers"], orphan["claim_count"], orphan["report_count"]) == (None, 0, 0)


def test_merge_moves_claims_and_redirects_the_old_id(writer: TestClient) -> None:
    writer.post("/v1/reports", json=bundle())
    writer.post("/v1/reports", json=second_facility())
    response = writer.post(
        "/v1/facilities/khabarovsk-sewing-shop/merge", json={"into": "khabarovsk-workshop"}
    )
    assert response.status_code == 200
    survivor = response.json()
    assert survivor["id"] == "khabarovsk-workshop"
    assert survivor["aliases"] == ["Workshop K", "Khabarovsk sewing shop", "khabarovsk-sewing-shop"]
    assert (survivor["claim_count"], survivor["report_count"]) == (4, 2)
    assert writer.get("/v1/facilities/khabarovsk-workshop").json() == survivor
    assert (
        writer.get("/v1/facilities", params={"q": "sewing shop"}).json()["items"][0]["id"]
        == "khabarovsk-workshop"
    )

    for suffix in ("", "/claims?predicate=worker_count", "/workers"):
        moved = writer.get(f"/v1/facilities/khabarovsk-sewing-shop{suffix}", follow_redirects=False)
        assert moved.status_code == 308
        assert moved.headers["location"].endswith(f"/v1/facilities/khabarovsk-workshop{suffix}")
        assert writer.get(f"/v1/facilities/khabarovsk-sewing-shop{suffix}").status_code == 200
    assert writer.get("/v1/facilities").json()["total"] == 1


def test_a_bundle_naming_a_merged_facility_lands_on_the_survivor(writer: TestClient) -> None:
    writer.post("/v1/reports", json=bundle())
    writer.post("/v1/reports", json=second_facility())
    writer.post("/v1/facilities/khabarovsk-sewing-shop/merge", json={"into": "khabarovsk-workshop"})
    third = second_facility()
    third["report"].update(id="third-report", body="Later the Khabarovsk sewing shop has 38 workers still.")
    response = writer.post("/v1/reports", json=third)
    assert response.status_code == 201
    assert [f["id"] for f in response.json()["facilities"]] == ["khabarovsk-workshop"]
    assert response.json()["claims"][0]["facility_id"] == "khabarovsk-workshop"
    assert writer.post("/v1/reports", json=second_facility()).json()["status"] == "unchanged"


@pytest.mark.parametrize(
    ("source", "payload", "status"),
    [
        ("khabarovsk-workshop", {"into": "khabarovsk-workshop"}, 422),
        ("khabarovsk-workshop", {"into": "nowhere"}, 422),
        ("nowhere", {"into": "khabarovsk-workshop"}, 404),
        ("khabarovsk-workshop", {"into": "Not A Slug"}, 422),
        ("khabarovsk-workshop", {}, 422),
        ("khabarovsk-workshop", {"into": "nowhere", "force": True}, 422),
    ],
)
def test_merge_refusals(writer: TestClient, source: str, payload: dict[str, Any], status: int) -> None:
    writer.post("/v1/reports", json=bundle())
    before = totals(writer)
    response = writer.post(f"/v1/facilities/{source}/merge", json=payload)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert totals(writer) == before


def test_the_audit_log_records_every_write(writer: TestClient, key: str) -> None:
    posted = writer.post("/v1/reports", json=bundle()).json()
    claim = writer.get("/v1/claims").json()["items"][0]
    writer.patch(f"/v1/claims/{claim['id']}", json={"status": "disputed"})
    writer.post("/v1/reports", json=second_facility())
    writer.post("/v1/facilities/khabarovsk-sewing-shop/merge", json={"into": "khabarovsk-workshop"})
    writer.delete("/v1/reports/second-report")
    writer.post("/v1/reports", json={**bundle(), "extra": 1})  # refused: not logged
    writer.post("/v1/reports", json=bundle())  # unchanged: not logged

    anonymous = writer.get("/v1/changes", headers={"Authorization": ""})
    assert anonymous.status_code == 200
    log = anonymous.json()
    assert key not in anonymous.text
    assert [(c["action"], c["entity_id"]) for c in log["items"]] == [
        ("report.delete", "second-report"),
        ("facility.merge", "khabarovsk-sewing-shop"),
        ("report.create", "second-report"),
        ("claim.update", claim["id"]),
        ("report.create", "khabarovsk-workshop"),
    ]
    assert {c["key_name"] for c in log["items"]} == {"analyst"}
    patch = log["items"][3]
    assert (patch["before"], patch["after"]) == ({"status": "reported"}, {"status": "disputed"})
    created = log["items"][4]
    assert created["before"] is None
    assert created["after"]["claim_ids"] == [c["id"] for c in posted["claims"]]  # in bundle order
    assert created["after"]["facility_ids"] == ["khabarovsk-workshop"]
    merge = log["items"][1]
    assert merge["before"]["merged"]["id"] == "khabarovsk-sewing-shop"
    assert merge["before"]["into"]["id"] == "khabarovsk-workshop"
    assert merge["after"]["merged_into"] == "khabarovsk-workshop"
    assert "khabarovsk-sewing-shop" in merge["after"]["into"]["aliases"]
    assert log["items"][0]["before"]["id"] == "second-report"
    assert log["items"][0]["after"] is None

    since = log["items"][2]["at"]
    newer = writer.get("/v1/changes", params={"since": since}).json()
    assert [c["id"] for c in newer["items"]] == [c["id"] for c in log["items"][:2]]
    assert writer.get("/v1/changes", params={"since": log["items"][0]["at"]}).json()["items"] == []
    paged = writer.get("/v1/changes", params={"limit": 2}).json()
    assert [c["id"] for c in paged["items"]] == [c["id"] for c in log["items"][:2]]
    rest = writer.get(paged["next"]).json()
    assert [c["id"] for c in rest["items"]] == [c["id"] for c in log["items"][2:4]]
    assert writer.get("/v1/changes", params={"since": "yesterday"}).status_code == 422


def test_a_body_over_the_limit_is_413_and_writes_nothing(writer: TestClient) -> None:
    huge = bundle()
    huge["report"]["body"] = "x" * (6 * 1024 * 1024)
    response = writer.post("/v1/reports", json=huge)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert totals(writer) == EMPTY


def test_a_put_keeps_analysts_corrections_on_unchanged_claims(writer: TestClient) -> None:
    claims = writer.post("/v1/reports", json=bundle()).json()["claims"]
    kept, dropped = claims[0]["id"], claims[2]["id"]
    writer.patch(f"/v1/claims/{kept}", json={"status": "disputed", "notes": "Checked by phone."})
    writer.patch(f"/v1/claims/{dropped}", json={"status": "retracted"})
    replacement = bundle()
    replacement["report"]["title"] = "A workshop in Khabarovsk (corrected title)"
    replacement["claims"][2]["value"] = 25  # another value: another claim, which starts as reported
    assert writer.put("/v1/reports/khabarovsk-workshop", json=replacement).json()["status"] == "replaced"
    assert (
        writer.get(f"/v1/claims/{kept}").json()["status"],
        writer.get(f"/v1/claims/{kept}").json()["notes"],
    ) == (
        "disputed",
        "Checked by phone.",
    )
    assert writer.get(f"/v1/claims/{dropped}").status_code == 404
    assert writer.get("/v1/facilities/khabarovsk-workshop").json()["workers"] is None  # 40 stays disputed
    explicit = copy.deepcopy(replacement)
    explicit["claims"][0]["status"] = "corroborated"
    explicit["report"]["title"] = "Third version"
    writer.put("/v1/reports/khabarovsk-workshop", json=explicit)
    assert writer.get(f"/v1/claims/{kept}").json()["status"] == "corroborated"


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded", "text/plain"])
def test_a_write_body_must_be_json(writer: TestClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = writer.post("/v1/reports", content=b'{"report": {}}', headers=headers)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert "application/json" in response.json()["detail"]
    assert totals(writer) == EMPTY


def test_the_audit_log_exports_as_csv_and_ndjson(writer: TestClient) -> None:
    writer.post("/v1/reports", json=bundle())
    claim = writer.get("/v1/claims").json()["items"][0]
    writer.patch(f"/v1/claims/{claim['id']}", json={"notes": 'a, "quoted" note'})
    listed = writer.get("/v1/changes").json()["items"]
    ndjson = writer.get("/v1/changes", params={"format": "ndjson"})
    assert ndjson.headers["content-type"] == "application/x-ndjson"
    assert [json.loads(line) for line in ndjson.text.splitlines()] == listed
    rows = list(csv.DictReader(io.StringIO(writer.get("/v1/changes", params={"format": "csv"}).text)))
    assert [int(row["id"]) for row in rows] == [change["id"] for change in listed]
    assert json.loads(rows[0]["after"]) == {"notes": 'a, "quoted" note'}
    assert rows[1]["before"] == ""


def test_totals_stay_true_across_pages_when_data_or_filters_change(writer: TestClient) -> None:
    writer.post("/v1/reports", json=bundle())
    first = writer.get("/v1/claims", params={"limit": 1}).json()
    assert first["total"] == 3
    second = writer.get(first["next"]).json()
    assert second["total"] == 3  # carried in the cursor, nothing changed
    writer.post("/v1/reports", json=second_facility())
    third = writer.get(second["next"]).json()
    assert third["total"] == 4  # a write landed: counted again
    cursor = first["next"].split("cursor=")[1]
    narrowed = writer.get(
        "/v1/claims", params={"limit": 1, "cursor": cursor, "predicate": "skill_share"}
    ).json()
    assert narrowed["total"] == 1  # another filter: counted again


@pytest.mark.parametrize(
    ("method", "path", "content", "content_type"),
    [
        ("POST", "/v1/reports", b'{"report": ', "application/json"),
        ("POST", "/v1/reports", b"report=1", "application/x-www-form-urlencoded"),
        ("POST", "/v1/reports?unknown=1", b"{}", "application/json"),
        ("PATCH", "/v1/claims/clm-00000000000000000000", b"not json", "text/plain"),
        ("POST", "/v1/facilities/x/merge", b"", "application/json"),
    ],
)
def test_a_keyless_write_is_401_whatever_else_is_wrong(
    client: TestClient, method: str, path: str, content: bytes, content_type: str
) -> None:
    response = client.request(method, path, content=content, headers={"Content-Type": content_type})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_keyless_requests_to_non_write_paths_keep_their_status(client: TestClient) -> None:
    assert client.post("/v1/claims").status_code == 405
    assert client.post("/v1/nowhere").status_code == 404


def test_a_noop_patch_writes_nothing(writer: TestClient) -> None:
    claim = writer.post("/v1/reports", json=bundle()).json()["claims"][0]
    etag = writer.get("/v1/claims").headers["etag"]
    changes = totals(writer)["changes"]
    response = writer.patch(f"/v1/claims/{claim['id']}", json={"status": "reported", "notes": None})
    assert response.status_code == 200
    assert writer.get("/v1/claims").headers["etag"] == etag
    assert totals(writer)["changes"] == changes


def test_a_merged_id_still_finds_its_claims_and_redirects_a_second_merge(writer: TestClient) -> None:
    writer.post("/v1/reports", json=bundle())
    writer.post("/v1/reports", json=second_facility())
    writer.post("/v1/facilities/khabarovsk-sewing-shop/merge", json={"into": "khabarovsk-workshop"})
    found = writer.get("/v1/claims", params={"facility_id": "khabarovsk-sewing-shop"}).json()
    assert found["total"] == 4
    assert {claim["facility_id"] for claim in found["items"]} == {"khabarovsk-workshop"}
    again = writer.post(
        "/v1/facilities/khabarovsk-sewing-shop/merge",
        json={"into": "khabarovsk-workshop"},
        follow_redirects=False,
    )
    assert again.status_code == 308
    assert again.headers["location"] == "/v1/facilities/khabarovsk-workshop/merge"
    moved = writer.get(
        "/v1/facilities/khabarovsk-sewing-shop", follow_redirects=False, headers={"Host": "evil.example"}
    )
    assert moved.headers["location"] == "/v1/facilities/khabarovsk-workshop"


def test_a_bundle_declaring_another_facility_is_not_the_same_bundle(writer: TestClient) -> None:
    writer.post("/v1/reports", json=bundle())
    more = bundle()
    more["facilities"].append({"id": "khabarovsk-annex", "name": "Workshop annex", "country": "RU"})
    assert writer.post("/v1/reports", json=more).status_code == 409
    replaced = writer.put("/v1/reports/khabarovsk-workshop", json=more)
    assert replaced.json()["status"] == "replaced"
    assert writer.get("/v1/facilities/khabarovsk-annex").status_code == 200


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("report", "publisher"), "P" * 201),
        (("report", "language"), "en-" + "-".join(["abcdefgh"] * 5)),
        (("facility", "kind"), "k" * 51),
        (("facility", "city"), "C" * 201),
        (("claim", "value"), 10**400),
        (("claim", "value"), 2e9),
    ],
)
def test_values_beyond_what_is_stored_are_422(writer: TestClient, where: tuple[str, str], value: Any) -> None:
    data = bundle()
    part, field = where
    target = {"report": data["report"], "facility": data["facilities"][0], "claim": data["claims"][0]}[part]
    target[field] = value
    response = writer.post(
        "/v1/reports", content=json.dumps(data), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert totals(writer) == EMPTY


def test_a_since_beyond_the_calendar_is_422(client: TestClient) -> None:
    for since in ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"):
        assert client.get("/v1/changes", params={"since": since}).status_code == 422


def test_filters_fold_case_in_any_script(writer: TestClient) -> None:
    data = bundle()
    data["facilities"][0]["city"] = "Хабаровск"
    writer.post("/v1/reports", json=data)
    assert writer.get("/v1/facilities", params={"city": "хабаровск"}).json()["total"] == 1
    assert writer.get("/v1/facilities", params={"city": "ХАБАРОВСК"}).json()["total"] == 1


def test_concurrent_writes_keep_figures_true(writer: TestClient) -> None:
    writer.post("/v1/reports", json=bundle())

    def post(index: int) -> int:
        data = bundle()
        data["report"]["id"] = f"parallel-{index}"
        data["report"]["body"] = f"Note {index}: the workshop has {100 + index} workers."
        data["claims"] = [
            {
                "facility": "khabarovsk-workshop",
                "predicate": "worker_count",
                "value": 100 + index,
                "unit": "workers",
                "quote": f"has {100 + index} workers",
            }
        ]
        status: int = writer.post("/v1/reports", json=data).status_code
        return status

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(post, range(12))) == [201] * 12
        same = list(
            pool.map(lambda _: writer.post("/v1/reports", json=second_facility()).status_code, range(6))
        )
    assert sorted(same) == [200] * 5 + [201]
    facility = writer.get("/v1/facilities/khabarovsk-workshop").json()
    claims = writer.get("/v1/claims", params={"facility_id": "khabarovsk-workshop", "limit": 500}).json()
    assert facility["claim_count"] == claims["total"] == 15
    assert facility["report_count"] == 13


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/v1/reports", "GET, HEAD, POST"),
        ("POST", "/v1/reports/some-report", "DELETE, GET, HEAD, PATCH, PUT"),
        ("PUT", "/v1/claims/clm-00000000000000000000", "GET, HEAD, PATCH"),
    ],
)
def test_405_names_every_method_of_the_path(client: TestClient, method: str, path: str, allowed: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert allowed in response.json()["detail"]


def test_public_url_is_where_next_links_and_redirects_point(
    database: Database, engine: Engine, key: str
) -> None:
    settings = database.settings(public_url="https://data.example.org/laborwatch")
    with TestClient(create_app(settings, engine), follow_redirects=False) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        created = client.post("/v1/reports", json=bundle(), headers={"Host": "evil.example"})
        assert (
            created.headers["location"]
            == "https://data.example.org/laborwatch/v1/reports/khabarovsk-workshop"
        )
        client.post("/v1/reports", json=second_facility())
        page = client.get("/v1/claims", params={"limit": 1}, headers={"Host": "evil.example"})
        assert page.json()["next"].startswith("https://data.example.org/laborwatch/v1/claims?")
        assert page.headers["link"].startswith("<https://data.example.org/laborwatch/v1/claims?")
        client.post("/v1/facilities/khabarovsk-sewing-shop/merge", json={"into": "khabarovsk-workshop"})
        moved = client.get("/v1/facilities/khabarovsk-sewing-shop/claims", params={"limit": 1})
        assert moved.headers["location"] == (
            "https://data.example.org/laborwatch/v1/facilities/khabarovsk-workshop/claims?limit=1"
        )


@pytest.mark.parametrize("value", ["data.example.org", "ftp://x.org", "https://x.org/a?b=1", "https://"])
def test_a_public_url_that_is_not_a_base_url_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(database_url="sqlite://", public_url=value)


def _draft_payload(tmp_path: Path) -> str:
    """The YAML draft `laborwatch extract --inline` prints for a text whose outlet it cannot name."""
    text = tmp_path / "construction.txt"
    text.write_bytes((DATA_DIR / "texts" / "vladivostok-ussuriysk-construction.txt").read_bytes())
    return draft_from_file(text, inline=True)


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_draft_is_refused_until_reviewed_and_its_placeholders_filled(
    writer: TestClient, tmp_path: Path, method: str
) -> None:
    draft = _draft_payload(tmp_path)
    report_id = yaml.safe_load(draft)["report"]["id"]
    path = "/v1/reports" if method == "POST" else f"/v1/reports/{report_id}"
    before = totals(writer)

    unreviewed = writer.request(method, path, json=yaml.safe_load(draft))
    assert unreviewed.status_code == 422
    assert unreviewed.headers["content-type"] == "application/problem+json"
    problem = unreviewed.json()
    assert "unreviewed draft from laborwatch extract" in problem["detail"]
    assert "reviewed: true" in problem["detail"]
    assert [error["loc"] for error in problem["errors"]] == [["draft", "reviewed"]]

    reviewed = yaml.safe_load(mark_reviewed(draft))
    assert reviewed["report"]["publisher"] == PLACEHOLDER
    placeholder = writer.request(method, path, json=reviewed)
    assert placeholder.status_code == 422
    assert [error["loc"] for error in placeholder.json()["errors"]] == [["report", "publisher"]]
    assert "placeholder" in placeholder.json()["detail"]
    assert totals(writer) == before

    filled = yaml.safe_load(mark_reviewed(draft).replace(PLACEHOLDER, "Primorye Monitor"))
    accepted = writer.request(method, path, json=filled)
    assert accepted.status_code == 201, accepted.text
    stored = writer.get(f"/v1/reports/{report_id}").json()
    assert stored["publisher"] == "Primorye Monitor"
    assert stored["claim_count"] == len(filled["claims"]) > 0
    del filled["draft"]  # deleting the block instead is the same bundle
    assert writer.post("/v1/reports", json=filled).status_code == 200


def test_a_placeholder_is_refused_in_any_field_even_without_a_draft_mark(writer: TestClient) -> None:
    data = bundle()
    data["facilities"][0]["city"] = PLACEHOLDER
    data["claims"][0]["subject"] = "UNTITLED — fill in"
    response = writer.post("/v1/reports", json=data)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [
        ["facilities", 0, "city"],
        ["claims", 0, "subject"],
    ]
    assert totals(writer) == {"reports": 0, "facilities": 0, "claims": 0, "changes": 0}
