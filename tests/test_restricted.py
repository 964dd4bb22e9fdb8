"""Restricted reports: no withheld text in any public answer, header or log line; figures still count."""

import base64
import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import col
from starlette.routing import Route
from typer.testing import CliRunner

from api.app import ROUTERS, create_app
from api.auth.keys import Role, create_key, revoke_key
from api.cli.main import app as cli
from api.db.engine import make_engine, write_session
from api.db.migrate import migrate
from api.explorer import pages
from api.settings import get_settings
from models import Claim
from tests.conftest import Database
from tests.helpers.bundles import bundle

# Every protected field of the restricted report carries a string of its own, found nowhere else.
BODY = (
    "Field notes zqxbodyonly from a visit. About 123 workers zqxquoteone sew uniforms at the site. "
    "Nobody zqxquotetwo leaves the dormitory at night."
)
CANARIES = {
    "title": "Visit zqxtitle",
    "old_title": "Draft zqxoldtitle",
    "publisher": "zqxpublisher Monitor",
    "url": "https://example.org/zqxurl",
    "source": "a relative zqxsource",
    "contributor": "Zqxperson Name",
    "body": "zqxbodyonly",
    "quote": "zqxquoteone",
    "quote_two": "zqxquotetwo",
    "subject": "the dormitory zqxsubject",
    "attributed_to": "a returnee zqxattributed",
    "notes": "checked zqxnotes",
    "sha256": hashlib.sha256(BODY.encode()).hexdigest(),
}
HIDDEN = "hidden-visit"
SITE = "site-east-7"


def hidden_bundle(access: str, title: str) -> dict[str, Any]:
    """The restricted report's bundle: every protected field a canary, one new neutral facility."""
    return {
        "report": {
            "id": HIDDEN,
            "title": title,
            "publisher": CANARIES["publisher"],
            "url": CANARIES["url"],
            "published_on": "2025-02-01",
            "language": "en",
            "contributors": [{"name": CANARIES["contributor"], "role": "source"}],
            "source": CANARIES["source"],
            "body": BODY,
            "access": access,
        },
        "facilities": [
            {
                "id": SITE,
                "name": "Garment site 7",
                "kind": "factory",
                "sector": "garment",
                "city": "Vladivostok",
                "country": "RU",
                "operator_country": "KP",
                "location": {"lat": 43.1, "lon": 131.9, "precision": "city"},
            }
        ],
        "claims": [
            {
                "facility": SITE,
                "predicate": "worker_count",
                "value": 123,
                "unit": "workers",
                "approximate": True,
                "quote": "About 123 workers zqxquoteone sew uniforms",
                "attributed_to": CANARIES["attributed_to"],
                "evidence": "source_statement",
            },
            {
                "subject": CANARIES["subject"],
                "predicate": "operating_status",
                "value": "closed at night",
                "quote": "Nobody zqxquotetwo leaves the dormitory",
                "evidence": "source_statement",
            },
        ],
    }


class World:
    """The database and keys every test here reads."""

    def __init__(self, client: TestClient, engine: Engine, keys: dict[str, str]) -> None:
        self.client = client
        self.engine = engine
        self.keys = keys

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.keys[who]}"}


