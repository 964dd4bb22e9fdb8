"""URLs as clients know them: under `LABORWATCH_PUBLIC_URL` behind a proxy, else the server's own address.

The Host header a client sent is never repeated back: without `LABORWATCH_PUBLIC_URL`, `next` links are
absolute URLs under the address the connection was made to (the socket's, which a client cannot choose),
and merge redirects are relative references, so a forged Host cannot put another site's address into an
answer, or into a cache that keeps it.
"""

from urllib.parse import quote

from starlette.datastructures import URL
from starlette.requests import Request


def _server_origin(request: Request) -> str:
    """`scheme://host:port` of the socket the request came in on; empty when there is none (a Unix socket)."""
    server = request.scope.get("server")
    if not server or server[1] is None:
        return ""
    host, port = server
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(request.url.scheme)
    return f"{request.url.scheme}://{host}" + ("" if port == default else f":{port}")


def public_url(request: Request) -> URL:
    """The request's URL as clients know it: under `LABORWATCH_PUBLIC_URL`, else the server's address."""
    base = request.app.state.settings.public_url
    if not base:
        query = request.url.query
        return URL(_server_origin(request) + request.url.path + (f"?{query}" if query else ""))
    public = URL(base.rstrip("/"))
    path = public.path + request.url.path
    return request.url.replace(scheme=public.scheme, netloc=public.netloc, path=path)


LOCATION_HEADER = {
    "description": "The URL of the resource (a relative reference unless LABORWATCH_PUBLIC_URL is set).",
    "schema": {"type": "string", "examples": ["/v1/facilities/irkutsk-dprk-garment-factory"]},
}
"""How OpenAPI declares the `Location` header of a 201 and of a redirect."""


def location(request: Request, item_id: str | None = None) -> str:
    """`Location` of what a write made: the request's path, or the item `item_id` under it.

    A relative reference, as for merge redirects, unless LABORWATCH_PUBLIC_URL says where clients are.
    """
    tail = f"/{quote(item_id, safe='')}" if item_id is not None else ""
    if request.app.state.settings.public_url:
        url = public_url(request)
        return str(url.replace(path=url.path + tail, query=""))
    return request.url.path + tail


def facility_moved_to(request: Request, old_id: str, survivor_id: str, under: str = "/v1/facilities") -> str:
    """Where a request naming the merged facility `old_id` lives now: the same path under the survivor.

    A relative reference (RFC 9110 §10.2.2) unless LABORWATCH_PUBLIC_URL says where clients are. `under`
    is where facilities live: the API's, or the explorer's pages (`/facilities`).
    """
    old = f"{under}/{quote(old_id, safe='')}"
    new = f"{under}/{quote(survivor_id, safe='')}"
    if request.app.state.settings.public_url:
        url = public_url(request)
        return str(url.replace(path=url.path.replace(old, new, 1)))
    path = request.url.path.replace(old, new, 1)
    return path + (f"?{request.url.query}" if request.url.query else "")
