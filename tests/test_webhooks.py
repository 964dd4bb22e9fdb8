"""Webhooks: registration by admins, signed deliveries to a real receiver, retries, 410, filters, SSRF, order.

The receiver is a real HTTP server on a local port (tests/receiver.py); the app's own delivery loop (started
by its lifespan) sends the events. Signatures are checked with the Standard Webhooks algorithm written
out plainly here, apart from the server's code. Each test runs on SQLite and PostgreSQL.
"""

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.auth.keys import Role, create_key
from api.db.engine import write_session
from api.settings import Settings
from api.webhooks.delivery import Deliverer
from tests.conftest import Database
from tests.helpers.bundles import bundle, dalian_bundle
from tests.receiver import Received, Receiver, receiving

WEBHOOK_KEY = "a test key that seals webhook secrets"
# The first retry's delay (5 s by default), short so that a test sees retries within a second or two.
RETRY_DELAY_S = 0.5


def settings_for(database: Database, **overrides: Any) -> Settings:
    return database.settings(
        webhook_allow_private=True,
        webhook_key=WEBHOOK_KEY,
        webhook_timeout_s=2,
        webhook_retry_delays_s=[RETRY_DELAY_S],
        **overrides,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as listening:
        yield listening


@pytest.fixture
def keys(engine: Engine) -> dict[str, str]:
    with write_session(engine) as session:
        return {"admin": create_key(session, "chief"), "editor": create_key(session, "intern", Role.EDITOR)}


@pytest.fixture
def admin(database: Database, engine: Engine, keys: dict[str, str]) -> Iterator[TestClient]:
    """The app (its delivery loop running) with an admin key, private addresses allowed for the receiver."""
    with TestClient(create_app(settings_for(database), engine)) as client:
        client.headers["Authorization"] = f"Bearer {keys['admin']}"
        yield client


def register(client: TestClient, url: str, **filters: Any) -> dict[str, Any]:
    answer = client.post("/v1/webhooks", json={"url": url, "filters": filters, "description": "test"})
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def verify(secret: str, received: Received) -> bool:
    """The Standard Webhooks check, written plainly: any `v1,` signature of `{id}.{timestamp}.{body}`."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = (
        f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode() + received.body
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [part.split(",", 1)[1] for part in received.headers["webhook-signature"].split(" ")]
    return any(hmac.compare_digest(expected, signature) for signature in given)


def test_the_algorithm_matches_the_specification_s_test_vector() -> None:
    """The vector of the Standard Webhooks specification's reference libraries."""
    from api.webhooks.secrets import signature

    made = signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
        b'{"test": 2432232314}',
    )  # fmt: skip
    assert made == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_an_admin_registers_reads_and_deletes_a_webhook(
    admin: TestClient, receiver: Receiver, engine: Engine, keys: dict[str, str]
) -> None:
    made = register(admin, receiver.url("/ok"), country="ru", action=["report.create"])
    assert made["secret"].startswith("whsec_")
    assert len(base64.b64decode(made["secret"].removeprefix("whsec_"))) == 24
    shown = {key: value for key, value in made.items() if key != "secret"}
    assert shown == {
        "id": made["id"],
        "url": receiver.url("/ok"),
        "filters": {"facility_id": None, "report_id": None, "country": "RU", "action": ["report.create"]},
        "description": "test",
        "active": True,
        "created_at": made["created_at"],
    }
    assert admin.get(f"/v1/webhooks/{made['id']}").json() == shown
    listed = admin.get("/v1/webhooks").json()
    assert listed["items"] == [shown]
    assert listed["total"] == 1
    assert "secret" not in admin.get("/v1/webhooks").text
    with engine.connect() as connection:  # the database holds the secret sealed, not as it was shown
        stored = connection.execute(sa.text("SELECT secret FROM webhook")).scalar_one()
    assert made["secret"] not in stored
    assert made["secret"].removeprefix("whsec_") not in stored
    assert admin.delete(f"/v1/webhooks/{made['id']}").status_code == 204
    assert admin.get(f"/v1/webhooks/{made['id']}").status_code == 404
    assert admin.delete(f"/v1/webhooks/{made['id']}").status_code == 404


