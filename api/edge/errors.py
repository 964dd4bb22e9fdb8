"""The last answer to an error: a 500 (or 503) problem document, inside the request log and the headers.

Starlette's own outermost middleware would answer an unhandled error itself, outside every middleware of
ours, so its answer would carry no request id or security headers; this one answers first.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import unexpected_problem


class ErrorProblemMiddleware:
    """Answer an exception that nothing inside handled with `unexpected_problem`, if no answer has begun."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if started:
                raise  # half an answer is out: the server closes the connection
            await unexpected_problem(exc)(scope, receive, send)
