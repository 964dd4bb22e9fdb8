"""Security headers on every answer, with a Content-Security-Policy chosen by path."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A JSON API loads nothing and is framed by no one.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


# Swagger UI (/docs) and ReDoc (/redoc) load their vendored scripts, styles and icon from this server
# (api/apidocs.py). Both start themselves with an inline script (Swagger UI) or style (ReDoc); their styles
# carry data: images, and ReDoc parses the OpenAPI document in a worker made from a blob.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'"
)


# The explorer's pages (api/explorer): their own scripts, styles, images and data only; no inline script.
# Leaflet positions the map with element styles set from script, which CSP does not restrict.
EXPLORER_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# (path, policy), first match wins: a path ending in "/" covers everything under it, any other only
# itself; "/" alone is only the root page (it would otherwise cover every path). Pages for people add
# their own entry here.
POLICIES: list[tuple[str, str]] = [
    ("/docs", DOCS_POLICY),
    ("/docs/oauth2-redirect", DOCS_POLICY),
    ("/redoc", DOCS_POLICY),
    ("/", EXPLORER_POLICY),
    ("/facilities", EXPLORER_POLICY),
    ("/facilities/", EXPLORER_POLICY),
    ("/reports", EXPLORER_POLICY),
    ("/reports/", EXPLORER_POLICY),
    ("/static/", EXPLORER_POLICY),
]


def content_security_policy(path: str) -> str:
    """The Content-Security-Policy of the answer at `path`: its page's own, else the API's."""
    for pattern, policy in POLICIES:
        if path == pattern or (pattern != "/" and pattern.endswith("/") and path.startswith(pattern)):
            return policy
    return API_POLICY


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The headers every answer at `path` carries (raw, as ASGI and the HTTP protocol write them)."""
    return [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy", content_security_policy(path).encode("latin-1")),
    ]


class SecurityHeadersMiddleware:
    """Add `security_headers` to every answer: errors, 304s and streamed exports included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = security_headers(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in added:
                    headers[name.decode("latin-1")] = value.decode("latin-1")
            await send(message)

        await self.app(scope, receive, send_with_headers)