def test_webhooks_need_an_admin_key(admin: TestClient, keys: dict[str, str], receiver: Receiver) -> None:
    body = {"url": receiver.url("/ok")}
    anonymous = {"Authorization": ""}
    assert admin.post("/v1/webhooks", json=body, headers=anonymous).status_code == 401
    keyless = admin.get("/v1/webhooks", headers=anonymous)
    assert keyless.status_code == 401
    assert "needs a key" in keyless.json()["detail"]
    assert "writes" not in keyless.json()["detail"]  # a list of webhooks is read, with an admin key
    editor = {"Authorization": f"Bearer {keys['editor']}"}
    assert admin.post("/v1/webhooks", json=body, headers=editor).status_code == 403
    refused = admin.get("/v1/webhooks", headers=editor)
    assert refused.status_code == 403
    assert refused.json()["detail"].endswith("this request needs an admin key.")
    assert admin.get("/v1/webhooks/wh_x/deliveries", headers=editor).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.org/hook"},
        {"url": "https://example.org/hook", "filters": {"colour": "red"}},
        {"url": "https://example.org/hook", "filters": {"country": "RUS"}},
        {"url": "https://example.org/hook", "filters": {"action": ["drop table"]}},
        {"url": "https://example.org/hook", "secret": "whsec_mine"},
        {"url": "https://user:pw@example.org/hook"},
    ],
)
def test_a_bad_registration_is_a_422(admin: TestClient, engine: Engine, body: dict[str, Any]) -> None:
    answer = admin.post("/v1/webhooks", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM webhook")).scalar() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://192.168.0.1/hook",
        "http://224.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_urls_inside_the_network_are_refused(database: Database, engine: Engine, keys: Any, url: str) -> None:
    with TestClient(create_app(database.settings(webhook_key=WEBHOOK_KEY), engine)) as client:
        answer = client.post(
            "/v1/webhooks", json={"url": url}, headers={"Authorization": f"Bearer {keys['admin']}"}
        )
    assert answer.status_code == 422, answer.text
    assert "LABORWATCH_WEBHOOK_ALLOW_PRIVATE" in answer.json()["detail"]


def test_a_change_is_delivered_signed_within_seconds(admin: TestClient, receiver: Receiver) -> None:
    made = register(admin, receiver.url("/ok"))
    started = time.monotonic()
    posted = admin.post("/v1/reports", json=bundle())
    assert posted.status_code == 201
    [got] = receiver.wait_for("/ok", 1, timeout=10)
    assert got.at - started < 10
    assert verify(made["secret"], got)
    assert got.headers["content-type"] == "application/json"
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
    change = admin.get("/v1/changes").json()["items"][0]
    assert got.event == {
        "type": "report.create",
        "change_id": change["id"],
        "at": change["at"],
        "report_id": "khabarovsk-workshop",
        "facility_id": "khabarovsk-workshop",
        "claim_id": None,
    }
    deliveries = wait_for_deliveries(admin, made["id"], 1)
    assert deliveries[0]["status"] == 200
    assert deliveries[0]["error"] is None
    assert deliveries[0]["event"] == got.event
    assert deliveries[0]["attempt"] == 1
    assert admin.get(f"/v1/webhooks/{made['id']}/deliveries").headers["cache-control"] == "no-store"


def wait_for_deliveries(client: TestClient, webhook_id: str, count: int, timeout: float = 15) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        items: list[Any] = client.get(f"/v1/webhooks/{webhook_id}/deliveries").json()["items"]
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.1)


def test_a_500_is_retried_after_the_delay(admin: TestClient, receiver: Receiver) -> None:
    made = register(admin, receiver.url("/fail-once"))
    assert admin.post("/v1/reports", json=bundle()).status_code == 201
    first, second = receiver.wait_for("/fail-once", 2, timeout=30)
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert RETRY_DELAY_S <= second.at - first.at < 30
    deliveries = wait_for_deliveries(admin, made["id"], 2)
    assert [(d["attempt"], d["status"]) for d in deliveries] == [(2, 200), (1, 500)]
    assert deliveries[1]["error"] == "answered 500"


def test_a_410_disables_the_webhook(admin: TestClient, receiver: Receiver) -> None:
    made = register(admin, receiver.url("/gone"))
    assert admin.post("/v1/reports", json=bundle()).status_code == 201
    receiver.wait_for("/gone", 1)
    wait_for_deliveries(admin, made["id"], 1)
    assert admin.get(f"/v1/webhooks/{made['id']}").json()["active"] is False
    register(admin, receiver.url("/ok"))  # a witness: the next change is due to it as it would be to /gone
    assert admin.post("/v1/reports", json=dalian_bundle()).status_code == 201
    receiver.wait_for("/ok", 1)
    time.sleep(1)  # an event to /gone, claimed with the witness's, would have been sent by now
    assert len(receiver.at("/gone")) == 1


def test_a_redirect_is_not_followed(admin: TestClient, receiver: Receiver) -> None:
    made = register(admin, receiver.url("/redirect"))
    assert admin.post("/v1/reports", json=bundle()).status_code == 201
    [attempt] = wait_for_deliveries(admin, made["id"], 1)
    assert attempt["status"] == 302
    assert "redirects are not followed" in attempt["error"]
    assert receiver.at("/ok") == []


