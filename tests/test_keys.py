"""Keys and roles as a client meets them, walked over the route table so a new write route cannot slip by.

Every write route refuses a missing, malformed, wrong and revoked key with 401; delete and merge refuse an
editor's key with 403; each refusal leaves everything as it was. The OpenAPI document declares the bearer
scheme on every write.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.auth.keys import WRITE_METHODS, Role, create_key, key_digest, revoke_key
from api.db.engine import make_engine, write_session
from api.db.migrate import alembic_config
from tests.conftest import Database
from tests.helpers.bundles import bundle, report_bundle, second_facility

# The write routes of contract v1.1; the walk must find each of them (and would find any other).
KNOWN_WRITES = {
    ("POST", "/v1/reports"),
    ("PUT", "/v1/reports/{report_id}"),
    ("DELETE", "/v1/reports/{report_id}"),
    ("PATCH", "/v1/claims/{claim_id}"),
    ("POST", "/v1/facilities/{facility_id}/merge"),
}


def admin_only(method: str, path: str) -> bool:
    """The contract's rule: deleting, merging, webhooks need an admin; adding, replacing, correcting not."""
    return method == "DELETE" or path.endswith("/merge") or path.startswith("/v1/webhooks")


@pytest.fixture
def keys(engine: Engine) -> dict[str, str]:
    """An admin, an editor and a revoked key (named so)."""
    with write_session(engine) as session:
        made = {
            "admin": create_key(session, "chief"),
            "editor": create_key(session, "intern", Role.EDITOR),
            "revoked": create_key(session, "former", Role.ADMIN),
        }
    with write_session(engine) as session:
        revoke_key(session, "former")
    return made


@pytest.fixture
def app(database: Database, engine: Engine) -> FastAPI:
    """The app, with refused keys not rate limited (the walk presents many)."""
    return create_app(database.settings(rate_limit_auth_failures="1000/minute"), engine)


@pytest.fixture
def stocked(app: FastAPI, keys: dict[str, str]) -> Iterator[TestClient]:
    """A client on two reports and their facilities."""
    with TestClient(app) as client:
        admin = {"Authorization": f"Bearer {keys['admin']}"}
        assert client.post("/v1/reports", json=bundle(), headers=admin).status_code == 201
        assert client.post("/v1/reports", json=second_facility(), headers=admin).status_code == 201
        yield client


def everything(client: TestClient) -> dict[str, Any]:
    """All a reader can see: every list in full, and the audit log."""
    return {
        kind: client.get(f"/v1/{kind}", params={"limit": 500}).json()["items"]
        for kind in ("reports", "facilities", "claims", "changes")
    }


def write_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the app that writes, from its route table."""
    found = [
        (method, str(context.path))
        for context in iter_route_contexts(app.routes)  # included routers, walked down to their routes
        if isinstance(context.original_route, APIRoute)
        for method in sorted(context.methods or ())
        if method in WRITE_METHODS
    ]
    assert set(found) >= KNOWN_WRITES, "the walk missed a known write route"
    return found


def request_for(client: TestClient, method: str, path: str) -> tuple[str, dict[str, Any] | None]:
    """A concrete URL for a route's path, on stored data, and a body that would be written if allowed."""
    claim_id = client.get("/v1/claims", params={"report_id": "khabarovsk-workshop"}).json()["items"][0]["id"]
    url = path.format(
        report_id="khabarovsk-workshop",
        claim_id=claim_id,
        facility_id="khabarovsk-sewing-shop",
        webhook_id="wh_x",
    )
    bodies: dict[tuple[str, str], dict[str, Any] | None] = {
        ("POST", "/v1/reports"): report_bundle(id="a-new-report"),
        ("PUT", "/v1/reports/{report_id}"): report_bundle(title="Retitled"),
        ("DELETE", "/v1/reports/{report_id}"): None,
        ("PATCH", "/v1/claims/{claim_id}"): {"status": "retracted", "notes": "walked"},
        ("POST", "/v1/facilities/{facility_id}/merge"): {"into": "khabarovsk-workshop"},
        ("POST", "/v1/webhooks"): {"url": "https://example.org/hook"},
    }
    return url, bodies.get((method, path), {})


BAD_CREDENTIALS = ["missing", "Basic YWxhZGRpbjpvcGVu", "Bearer", "Bearer lw_wrong-key", "revoked"]


