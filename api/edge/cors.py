"""CORS: any origin may read; a refused preflight is answered with a problem document."""

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from api.errors import problem


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, refusing a preflight with a problem document instead of plain text.

    The refusal keeps the CORS headers Starlette gives it and names what was refused, worked out from the
    middleware's own settings (never from the text of Starlette's answer); everything else is Starlette's.
    """

    def refused(self, request_headers: Headers) -> list[str]:
        """What of a preflight is not allowed: its `origin`, `method` or `headers`, as Starlette checks."""
        refused = []
        if not self.is_allowed_origin(origin=request_headers.get("origin", "")):
            refused.append("origin")
        if request_headers.get("access-control-request-method") not in self.allow_methods:
            refused.append("method")
        requested = request_headers.get("access-control-request-headers")
        if requested and not self.allow_all_headers:
            asked = [header.strip().lower() for header in requested.split(",") if header.strip()]
            if any(header not in self.allow_headers for header in asked):
                refused.append("headers")
        return refused

    def preflight_response(self, request_headers: Headers) -> Response:
        """Starlette's answer to a preflight; a refusal (400) as a problem document."""
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = ", ".join(self.refused(request_headers))
        answer = problem(
            400,
            f"This cross-origin request is not allowed ({refused}): another origin may use "
            f"{', '.join(self.allow_methods)} with the headers {', '.join(sorted(self.allow_headers))}.",
        )
        for name, value in response.headers.items():
            if name not in ("content-type", "content-length"):
                answer.headers[name] = value
        return answer
