"""The client address per-client limits count by: the peer, or a trusted proxy's X-Forwarded-For."""

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.edge.clients import CLIENT_STATE_KEY, client_address, client_of
from api.settings import Settings


def scope(peer: str, *forwarded: str) -> dict[str, object]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"type": "http", "client": (peer, 40000), "headers": headers}


def test_without_trusted_proxies_the_peer_is_the_client_whatever_it_forwards() -> None:
    assert client_address(scope("203.0.113.9", "198.51.100.1"), []) == "203.0.113.9"


def test_an_untrusted_peer_cannot_choose_its_address() -> None:
    assert client_address(scope("203.0.113.9", "198.51.100.1"), ["10.0.0.0/8"]) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client() -> None:
    # The client put a made-up address first; the proxy appended the address it saw.
    request = scope("10.0.0.2", "6.6.6.6, 198.51.100.7", "10.0.0.3")
    assert client_address(request, ["10.0.0.0/8"]) == "198.51.100.7"


def test_a_trusted_proxy_without_the_header_is_the_client() -> None:
    assert client_address(scope("10.0.0.2"), ["10.0.0.2"]) == "10.0.0.2"


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    with pytest.raises(ValidationError, match="nope"):
        Settings(trusted_proxies=["nope"])


def test_the_address_is_computed_once_per_request_and_kept_in_its_state() -> None:
    request = scope("10.0.0.2", "198.51.100.7")
    assert client_of(request, ["10.0.0.0/8"]) == "198.51.100.7"
    assert request["state"] == {CLIENT_STATE_KEY: "198.51.100.7"}
    # Read back from the state: later callers (auth, export admission) do not compute it again.
    request["state"][CLIENT_STATE_KEY] = "192.0.2.1"
    assert client_of(request, ["10.0.0.0/8"]) == "192.0.2.1"


def test_without_the_request_log_middleware_the_address_is_still_found() -> None:
    app = FastAPI()

    @app.get("/who")
    async def who(request: Request) -> dict[str, str]:
        return {"client": client_of(request.scope, [])}

    with TestClient(app) as client:
        assert client.get("/who").json() == {"client": "testclient"}
