"""Rate limits as a client meets them: 429 problem documents with `Retry-After`, and nothing written.

Writes are counted per key and per client address; refused keys per client address only. Clients come
from distinct addresses through a trusted proxy's `X-Forwarded-For` (the proxy's word is believed, a
client's own header is not).
"""

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.auth.keys import Role, create_key
from api.db.engine import write_session
from api.settings import Settings
from tests.conftest import Database
from tests.helpers.bundles import bundle, report_bundle

PROXY = "10.9.9.9"


@pytest.fixture
def keys(engine: Engine) -> dict[str, str]:
    with write_session(engine) as session:
        return {name: create_key(session, name, Role.EDITOR) for name in ("ana", "ben", "cas")}


def tight(database: Database, writes: str = "1000/minute", failures: str = "1000/minute") -> Settings:
    return database.settings(
        rate_limit_writes=writes, rate_limit_auth_failures=failures, trusted_proxies=[f"{PROXY}/32"]
    )


Behind = Callable[..., TestClient]


@pytest.fixture
def behind_proxy(database: Database, engine: Engine) -> Iterator[Behind]:
    """Make a client behind the trusted proxy, on an app with the limits given."""
    with ExitStack() as stack:

        def make(**limits: str) -> TestClient:
            app = create_app(tight(database, **limits), engine)
            return stack.enter_context(TestClient(app, client=(PROXY, 40000)))

        yield make


def send(client: TestClient, key: str, address: str, report_id: str) -> httpx.Response:
    """POST a new report as `key` from `address` (as the trusted proxy reports it)."""
    headers = {"Authorization": f"Bearer {key}", "X-Forwarded-For": address}
    response: httpx.Response = client.post("/v1/reports", json=report_bundle(id=report_id), headers=headers)
    return response


def post(client: TestClient, key: str, address: str, report_id: str) -> int:
    """The status of `send`."""
    return send(client, key, address, report_id).status_code


def stored(client: TestClient) -> list[str]:
    return [report["id"] for report in client.get("/v1/reports").json()["items"]]


def assert_429(client: TestClient, key: str, address: str, report_id: str, window_s: int) -> None:
    response = send(client, key, address, report_id)
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 429
    assert 1 <= int(response.headers["retry-after"]) <= window_s
    assert report_id not in stored(client)


def test_writes_are_limited_per_key(behind_proxy: Behind, keys: dict[str, str]) -> None:
    proxied = behind_proxy(writes="2/minute")
    assert post(proxied, keys["ana"], "192.0.2.1", "r1") == 201
    assert post(proxied, keys["ana"], "192.0.2.2", "r2") == 201
    assert_429(proxied, keys["ana"], "192.0.2.3", "r3", 60)  # a third address: the key is spent
    assert post(proxied, keys["ben"], "192.0.2.4", "r4") == 201  # another key is not
    assert stored(proxied) == ["r1", "r2", "r4"]


def test_writes_are_limited_per_address(behind_proxy: Behind, keys: dict[str, str]) -> None:
    proxied = behind_proxy(writes="2/minute")
    assert post(proxied, keys["ana"], "192.0.2.1", "r1") == 201
    assert post(proxied, keys["ben"], "192.0.2.1", "r2") == 201
    assert_429(proxied, keys["cas"], "192.0.2.1", "r3", 60)  # a third key: the address is spent
    assert post(proxied, keys["cas"], "192.0.2.9", "r4") == 201
    assert stored(proxied) == ["r1", "r2", "r4"]


def test_refused_keys_lock_out_the_address_not_the_key(behind_proxy: Behind, keys: dict[str, str]) -> None:
    proxied = behind_proxy(failures="3/hour")
    attacker = {"X-Forwarded-For": "198.51.100.7"}
    for guess in ("Bearer lw_guess-1", "Bearer lw_guess-2", "Basic YWxhZGRpbjpvcGVu"):
        response = proxied.post("/v1/reports", json=bundle(), headers={**attacker, "Authorization": guess})
        assert response.status_code == 401
    # Over the limit: even a valid key from that address is refused, unlooked-at, until the window frees.
    assert_429(proxied, keys["ana"], "198.51.100.7", "from-attacker", 3600)
    wrong = proxied.post("/v1/reports", json=bundle(), headers={**attacker, "Authorization": "Bearer x"})
    assert wrong.status_code == 429
    # The key's holder elsewhere is not locked out: refused keys are counted by address, never by key.
    assert post(proxied, keys["ana"], "203.0.113.5", "from-holder") == 201
    assert stored(proxied) == ["from-holder"]