def test_each_webhook_gets_only_the_changes_its_filters_match(admin: TestClient, receiver: Receiver) -> None:
    register(admin, receiver.url("/ok?all"))
    register(admin, receiver.url("/ok?cn"), country="CN")
    register(admin, receiver.url("/ok?claims"), action=["claim.update"])
    register(admin, receiver.url("/ok?khabarovsk"), facility_id="khabarovsk-workshop")
    posted = admin.post("/v1/reports", json=bundle()).json()
    assert admin.post("/v1/reports", json=dalian_bundle()).status_code == 201
    claim_id = posted["claims"][0]["id"]
    assert admin.patch(f"/v1/claims/{claim_id}", json={"status": "disputed"}).status_code == 200
    everything = receiver.wait_for("/ok?all", 3)
    assert [r.event["type"] for r in everything] == ["report.create", "report.create", "claim.update"]
    assert [r.event["report_id"] for r in receiver.wait_for("/ok?cn", 1)] == ["dalian-fish-plant"]
    claims = receiver.wait_for("/ok?claims", 1)
    assert [(r.event["claim_id"], r.event["report_id"]) for r in claims] == [
        (claim_id, "khabarovsk-workshop")
    ]
    khabarovsk = receiver.wait_for("/ok?khabarovsk", 2)
    assert [r.event["type"] for r in khabarovsk] == ["report.create", "claim.update"]
    time.sleep(1)  # nothing more arrives
    assert [len(receiver.at(p)) for p in ("/ok?all", "/ok?cn", "/ok?claims", "/ok?khabarovsk")] == [
        3,
        1,
        1,
        2,
    ]


def test_events_arrive_in_change_order(admin: TestClient, receiver: Receiver) -> None:
    register(admin, receiver.url("/fail-once"))
    for number in range(4):
        posted = admin.post("/v1/reports", json=dalian_bundle(id=f"dalian-{number}"))
        assert posted.status_code == 201, posted.text
    got = receiver.wait_for("/fail-once", 8, timeout=60)
    change_ids = [r.event["change_id"] for r in got]
    # Each event is refused once then accepted, and the next waits for it: 1, 1, 2, 2, 3, 3, 4, 4.
    assert change_ids == sorted(change_ids)
    assert len(set(change_ids)) == 4


def test_a_receiver_that_hangs_does_not_hold_up_another(admin: TestClient, receiver: Receiver) -> None:
    register(admin, receiver.url("/slow"))
    register(admin, receiver.url("/ok"))
    started = time.monotonic()
    assert admin.post("/v1/reports", json=bundle()).status_code == 201
    receiver.wait_for("/slow", 1)
    receiver.wait_for("/ok", 1, timeout=5)
    assert admin.post("/v1/reports", json=dalian_bundle()).status_code == 201
    receiver.wait_for("/ok", 2, timeout=5)
    assert time.monotonic() - started < 10  # while /slow holds its first request for 30 s
    assert len(receiver.at("/slow")) == 1  # its second event waits for the first


def test_a_rotated_secret_signs_beside_the_old_one(admin: TestClient, receiver: Receiver) -> None:
    made = register(admin, receiver.url("/ok"))
    rotated = admin.post(f"/v1/webhooks/{made['id']}/rotate")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != made["secret"]
    assert new.startswith("whsec_")
    assert admin.post("/v1/reports", json=bundle()).status_code == 201
    [got] = receiver.wait_for("/ok", 1)
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert verify(made["secret"], got)
    assert verify(new, got)
    assert not verify("whsec_" + base64.b64encode(b"x" * 24).decode(), got)
    assert admin.post("/v1/webhooks/wh_nothing/rotate").status_code == 404


def test_delivery_checks_the_address_again(
    database: Database, engine: Engine, keys: Any, receiver: Receiver
) -> None:
    """Registered where private addresses were allowed, delivered where they are not: refused, recorded."""
    with TestClient(create_app(settings_for(database, webhook_delivery=False), engine)) as client:
        client.headers["Authorization"] = f"Bearer {keys['admin']}"
        made = register(client, receiver.url("/ok"))
        assert client.post("/v1/reports", json=bundle()).status_code == 201
        strict = Deliverer(engine, database.settings(webhook_key=WEBHOOK_KEY))
        try:
            [event] = strict.claim(5)
            assert strict.deliver(event) is None
        finally:
            strict.stop()
        [attempt] = client.get(f"/v1/webhooks/{made['id']}/deliveries").json()["items"]
    assert attempt["status"] is None
    assert attempt["error"].startswith("refused: ")
    assert "loopback" in attempt["error"]
    assert receiver.received == []


def test_a_database_dump_alone_cannot_sign(
    database: Database, engine: Engine, keys: Any, receiver: Receiver
) -> None:
    with TestClient(create_app(settings_for(database, webhook_delivery=False), engine)) as client:
        client.headers["Authorization"] = f"Bearer {keys['admin']}"
        made = register(client, receiver.url("/ok"))
        assert client.post("/v1/reports", json=bundle()).status_code == 201
        other = Deliverer(engine, database.settings(webhook_allow_private=True, webhook_key="another key"))
        try:
            [event] = other.claim(5)
            other.deliver(event)
        finally:
            other.stop()
        [attempt] = client.get(f"/v1/webhooks/{made['id']}/deliveries").json()["items"]
    assert "does not open with this LABORWATCH_WEBHOOK_KEY" in attempt["error"]
    assert receiver.received == []
