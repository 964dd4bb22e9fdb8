"""URLs as clients know them: under `LABORWATCH_PUBLIC_URL` behind a proxy, else relative references.

The Host header a client sent is never repeated back: without `LABORWATCH_PUBLIC_URL`, `next` links
and redirects are relative references (RFC 3986 §4.2: path and query), which clients resolve
against the URL they asked for, so a forged Host cannot put another site's address into an answer
(or into a cache that keeps it).
"""

from urllib.parse import quote

from starlette.datastructures import URL
from starlette.requests import Request


def public_url(request: Request) -> URL:
    """The request's URL as clients know it: under `LABORWATCH_PUBLIC_URL`, else its path and query."""
    base = request.app.state.settings.public_url
    if not base:
        query = request.url.query
        return URL(request.url.path + (f"?{query}" if query else ""))
    public = URL(base.rstrip("/"))
    path = public.path + request.url.path
    return request.url.replace(scheme=public.scheme, netloc=public.netloc, path=path)


def facility_moved_to(request: Request, old_id: str, survivor_id: str) -> str:
    """Where a request naming the merged facility `old_id` lives now: the same path under the survivor."""
    old = f"/v1/facilities/{quote(old_id, safe='')}"
    new = f"/v1/facilities/{quote(survivor_id, safe='')}"
    url = public_url(request)
    return str(url.replace(path=url.path.replace(old, new, 1)))