def test_a_request_without_a_key_is_not_a_refused_key(behind_proxy: Behind, keys: dict[str, str]) -> None:
    proxied = behind_proxy(failures="3/hour")
    for _ in range(6):
        response = proxied.post("/v1/reports", json=bundle(), headers={"X-Forwarded-For": "192.0.2.50"})
        assert response.status_code == 401
    assert post(proxied, keys["ana"], "192.0.2.50", "after-keyless") == 201


def test_concurrent_guesses_cannot_outrun_the_refused_key_limit(database: Database, engine: Engine) -> None:
    """Once an address has guessed wrong, 60 wrong keys at once look up no more keys than the limit allows."""
    app = create_app(tight(database, failures="5/hour"), engine)

    async def guess(client: httpx.AsyncClient, number: int) -> httpx.Response:
        headers = {"Authorization": f"Bearer lw_guess-{number}", "X-Forwarded-For": "198.51.100.60"}
        return await client.delete(f"/v1/reports/r{number}", headers=headers)

    async def scenario() -> tuple[httpx.Response, list[httpx.Response]]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=(PROXY, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://laborwatch") as client:
                first = await guess(client, -1)
                burst = asyncio.gather(*(guess(client, n) for n in range(60)))
                return first, await asyncio.wait_for(burst, 20)

    first, responses = asyncio.run(scenario())
    assert first.status_code == 401
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {401: 4, 429: 56}
    for response in responses:
        assert response.headers["content-type"] == "application/problem+json"
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) >= 1
    # The guesses are spent: one more guess later is refused unlooked-at.
    with TestClient(app, client=(PROXY, 40000)) as client:
        headers = {"Authorization": "Bearer lw_guess-late", "X-Forwarded-For": "198.51.100.60"}
        assert client.delete("/v1/reports/late", headers=headers).status_code == 429


def test_concurrent_writers_with_valid_keys_are_not_held_back(
    database: Database, engine: Engine, keys: dict[str, str]
) -> None:
    """Many writers in parallel from one address, each with a valid key, all get their answers."""
    app = create_app(tight(database, failures="5/hour"), engine)

    async def dry_run(client: httpx.AsyncClient) -> httpx.Response:
        headers = {"Authorization": f"Bearer {keys['ana']}", "X-Forwarded-For": "198.51.100.61"}
        return await client.post("/v1/reports", params={"dry_run": "true"}, json=bundle(), headers=headers)

    async def scenario() -> list[httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=(PROXY, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://laborwatch") as client:
                return await asyncio.wait_for(asyncio.gather(*(dry_run(client) for _ in range(40))), 30)

    statuses = Counter(response.status_code for response in asyncio.run(scenario()))
    assert statuses == {201: 40}


def test_a_client_cannot_choose_its_address(database: Database, keys: dict[str, str]) -> None:
    """Without the trusted proxy in between, `X-Forwarded-For` is the client's own word: not believed."""
    with TestClient(create_app(tight(database, failures="2/hour")), client=("192.0.2.77", 1)) as client:
        for number in range(2):
            spoofed = {"X-Forwarded-For": f"203.0.113.{number}", "Authorization": "Bearer lw_guess"}
            assert client.post("/v1/reports", json=bundle(), headers=spoofed).status_code == 401
        headers = {"X-Forwarded-For": "203.0.113.99", "Authorization": f"Bearer {keys['ana']}"}
        response = client.post("/v1/reports", json=bundle(), headers=headers)
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) >= 1


def test_the_limits_are_settings_that_must_parse() -> None:
    with pytest.raises(ValueError, match="rate_limit_writes"):
        Settings(rate_limit_writes="lots")
    assert Settings(rate_limit_writes="600/minute;20/second").rate_limit_writes == "600/minute;20/second"
