"""A client generated from our OpenAPI document with openapi-python-client, used against a served app.

The generator runs once per session, offline (its Python API, no post-hooks), into a temporary folder;
the generated package is imported from there and talks HTTP to uvicorn on a real socket.
"""

import importlib
import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType

from api.app import create_app
from api.auth.keys import create_key
from api.db.engine import write_session
from api.settings import Settings
from tests.conftest import CORPUS_SOURCES, loaded_database
from tests.helpers.bundles import bundle
from tests.served import serving

PACKAGE = "laborwatch_client"


class Generated:
    """The generated package's modules, by the names a client author would import."""

    def __init__(self) -> None:
        self.client = importlib.import_module(f"{PACKAGE}.client")
        self.models = importlib.import_module(f"{PACKAGE}.models")

    def operation(self, tag: str, operation_id: str) -> ModuleType:
        """The module of one operation: `operation("facilities", "list_facilities").sync(...)`."""
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{operation_id}")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    folder = tmp_path_factory.mktemp("generated")
    document = folder / "openapi.json"
    document.write_text(json.dumps(create_app(Settings(database_url="sqlite://")).openapi()))
    config = Config.from_sources(
        # No formatter run: nothing but the generator itself. Line-delimited JSON, which only the FtM
        # export answers alone, and the Atom feed are read as bytes, as docs/clients.md tells client
        # authors to configure.
        ConfigFile(
            post_hooks=[],
            content_type_overrides={
                "application/x-ndjson": "application/octet-stream",
                "application/atom+xml": "application/octet-stream",
            },
        ),
        MetaType.NONE,
        document,
        "utf-8",
        overwrite=True,
        output_path=folder / PACKAGE,
    )
    problems = generate(config=config)
    assert not problems, [f"{problem.header}: {problem.detail}" for problem in problems]
    sys.path.insert(0, str(folder))
    try:
        yield Generated()
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def served(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The base URL of the app served over the test corpus, and an editor's write key."""
    with loaded_database(backend, tmp_path_factory.mktemp("served"), *CORPUS_SOURCES) as (db, engine):
        with write_session(engine) as session:
            key = create_key(session, "generated-client")
        with serving(create_app(db.settings(), engine)) as port:
            yield f"http://127.0.0.1:{port}", key


def raw(base_url: str, path: str, **params: Any) -> Any:
    """The JSON of a GET, without the generated client, to compare with what it parsed."""
    return httpx.get(base_url + path, params=params).raise_for_status().json()


def test_list_and_follow_next_through_every_page(generated: Generated, served: tuple[str, str]) -> None:
    base_url, _ = served
    list_facilities = generated.operation("facilities", "list_facilities")
    with generated.client.Client(base_url=base_url, raise_on_unexpected_status=True) as client:
        page = list_facilities.sync(client=client, limit=2)
        assert isinstance(page, generated.models.FacilityPage)
        total = page.total
        ids = [facility.id for facility in page.items]
        while page.next_ is not None:
            cursor = parse_qs(urlsplit(page.next_).query)["cursor"][0]
            page = list_facilities.sync(client=client, limit=2, cursor=cursor)
            assert isinstance(page, generated.models.FacilityPage), page
            ids += [facility.id for facility in page.items]
        newest = list_facilities.sync(client=client, limit=3, sort=generated.models.FacilitySort("-id"))
        # The generator parses a 200 as its first media type (JSON): exports go through its httpx client.
        exported = client.get_httpx_client().get("/v1/facilities", params={"format": "csv"})
    everything = raw(base_url, "/v1/facilities", limit=500)
    assert total == everything["total"] > 2
    assert ids == [facility["id"] for facility in everything["items"]]
    assert [facility.id for facility in newest.items] == sorted(ids, reverse=True)[:3]
    assert exported.headers["content-type"].startswith("text/csv")
    assert [row.split(",")[0] for row in exported.text.splitlines()[1:]] == ids


def test_fetch_one_item_as_the_server_sent_it(generated: Generated, served: tuple[str, str]) -> None:
    base_url, _ = served
    get_facility = generated.operation("facilities", "get_facility")
    facility_id = raw(base_url, "/v1/facilities", limit=1)["items"][0]["id"]
    report_id = raw(base_url, "/v1/reports", limit=1)["items"][0]["id"]
    with generated.client.Client(base_url=base_url) as client:
        facility = get_facility.sync(client=client, facility_id=facility_id)
        report = generated.operation("reports", "get_report").sync(client=client, report_id=report_id)
        missing = get_facility.sync(client=client, facility_id="no-such-place")
    assert isinstance(facility, generated.models.FacilityPublic)
    assert facility.to_dict() == raw(base_url, f"/v1/facilities/{facility_id}")
    assert isinstance(report, generated.models.ReportDetail)
    assert report.to_dict() == raw(base_url, f"/v1/reports/{report_id}")
    assert isinstance(missing, generated.models.Problem)
    assert missing.status == 404


def test_write_with_a_key_then_read_it_back(generated: Generated, served: tuple[str, str]) -> None:
    base_url, key = served
    create_report = generated.operation("reports", "create_report")
    payload = generated.models.Bundle.from_dict(
        bundle(report={**bundle()["report"], "id": "via-generated-client"})
    )
    with generated.client.AuthenticatedClient(base_url=base_url, token="lw_not-a-key") as stranger:
        refused = create_report.sync_detailed(client=stranger, body=payload)
    assert refused.status_code == 401
    assert isinstance(refused.parsed, generated.models.Problem)
    assert raw(base_url, "/v1/reports", q="via-generated-client")["total"] == 0

    with generated.client.AuthenticatedClient(base_url=base_url, token=key) as writer:
        created = create_report.sync_detailed(client=writer, body=payload)
        assert created.status_code == 201, created.content
        assert isinstance(created.parsed, generated.models.WriteResult)
        claim_id = created.parsed.claims[0].id
        patch = generated.models.ClaimPatch.from_dict({"status": "disputed", "notes": "checked by phone"})
        patched = generated.operation("claims", "patch_claim").sync(
            client=writer, claim_id=claim_id, body=patch
        )
    assert created.parsed.report.id == "via-generated-client"
    assert created.headers["location"] == "/v1/reports/via-generated-client"
    assert isinstance(patched, generated.models.ClaimPublic)
    assert patched.status == generated.models.Status("disputed")

    with generated.client.Client(base_url=base_url) as reader:
        stored = generated.operation("reports", "get_report").sync(
            client=reader, report_id="via-generated-client"
        )
        claims = generated.operation("reports", "list_report_claims").sync(
            client=reader, report_id="via-generated-client"
        )
    assert stored.to_dict() == created.parsed.report.to_dict()
    assert [claim.id for claim in claims.items] == sorted(claim.id for claim in created.parsed.claims)
    assert raw(base_url, f"/v1/claims/{claim_id}")["status"] == "disputed"


def test_the_claim_filters_take_plain_strings_alike(generated: Generated, served: tuple[str, str]) -> None:
    base_url, _ = served
    list_claims = generated.operation("claims", "list_claims")
    # As docs/clients.md writes it, following redirects (merged ids answer 308).
    with generated.client.Client(base_url=base_url, follow_redirects=True) as client:
        page = list_claims.sync(client=client, status=["reported"], predicate=["worker_count"], limit=500)
        refused = list_claims.sync_detailed(client=client, status=["rumoured"])
    assert isinstance(page, generated.models.ClaimPage), page
    expected = raw(base_url, "/v1/claims", status="reported", predicate="worker_count", limit=500)
    assert [claim.id for claim in page.items] == [claim["id"] for claim in expected["items"]]
    assert page.items
    assert {(claim.status, claim.predicate) for claim in page.items} == {
        (generated.models.Status("reported"), "worker_count")
    }
    assert refused.status_code == 422
