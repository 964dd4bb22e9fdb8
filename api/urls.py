"""URLs as clients know them: under `LABORWATCH_PUBLIC_URL` behind a proxy, else from the request."""

from urllib.parse import quote

from starlette.datastructures import URL
from starlette.requests import Request


def public_url(request: Request) -> URL:
    """The request's URL as clients know it: under `LABORWATCH_PUBLIC_URL` when that is set."""
    base = request.app.state.settings.public_url
    if not base:
        return request.url
    public = URL(base.rstrip("/"))
    path = public.path + request.url.path
    return request.url.replace(scheme=public.scheme, netloc=public.netloc, path=path)


def facility_moved_to(request: Request, old_id: str, survivor_id: str) -> str:
    """Where a request naming the merged facility `old_id` lives now: the same path under the survivor.

    A relative reference (RFC 9110 §10.2.2) unless LABORWATCH_PUBLIC_URL says where clients are: the
    Host header a client sent is never repeated back.
    """
    old = f"/v1/facilities/{quote(old_id, safe='')}"
    new = f"/v1/facilities/{quote(survivor_id, safe='')}"
    url = public_url(request)
    path = url.path.replace(old, new, 1)
    if request.app.state.settings.public_url:
        return str(url.replace(path=path))
    return path + (f"?{url.query}" if url.query else "")
