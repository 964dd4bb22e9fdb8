"""Who a read is for: a GET or HEAD may send a key; a valid one sees restricted reports, a wrong one is 401.

Reads need no key. A read that sends `Authorization` must send an active key of any role (`reader`,
`editor`, `admin`): it is then answered for the full audience (`api.auth.access`); a malformed, unknown or
revoked key is a 401, never a silent public answer. Refused keys count against the address as on writes
(`api.edge.limits.RateLimits`), so reads cannot be used to guess keys. The audience is left in the
request state (`audience`), where the ETag middleware puts it into the tag.
"""

from collections.abc import Callable

from sqlalchemy import Engine
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth.access import Audience, audience
from api.auth.keys import Principal, reader_for
from api.db.engine import read_session
from api.edge.clients import client_of
from api.edge.keylookup import admitted, look_up_key
from api.edge.limits import RateLimits

READ_METHODS = ("GET", "HEAD")


class ReadKeyMiddleware:
    """Set each read's audience from its key: public without one, full with a valid one, 401 otherwise."""

    def __init__(
        self, app: ASGIApp, engine: Callable[[], Engine], limits: RateLimits, trusted_proxies: list[str]
    ) -> None:
        self.app = app
        self.engine = engine
        self.limits = limits
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in READ_METHODS:
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("authorization")
        if header is None or not header.strip():  # an empty header sends no key
            scope.setdefault("state", {})["audience"] = Audience.PUBLIC
            with audience(Audience.PUBLIC):
                await self.app(scope, receive, send)
            return
        address = client_of(scope, self.trusted_proxies)
        if (
            await admitted(
                look_up_key(self.limits, address, header, self._authenticate), scope, receive, send
            )
            is None
        ):
            return
        scope.setdefault("state", {})["audience"] = Audience.FULL
        with audience(Audience.FULL):
            await self.app(scope, receive, send)

    def _authenticate(self, header: str | None) -> Principal:
        with read_session(self.engine()) as session:
            return reader_for(session, header or "")
