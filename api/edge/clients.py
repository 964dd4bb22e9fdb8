"""Who a request comes from: the client address that per-client limits count by."""

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from starlette.datastructures import Headers
from starlette.types import Scope

Network = IPv4Network | IPv6Network


@lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ip_network(entry, strict=False) for entry in trusted)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_address(scope: Scope, trusted_proxies: list[str]) -> str:
    """The address of the client a request comes from, as limits per client count it.

    The connection's peer, unless that peer is one of `trusted_proxies`: then the right-most address of
    `X-Forwarded-For` that is not itself a trusted proxy (what the nearest untrusted hop said). A client
    cannot pick its own address by sending the header, since only the proxies' word is taken.
    """
    peer = scope.get("client")
    address = peer[0] if peer else "unknown"
    networks = _networks(tuple(trusted_proxies))
    if not networks or not _is_trusted(address, networks):
        return address
    forwarded = Headers(scope=scope).getlist("x-forwarded-for")
    hops = [hop.strip() for value in forwarded for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop
    return hops[0] if hops else address


# Where the outermost middleware (`api.requestlog`) keeps the request's client address in the scope's state.
CLIENT_STATE_KEY = "client_address"


def client_of(scope: Scope, trusted_proxies: list[str]) -> str:
    """The client address of a request, computed once per request and kept in `scope["state"]`.

    The first caller (the request log middleware, outermost) computes it with `client_address` and keeps
    it; the others (authentication, export admission) read it. An app served without that middleware (a
    test's) still gets it computed here.
    """
    state = scope.setdefault("state", {})
    address = state.get(CLIENT_STATE_KEY)
    if not isinstance(address, str):
        address = client_address(scope, trusted_proxies)
        state[CLIENT_STATE_KEY] = address
    return address
