"""Admitting a write before anything reads the request: the key, its role and the write limits."""

from collections.abc import Callable, Sequence

from fastapi.routing import APIRoute
from sqlalchemy import Engine
from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth.access import Audience, audience
from api.auth.keys import WRITE_METHODS, Principal, Role, authenticate, check_role
from api.db.engine import read_session
from api.edge.clients import client_of
from api.edge.keylookup import admitted, look_up_key
from api.edge.limits import RateLimits
from api.errors import (
    TooManyRequests,
)


def route_for(routes: Sequence[tuple[APIRoute, Role]], scope: Scope) -> tuple[APIRoute, Role] | None:
    """The write route (and its role) that a request would reach, or None (Starlette's public `matches`)."""
    for route, role in routes:
        if route.matches(scope)[0] is Match.FULL:
            return route, role
    return None


class WriteKeyMiddleware:
    """Admit or refuse a write before anything reads the request, so a keyless write is always a 401.

    Only requests that reach a write route are checked (an unknown path stays a 404, a wrong method a
    405). In order: an address over the failed-key limit is 429 (its key is not even looked at, so
    guessing cannot go on; keys being looked up count against the limit, so concurrent guesses cannot
    outrun it); a missing, malformed, unknown or revoked key is 401 (counted against the
    address when a key was presented); a role without the right is 403; a key or address over the write
    limit is 429. A database outage meanwhile is 503. The key is left in the request state for the route.
    """

    def __init__(
        self,
        app: ASGIApp,
        routes: Sequence[tuple[APIRoute, Role]],
        engine: Callable[[], Engine],
        limits: RateLimits,
        trusted_proxies: list[str],
    ) -> None:
        self.app = app
        self.routes = routes
        self.engine = engine
        self.limits = limits
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._write_route(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        principal = await admitted(self._admit(scope, found[1]), scope, receive, send)
        if principal is None:
            return
        scope.setdefault("state", {})["principal"] = principal
        # Every role that may write may read restricted reports: a write's answer shows them whole.
        with audience(Audience.FULL):
            await self.app(scope, receive, send)

    def _write_route(self, scope: Scope) -> tuple[APIRoute, Role] | None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            return None
        return route_for(self.routes, scope)

    async def _admit(self, scope: Scope, needed: Role) -> Principal:
        address = client_of(scope, self.trusted_proxies)
        header = Headers(scope=scope).get("authorization")
        principal = await look_up_key(self.limits, address, header, self._authenticate)
        check_role(principal, needed)
        wait = self.limits.take_write(principal.name, address)
        if wait is not None:
            raise TooManyRequests(
                f"Too many writes from this key or address; try again in {wait} s.", retry_after=wait
            )
        return principal

    def _authenticate(self, header: str | None) -> Principal:
        with read_session(self.engine()) as session:
            return authenticate(session, header)
