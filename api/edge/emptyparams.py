"""Empty query parameters (`country=`) treated as absent, as dashboards send unset variables."""

from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send


class DropEmptyParamsMiddleware:
    """Treat `name=` (an empty value) as if the parameter were absent, on every endpoint.

    Dashboards send unset variables as empty values; `country=` should mean "any country", not a 422.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if query and (b"=&" in query or query.endswith(b"=") or b"&&" in query):
            # latin-1 both ways maps every byte to itself, so the kept parameters come through unchanged
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
            kept = [(name, value) for name, value in pairs if value != ""]
            scope = {**scope, "query_string": urlencode(kept, encoding="latin-1").encode("latin-1")}
        await self.app(scope, receive, send)
