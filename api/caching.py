"""HTTP caching: an ETag from the data version on every successful GET, and 304 on `If-None-Match`."""

import zlib
from collections.abc import Callable

import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.db import read_session
from api.ingest.version import current_data_version

CACHE_CONTROL = "no-cache"  # store, but revalidate with the ETag before each reuse


def _read_version(engine: Engine) -> int | None:
    try:
        with read_session(engine) as session:
            return current_data_version(session)
    except SQLAlchemyError:
        return None  # the route itself will answer the outage


def _matches(if_none_match: str, etag: str) -> bool:
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


class ETagMiddleware:
    """Tag GET answers with the data version (bumped by every write) and the URL, so tags change on writes.

    The version is read before the route runs, so a write landing meanwhile can only make the tag older
    than the body: the next revalidation then misses and fetches afresh, never the reverse.
    """

    def __init__(self, app: ASGIApp, engine: Callable[[], Engine]) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        version = await anyio.to_thread.run_sync(_read_version, self.engine())
        if version is None:
            await self.app(scope, receive, send)
            return
        target = scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")
        etag = f'"v{version}-{zlib.crc32(target.encode()):08x}"'
        if_none_match = Headers(scope=scope).get("if-none-match")
        if if_none_match and _matches(if_none_match, etag):
            response = Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
            await response(scope, receive, send)
            return

        async def send_tagged(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(scope=message)
                headers["ETag"] = etag
                headers["Cache-Control"] = CACHE_CONTROL
            await send(message)

        await self.app(scope, receive, send_tagged)
