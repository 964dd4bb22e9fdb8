"""HTTP caching: an ETag from the data version on every successful GET, 304 on `If-None-Match`, and HEAD."""

import contextlib
import zlib
from collections.abc import Callable

import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth.access import Audience
from api.db.version import VersionReader

CACHE_CONTROL = "no-cache"  # store, but revalidate with the ETag before each reuse
# Answers that change without a data write (webhooks and their deliveries): no ETag, never stored.
UNVERSIONED_PREFIXES = ("/v1/webhooks",)
# An answer to a read with a key may show restricted reports: only the key holder's own cache may keep it.
PRIVATE_CACHE_CONTROL = "private, no-cache"
# How OpenAPI declares the headers every successful GET carries.
CACHING_HEADERS: dict[str, dict[str, object]] = {
    "ETag": {
        "description": "The version of this answer: send it back in `If-None-Match` to get a 304 while "
        "the data has not changed.",
        "schema": {"type": "string", "examples": ['"v42-1a2b3c4d"']},
    },
    "Cache-Control": {
        "description": "`no-cache`: a cache may keep the answer but revalidates it with the ETag first; "
        "`private, no-cache` on answers to a read with a key (only the key holder's cache may keep them).",
        "schema": {"type": "string", "examples": [CACHE_CONTROL]},
    },
}


def _read_version(versions: VersionReader) -> int | None:
    try:
        return versions.read()
    except SQLAlchemyError:
        return None  # the route itself will answer the outage


def _candidates(if_none_match: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]


def _no_store(send: Send) -> Send:
    async def send_untagged(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message)["Cache-Control"] = "no-store"
        await send(message)

    return send_untagged


class _Head(Exception):
    """Raised through the app once a HEAD answer's headers are sent: its body is not needed."""


class ETagMiddleware:
    """Tag GET answers with the data version (bumped by every write) and the URL, so tags change on writes.

    HEAD is answered as GET without the body (the route stops once the headers are out).

    The version is read before the route runs, so a write landing meanwhile can only make the tag older
    than the body: the next revalidation then misses and fetches afresh, never the reverse.
    """

    def __init__(self, app: ASGIApp, versions: Callable[[], VersionReader]) -> None:
        self.app = app
        self.versions = versions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(UNVERSIONED_PREFIXES):
            await self.app(scope, receive, _no_store(send))
            return
        versions = self.versions()
        if versions.engine.dialect.name == "sqlite":
            version = _read_version(versions)  # a PRAGMA on a connection of its own: microseconds
        else:
            version = await anyio.to_thread.run_sync(_read_version, versions)
        if version is None:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["data_version"] = version  # the lists' carried totals use it too
        target = scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")
        # The audience (`api.edge.readkeys`) is part of the tag: a public and a full answer to one URL
        # differ, so a tag of one never revalidates the other. A full answer is for one key's holder.
        full = scope["state"].get("audience") == Audience.FULL
        etag = f'"v{version}-{zlib.crc32(target.encode()):08x}{"-k" if full else ""}"'
        tagged = {"ETag": etag, "Cache-Control": PRIVATE_CACHE_CONTROL if full else CACHE_CONTROL}
        candidates = _candidates(Headers(scope=scope).get("if-none-match", ""))
        # The tag is only ever given with a 200, and answers are deterministic per URL, version and
        # audience, so a client holding this very tag would get the same 200: answer 304 without the route.
        if etag in candidates:
            response = Response(status_code=304, headers=tagged)
            response.headers.add_vary_header("Authorization")
            await response(scope, receive, send)
            return
        star = "*" in candidates  # matches only if the resource exists: decided by the route's status
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.add_vary_header("Authorization")  # every read's answer may depend on the key
                if message["status"] == 200:
                    if star:
                        not_modified = Response(status_code=304, headers=tagged)
                        not_modified.headers.add_vary_header("Authorization")
                        await not_modified(scope, receive, send)
                        raise _Head
                    headers["ETag"] = etag
                    headers["Cache-Control"] = tagged["Cache-Control"]
                await send(message)
                if head:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    raise _Head
                return
            await send(message)

        with contextlib.suppress(_Head):
            await self.app(scope, receive, send_tagged)