@pytest.fixture(scope="module")
def world(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A public report, and a report first stored public then made restricted, with its claim's notes."""
    db = Database(backend, tmp_path_factory.mktemp("restricted"))
    engine = make_engine(db.settings())
    try:
        migrate(engine)
        with write_session(engine) as session:
            keys = {
                "editor": create_key(session, "editor", Role.EDITOR),
                "reader": create_key(session, "reader", Role.READER),
                "gone": create_key(session, "gone", Role.READER),
            }
        with write_session(engine) as session:
            revoke_key(session, "gone")
        keys["wrong"] = "lw_" + "A" * 43
        # The walk with a wrong key presents hundreds of refused keys: lift the limit that would stop it.
        settings = db.settings(rate_limit_auth_failures="100000/minute")
        with TestClient(create_app(settings, engine)) as client:
            editor = {"Authorization": f"Bearer {keys['editor']}"}
            assert client.post("/v1/reports", json=bundle(), headers=editor).status_code == 201
            # First public (its old title is in the change feed), then restricted by PUT.
            public = hidden_bundle("public", CANARIES["old_title"])
            assert client.post("/v1/reports", json=public, headers=editor).status_code == 201
            restricted = hidden_bundle("restricted", CANARIES["title"])
            put = client.put(f"/v1/reports/{HIDDEN}", json=restricted, headers=editor)
            assert put.status_code == 200, put.text
            assert put.json()["report"]["title"] == CANARIES["title"]  # the editor sees it whole
            with engine.connect() as connection:
                claim_id = connection.scalar(
                    select(col(Claim.id)).where(
                        col(Claim.report_id) == HIDDEN, col(Claim.predicate) == "worker_count"
                    )
                )
            patched = client.patch(
                f"/v1/claims/{claim_id}", json={"notes": CANARIES["notes"]}, headers=editor
            )
            assert patched.status_code == 200
            client.headers.clear()
            yield World(client, engine, keys | {"claim": str(claim_id)})
    finally:
        engine.dispose()
        db.drop()


# --- walking every GET operation ---------------------------------------------------------------------


def get_paths(world: World) -> set[str]:
    """Every GET path: the API's routers, the explorer's pages, the documentation pages and OpenAPI."""
    paths: set[str] = set()
    for router in (*ROUTERS, pages.router):
        paths |= {
            route.path
            for route in router.routes
            if isinstance(route, APIRoute) and "GET" in (route.methods or ())
        }
    app_routes = world.client.app.routes  # type: ignore[attr-defined]
    paths |= {
        route.path for route in app_routes if isinstance(route, Route) and "GET" in (route.methods or ())
    }
    document = world.client.get("/openapi.json").json()
    paths |= {path for path, operations in document["paths"].items() if "get" in operations}
    # Webhooks are an admin's, not reads: 401 or 403 to every key of this walk, and their events carry
    # ids only (tests/test_webhooks.py checks the payloads).
    return {path for path in paths if not path.startswith("/v1/webhooks")}


def variants(world: World, path: str) -> list[str]:
    """The URLs to call for one GET path: its ids filled in, every format, every sort (one a page)."""
    filled = (
        path.replace("{report_id}", HIDDEN)
        .replace("{facility_id}", SITE)
        .replace("{claim_id}", world.keys["claim"])
        .replace("{webhook_id}", "wh-none")  # admin-only: 401 or 403 for every key of the walk
    )
    assert "{" not in filled, f"no value for a parameter of {path}"
    urls = [filled]
    document = world.client.get("/openapi.json").json()
    operation = document["paths"].get(path, {}).get("get", {})
    for parameter in operation.get("parameters", []):
        choices = enum_of(document, parameter.get("schema", {}))
        if parameter["name"] == "format" and choices:
            urls += [f"{filled}?format={fmt}" for fmt in choices]
        if parameter["name"] == "sort" and choices:
            urls += [f"{filled}?sort={token}&limit=1" for token in choices]
    return urls


def enum_of(document: dict[str, Any], schema: dict[str, Any]) -> list[str] | None:
    """The values a parameter's schema allows, following `$ref` and `anyOf`."""
    if "$ref" in schema:
        return enum_of(document, document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
    if "enum" in schema:
        return list(schema["enum"])
    for option in schema.get("anyOf", []):
        found = enum_of(document, option)
        if found:
            return found
    return None


def seen_text(response: httpx.Response) -> str:
    """All a client receives (status line, headers, body), with any cursor it could follow decoded."""
    text = "\n".join([str(response.status_code), *(f"{k}: {v}" for k, v in response.headers.items())])
    text += "\n" + response.text
    for found in re.findall(r"cursor=([A-Za-z0-9_%-]+)", text):
        token = found.split("%")[0]
        text += "\n" + base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "replace")
    return text


def canaries_in(text: str) -> list[str]:
    return [name for name, canary in CANARIES.items() if canary.lower() in text.lower()]


def walk(world: World, who: str | None) -> dict[str, Any]:
    """Call every GET variant as `who` (None: no key); the responses by URL."""
    answers = {}
    for path in sorted(get_paths(world)):
        for url in variants(world, path):
            answers[url] = world.client.get(url, headers=world.headers(who))
    return answers


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    """Every line the server logged (not the test client's own), with any cursor in it decoded."""
    server = [record for record in caplog.records if not record.name.startswith(("httpx", "httpcore"))]
    assert server, "the server logged nothing"
    text = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in server)
    for found in re.findall(r"cursor=([A-Za-z0-9_%-]+)", text):
        token = found.split("%")[0]
        text += "\n" + base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "replace")
    return text


