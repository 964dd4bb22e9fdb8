"""Limits on a request's head: the URL (414) and the header block (431), one rule for app and server."""

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import problem
from api.settings import Settings

# Bytes a header line adds to its name and value on the wire: ": " and CRLF.
HEADER_LINE_OVERHEAD = 4


def header_line_bytes(name: bytes, value: bytes) -> int:
    """What one header counts against the header limit."""
    return len(name) + len(value) + HEADER_LINE_OVERHEAD


@dataclass(frozen=True)
class HeadLimits:
    """The largest URL and header block a request may have, and what a client is told beyond them."""

    max_url_bytes: int
    max_header_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> "HeadLimits":
        """The limits the settings give (`LABORWATCH_MAX_URL_BYTES`, `LABORWATCH_MAX_HEADER_BYTES`)."""
        return cls(settings.max_url_bytes, settings.max_header_bytes)

    def url_detail(self) -> str:
        """The problem detail of a 414."""
        return f"The URL is longer than the limit of {self.max_url_bytes} bytes; send shorter parameters."

    def header_detail(self) -> str:
        """The problem detail of a 431."""
        return f"The request headers are larger than the limit of {self.max_header_bytes} bytes."

    def refusal(self, url_bytes: int, headers: Iterable[tuple[bytes, bytes]]) -> tuple[int, str] | None:
        """The status and detail a request with this head is refused with, or None when it fits."""
        if url_bytes > self.max_url_bytes:
            return 414, self.url_detail()
        if sum(header_line_bytes(name, value) for name, value in headers) > self.max_header_bytes:
            return 431, self.header_detail()
        return None


def url_bytes(scope: Scope) -> int:
    """The length of the request target as sent: the raw path, and `?` and the query string if any."""
    path = scope.get("raw_path") or scope.get("path", "").encode("utf-8")
    query = scope.get("query_string", b"")
    return len(path) + (len(query) + 1 if query else 0)


class HeadLimitMiddleware:
    """Answer 414 or 431 problem documents for a URL or header block over the limits.

    `laborwatch serve` refuses these already while reading the request (see `api.protocol`); this
    applies the same rule to any other server the app runs under, and to in-process clients.
    """

    def __init__(self, app: ASGIApp, limits: HeadLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = self.limits.refusal(url_bytes(scope), scope.get("headers", []))
            if refused is not None:
                await problem(*refused)(scope, receive, send)
                return
        await self.app(scope, receive, send)
