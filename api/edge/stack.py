"""The edge composed: every middleware around the routes, in order, outermost first."""

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.middleware import Middleware

from api.auth.keys import Role
from api.edge.bodylimit import BodyLimitMiddleware
from api.edge.caching import ETagMiddleware
from api.edge.cors import ProblemCORSMiddleware
from api.edge.emptyparams import DropEmptyParamsMiddleware
from api.edge.errors import ErrorProblemMiddleware
from api.edge.headers import SecurityHeadersMiddleware
from api.edge.headlimits import HeadLimitMiddleware, HeadLimits
from api.edge.limits import RateLimits
from api.edge.readkeys import ReadKeyMiddleware
from api.edge.requestlog import RequestLogMiddleware
from api.edge.writekeys import WriteKeyMiddleware
from api.settings import Settings


def edge_stack(app: FastAPI, settings: Settings, writes: list[tuple[APIRoute, Role]]) -> list[Middleware]:
    """The middleware around the routes, outermost first; `writes` are the write routes and their roles."""
    # One set of counters for the keys of reads and writes: a refused key counts wherever it was sent.
    limits = RateLimits(settings.rate_limit_writes, settings.rate_limit_auth_failures, app.state.limit_store)
    return [
        Middleware(RequestLogMiddleware, trusted_proxies=settings.trusted_proxies),
        Middleware(SecurityHeadersMiddleware),
        Middleware(HeadLimitMiddleware, limits=HeadLimits.of(settings)),
        Middleware(ErrorProblemMiddleware),
        Middleware(
            ProblemCORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD", "OPTIONS"],
            allow_headers=["If-None-Match", "Accept", "X-Request-ID"],
            expose_headers=["ETag", "Link", "Content-Disposition", "X-Request-ID"],
        ),
        Middleware(DropEmptyParamsMiddleware),
        Middleware(
            ReadKeyMiddleware,
            engine=lambda: app.state.engine,
            limits=limits,
            trusted_proxies=settings.trusted_proxies,
        ),
        Middleware(ETagMiddleware, versions=lambda: app.state.versions),
        Middleware(
            WriteKeyMiddleware,
            routes=writes,
            engine=lambda: app.state.engine,
            limits=limits,
            trusted_proxies=settings.trusted_proxies,
        ),
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
    ]


def install_edge(app: FastAPI, settings: Settings, writes: list[tuple[APIRoute, Role]]) -> None:
    """Put `edge_stack` around the app's routes, with Starlette's public `add_middleware`.

    `add_middleware` puts each one outside those added before it, so the stack is added innermost first.
    """
    for middleware in reversed(edge_stack(app, settings, writes)):
        app.add_middleware(middleware.cls, *middleware.args, **middleware.kwargs)