def test_no_public_answer_header_or_log_line_holds_a_protected_field(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers = walk(world, None)
    assert len(answers) > 60  # every list in every format and sort, every detail, every page
    for url, response in answers.items():
        assert response.status_code in (200, 404), (url, response.status_code)
        assert canaries_in(seen_text(response)) == [], url
    # The walk reached the restricted report and its claims, and they said what they withhold.
    report = answers[f"/v1/reports/{HIDDEN}"].json()
    assert report["access"] == "restricted"
    assert report["withheld"] == ["body", "contributors", "publisher", "sha256", "source", "title", "url"]
    assert all(report[name] is None for name in report["withheld"])
    claim = answers[f"/v1/claims/{world.keys['claim']}"].json()
    assert claim["withheld"] == ["attributed_to", "notes", "quote", "span", "subject"]
    assert (claim["value"], claim["unit"], claim["facility_id"]) == (123, "workers", SITE)
    assert "withheld" in answers[f"/reports/{HIDDEN}"].text.lower()
    assert canaries_in(log_text(caplog)) == []


def test_a_reader_key_sees_every_protected_field_and_nothing_leaks_to_the_log(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers = walk(world, "reader")
    everything = "\n".join(response.text for response in answers.values())
    assert all(response.status_code in (200, 404) for response in answers.values())
    assert sorted(set(CANARIES) - set(canaries_in(everything))) == []
    assert canaries_in(log_text(caplog)) == []
    report = answers[f"/v1/reports/{HIDDEN}"]
    assert report.json()["withheld"] == []
    assert report.json()["body"] == BODY
    assert "private" in report.headers["cache-control"]


@pytest.mark.parametrize("who", ["wrong", "gone"])
def test_a_wrong_or_revoked_key_on_any_read_is_401(world: World, who: str) -> None:
    answers = walk(world, who)
    for url, response in answers.items():
        assert response.status_code == 401, url
        assert response.headers["content-type"] == "application/problem+json"
        assert canaries_in(seen_text(response)) == [], url


def test_a_reader_key_writes_nothing(world: World) -> None:
    reader = world.headers("reader")
    claim = world.keys["claim"]
    writes = [
        ("POST", "/v1/reports", {"json": bundle(report={**bundle()["report"], "id": "by-a-reader"})}),
        ("PUT", f"/v1/reports/{HIDDEN}", {"json": hidden_bundle("public", "Made public")}),
        ("PATCH", f"/v1/claims/{claim}", {"json": {"status": "disputed"}}),
        ("DELETE", f"/v1/reports/{HIDDEN}", {}),
        ("POST", f"/v1/facilities/{SITE}/merge", {"json": {"into": "khabarovsk-workshop"}}),
    ]
    for method, url, kwargs in writes:
        response = world.client.request(method, url, headers=reader, **kwargs)
        assert response.status_code == 403, (method, url, response.text)
    after = world.client.get(f"/v1/reports/{HIDDEN}", headers=reader).json()
    assert (after["access"], after["title"]) == ("restricted", CANARIES["title"])
    assert world.client.get("/v1/reports/by-a-reader").status_code == 404


def test_restricted_claims_still_give_figures_stats_and_counts(world: World) -> None:
    facility = world.client.get(f"/v1/facilities/{SITE}").json()
    assert facility["workers"]["value"] == 123
    assert facility["workers"]["claim_id"] == world.keys["claim"]
    assert (facility["claim_count"], facility["report_count"]) == (1, 1)
    stats = world.client.get("/v1/stats").json()
    assert stats["reports"] == 2
    assert stats["workers_total"] == 40 + 123
    assert world.client.get("/v1/claims", params={"report_id": HIDDEN}).json()["total"] == 2
    history = world.client.get(f"/v1/facilities/{SITE}/workers").json()["items"]
    assert [(item["value"], item["quote"], item["withheld"]) for item in history] == [(123, None, ["quote"])]


@pytest.mark.parametrize(
    ("path", "word"),
    [("/v1/reports", "zqxbodyonly"), ("/v1/reports", "zqxtitle"), ("/v1/claims", "zqxquoteone")],
)
def test_search_never_matches_withheld_text_without_a_key(world: World, path: str, word: str) -> None:
    public = world.client.get(path, params={"q": word}).json()
    assert public["total"] == 0
    assert public["items"] == []
    full = world.client.get(path, params={"q": word}, headers=world.headers("reader")).json()
    assert full["total"] == 1


def test_public_search_still_finds_public_text(world: World) -> None:
    assert world.client.get("/v1/reports", params={"q": "Khabarovsk"}).json()["total"] == 1
    assert world.client.get("/v1/claims", params={"q": "seamstresses"}).json()["total"] == 1


def test_the_change_feed_withholds_every_version_of_a_restricted_report(world: World) -> None:
    public = world.client.get("/v1/changes").json()["items"]
    about = [entry for entry in public if entry["entity_id"] in (HIDDEN, world.keys["claim"])]
    assert [entry["action"] for entry in about] == ["claim.update", "report.replace", "report.create"]
    replaced = about[1]
    assert replaced["before"]["access"] == "public"
    assert replaced["after"]["access"] == "restricted"
    assert replaced["before"]["title"] is None
    assert "title" in replaced["before"]["withheld"]
    assert about[0]["after"] == {"notes": None, "withheld": ["notes"]}
    full = world.client.get("/v1/changes", headers=world.headers("reader")).json()["items"]
    assert full[0]["after"] == {"notes": CANARIES["notes"]}


def test_etags_differ_by_audience_and_never_revalidate_the_other(world: World) -> None:
    url = f"/v1/reports/{HIDDEN}"
    public = world.client.get(url)
    full = world.client.get(url, headers=world.headers("reader"))
    assert public.headers["etag"] != full.headers["etag"]
    assert "authorization" in public.headers["vary"].lower()
    assert "authorization" in full.headers["vary"].lower()
    assert "private" not in public.headers["cache-control"]
    assert full.headers["cache-control"] == "private, no-cache"
    # A public client holding the full answer's tag gets the public answer, not a 304 (and the reverse).
    crossed = world.client.get(url, headers={"If-None-Match": full.headers["etag"]})
    assert crossed.status_code == 200
    assert crossed.json()["title"] is None
    back = world.client.get(url, headers={**world.headers("reader"), "If-None-Match": public.headers["etag"]})
    assert back.status_code == 200
    assert back.json()["title"] == CANARIES["title"]
    same = world.client.get(url, headers={**world.headers("reader"), "If-None-Match": full.headers["etag"]})
    assert same.status_code == 304
    assert same.headers["cache-control"] == "private, no-cache"
    assert "authorization" in same.headers["vary"].lower()


def test_an_empty_authorization_header_reads_as_the_public(world: World) -> None:
    response = world.client.get(f"/v1/reports/{HIDDEN}", headers={"Authorization": ""})
    assert response.status_code == 200
    assert response.json()["title"] is None


def test_put_makes_a_report_public_again_and_the_feed_says_so(
    database: Database, client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    with write_session(engine) as session:
        editor = {"Authorization": f"Bearer {create_key(session, 'editor', Role.EDITOR)}"}
    restricted = hidden_bundle("restricted", CANARIES["title"])
    assert client.post("/v1/reports", json=restricted, headers=editor).status_code == 201
    assert client.get(f"/v1/reports/{HIDDEN}").json()["title"] is None
    assert client.get("/v1/changes").json()["items"][0]["after"]["title"] is None
    opened = client.put(f"/v1/reports/{HIDDEN}", json=hidden_bundle("public", "Now public"), headers=editor)
    assert opened.status_code == 200
    report = client.get(f"/v1/reports/{HIDDEN}").json()
    assert (report["access"], report["title"], report["withheld"]) == ("public", "Now public", [])
    assert client.get("/v1/claims", params={"q": "zqxquoteone"}).json()["total"] == 1
    entry = client.get("/v1/changes").json()["items"][0]
    assert (entry["action"], entry["after"]["access"]) == ("report.replace", "public")
    # What was said while it was restricted stays withheld in the feed.
    assert entry["before"]["title"] is None


def test_an_unknown_access_is_refused(client: TestClient, engine: Engine) -> None:
    with write_session(engine) as session:
        editor = {"Authorization": f"Bearer {create_key(session, 'editor', Role.EDITOR)}"}
    response = client.post("/v1/reports", json=hidden_bundle("secret", "x"), headers=editor)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"/v1/reports/{HIDDEN}").status_code == 404


def test_keys_create_role_reader_makes_a_key_that_reads_restricted_reports_and_writes_nothing(
    database: Database, client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database.url)
    get_settings.cache_clear()
    try:
        made = CliRunner().invoke(cli, ["keys", "create", "partner", "--role", "reader"])
        listed = CliRunner().invoke(cli, ["keys", "list"]).stdout
    finally:
        get_settings.cache_clear()
    assert made.exit_code == 0, made.output
    assert "reader key 'partner'" in made.output
    assert listed.split("\t")[:2] == ["partner", "reader"]
    reader = {"Authorization": f"Bearer {made.output.splitlines()[-1]}"}
    with write_session(engine) as session:
        editor = {"Authorization": f"Bearer {create_key(session, 'editor', Role.EDITOR)}"}
    assert (
        client.post("/v1/reports", json=hidden_bundle("restricted", "T zqxtitle"), headers=editor).status_code
        == 201
    )
    assert client.get(f"/v1/reports/{HIDDEN}", headers=reader).json()["title"] == "T zqxtitle"
    refused = client.post("/v1/reports", json=bundle(), headers=reader)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/reports/khabarovsk-workshop").status_code == 404


def test_a_reader_following_a_cursor_made_from_a_restricted_title_logs_no_title(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    reader = world.headers("reader")
    first = world.client.get("/v1/reports", params={"sort": "-title", "limit": 1}, headers=reader).json()
    assert first["items"][0]["title"] == CANARIES["title"]
    caplog.set_level(logging.DEBUG)
    second = world.client.get(first["next"], headers=reader)
    assert second.status_code == 200
    assert "cursor=sha256%3A" in log_text(caplog)  # a digest, not the cursor
    assert canaries_in(log_text(caplog)) == []