def test_every_write_route_refuses_bad_keys_and_editors_where_it_should(
    app: FastAPI, stocked: TestClient, keys: dict[str, str]
) -> None:
    before = everything(stocked)
    routes = write_routes(app)
    for method, path in routes:
        url, body = request_for(stocked, method, path)
        for credential in BAD_CREDENTIALS:
            headers = {}
            if credential == "revoked":
                headers["Authorization"] = f"Bearer {keys['revoked']}"
            elif credential != "missing":
                headers["Authorization"] = credential
            response = stocked.request(method, url, json=body, headers=headers)
            where = f"{method} {path} with {credential}"
            assert response.status_code == 401, where
            assert response.headers["content-type"] == "application/problem+json", where
            assert response.json()["status"] == 401, where
            assert response.headers["www-authenticate"].startswith("Bearer"), where
            assert everything(stocked) == before, where
        if admin_only(method, path):
            editor = {"Authorization": f"Bearer {keys['editor']}"}
            response = stocked.request(method, url, json=body, headers=editor)
            assert response.status_code == 403, f"{method} {path}"
            assert response.headers["content-type"] == "application/problem+json"
            assert "admin" in response.json()["detail"]
            # Refused before the body is read: a body the route would refuse (415) changes nothing.
            garbled = {**editor, "Content-Type": "text/plain"}
            assert stocked.request(method, url, content=b"{", headers=garbled).status_code == 403
            assert everything(stocked) == before, f"{method} {path} by an editor"
    assert sum(admin_only(method, path) for method, path in routes) >= 2


def test_openapi_declares_the_bearer_scheme_on_every_write(app: FastAPI, stocked: TestClient) -> None:
    spec = stocked.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["writeKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for method, path in write_routes(app):
        operation = spec["paths"][path][method.lower()]
        where = f"{method} {path}"
        assert len(operation["security"]) == 1, where
        roles = operation["security"][0]["writeKey"]
        assert roles == (["admin"] if admin_only(method, path) else []), where
        declared = set(operation["responses"])
        assert {"401", "429", "503"} <= declared, where
        assert "403" in declared, where  # a reader key writes nothing; an editor key deletes nothing
        assert "Retry-After" in operation["responses"]["429"]["headers"], where
    for path, path_item in spec["paths"].items():
        if "get" not in path_item:
            continue
        if path.startswith("/v1/webhooks"):  # admin keys only: webhook URLs and deliveries are not public
            assert {} not in path_item["get"]["security"], path
        else:  # a read may send a key (restricted reports), never needs one
            assert path_item["get"]["security"] == [{}, {"writeKey": []}], path
            assert {"401", "429"} <= set(path_item["get"]["responses"]), path


def test_an_editor_adds_replaces_and_corrects(stocked: TestClient, keys: dict[str, str]) -> None:
    stocked.headers["Authorization"] = f"Bearer {keys['editor']}"
    added = stocked.post("/v1/reports", json=report_bundle(id="by-editor"))
    assert added.status_code == 201
    replaced = stocked.put("/v1/reports/by-editor", json=report_bundle(id="by-editor", title="New"))
    assert replaced.status_code == 200
    claim = added.json()["claims"][0]["id"]
    assert stocked.patch(f"/v1/claims/{claim}", json={"status": "disputed"}).status_code == 200
    names = {change["key_name"] for change in stocked.get("/v1/changes").json()["items"][:3]}
    assert names == {"intern"}
    assert stocked.delete("/v1/reports/by-editor").status_code == 403
    assert stocked.get("/v1/reports/by-editor").status_code == 200


def test_an_admin_also_deletes_and_merges(stocked: TestClient, keys: dict[str, str]) -> None:
    stocked.headers["Authorization"] = f"Bearer {keys['admin']}"
    merged = stocked.post("/v1/facilities/khabarovsk-sewing-shop/merge", json={"into": "khabarovsk-workshop"})
    assert merged.status_code == 200
    assert stocked.delete("/v1/reports/second-report").status_code == 204
    assert stocked.get("/v1/reports/second-report").status_code == 404


def test_keys_made_before_roles_are_admins(database: Database) -> None:
    engine = make_engine(database.settings())
    config = alembic_config(database.url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0005")
            connection.execute(
                sa.text("INSERT INTO api_key (name, key_sha256, created_at) VALUES ('old', :digest, :at)"),
                {"digest": key_digest("lw_from-before-roles"), "at": "2026-01-01T00:00:00+00:00"},
            )
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT role FROM api_key")).scalar_one() == "admin"
        with TestClient(create_app(database.settings(), engine)) as client:
            client.headers["Authorization"] = "Bearer lw_from-before-roles"
            assert client.post("/v1/reports", json=bundle()).status_code == 201
            assert client.delete("/v1/reports/khabarovsk-workshop").status_code == 204
        with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
            connection.execute(sa.text("UPDATE api_key SET role = 'owner'"))
    finally:
        engine.dispose()
