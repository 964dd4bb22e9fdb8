"""ASGI middleware: the request body size limit (FastAPI has none), empty parameters, CORS refusals."""

from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem


class BodyLimitMiddleware:
    """Answer 413 when a request body exceeds `max_bytes`, counting bytes as they arrive.

    Bodies are read before the app runs, so a body sent in chunks without a Content-Length is caught too,
    and the app never sees half a body.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, f"The request body is larger than the limit of {self.max_bytes} bytes.")
        await response(scope, receive, send)


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


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, refusing a preflight with a problem document instead of plain text.

    The refusal keeps the CORS headers Starlette gives it; everything else is Starlette's behaviour.
    """

    def preflight_response(self, request_headers: Headers) -> Response:
        """Starlette's answer to a preflight; a refusal (400) as a problem document."""
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        answer = problem(
            400,
            f"This cross-origin request is not allowed ({refused}): another origin may use "
            f"{', '.join(self.allow_methods)} with the headers {', '.join(sorted(self.allow_headers))}.",
        )
        for name, value in response.headers.items():
            if name not in ("content-type", "content-length"):
                answer.headers[name] = value
        return answer
