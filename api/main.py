"""The application factory: routers, error handlers, middleware and the engine's lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.types import ASGIApp

from api import __doc__ as summary
from api.apidocs import install_docs
from api.auth import WriteKeyMiddleware
from api.caching import ETagMiddleware
from api.db import make_engine
from api.deps import Reader, check_query
from api.errors import install_error_handlers
from api.explorer import STATIC_DIR, STATIC_PATH, pages
from api.explorer.errors import install_page_errors
from api.headers import SecurityHeadersMiddleware
from api.headlimits import HeadLimitMiddleware, HeadLimits
from api.middleware import BodyLimitMiddleware, DropEmptyParamsMiddleware, ProblemCORSMiddleware
from api.openapi import TAGS, complete_openapi, operation_id
from api.queries.admission import ExportSlots
from api.ratelimit import RateLimits
from api.requestlog import RequestLogMiddleware
from api.routers import changes, claims, export, facilities, health, reports, stats
from api.rules.version import VersionReader
from api.settings import Settings, get_settings, read_threads

DESCRIPTION = """
Every figure laborwatch serves is traceable to a sentence: each **claim** carries the verbatim quote from
its **report**, the quote's character span in the report body, who said it and how the report knows.
**Facilities** carry the current best worker figure derived from their claims.

Errors are RFC 9457 problem documents (`application/problem+json`).
"""


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the laborwatch ASGI app; the engine is made from `settings` unless one is given.

    An engine made here limits the time of read statements (`statement_timeout_ms`); one given is used
    as it is.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        app.state.engine = engine if engine is not None else make_engine(settings, read_limit=True)
        app.state.versions = VersionReader(app.state.engine)
        app.state.reader = Reader(app.state.engine, read_threads(settings))
        app.state.exports = ExportSlots(settings.max_exports_per_client, settings.max_exports)
        try:
            yield
        finally:
            app.state.versions.close()
            if own_engine:
                app.state.engine.dispose()

    app = FastAPI(
        title="laborwatch",
        summary=(summary or "").strip(),
        description=DESCRIPTION,
        version="1.0.0",
        lifespan=lifespan,
        redirect_slashes=False,
        # Served by install_docs from the vendored assets instead of FastAPI's, which load from a CDN.
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(check_query)],
        generate_unique_id_function=operation_id,
        openapi_tags=TAGS,
    )
    app.state.settings = settings
    app.router.redirect_slashes = False
    install_error_handlers(app)
    install_page_errors(app)  # HTML error pages under the explorer's paths
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        WriteKeyMiddleware,
        routes=lambda: app.router.routes,
        engine=lambda: app.state.engine,
        limits=RateLimits(settings.rate_limit_writes, settings.rate_limit_auth_failures),
        trusted_proxies=settings.trusted_proxies,
    )
    app.add_middleware(ETagMiddleware, versions=lambda: app.state.versions)
    app.add_middleware(DropEmptyParamsMiddleware)
    app.add_middleware(
        ProblemCORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["If-None-Match", "Accept", "X-Request-ID"],
        expose_headers=["ETag", "Link", "Content-Disposition", "X-Request-ID"],
    )
    for module in (health, reports, facilities, claims, stats, changes, export):
        app.include_router(module.router)
    # The explorer's and the documentation pages' own assets (api/explorer/static/vendor/VENDORED.md).
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.router)  # the explorer's pages at / (not in the OpenAPI document)
    install_docs(app)
    _wrap_in_edge(app, settings)
    complete_openapi(app, settings)
    return app


def _wrap_in_edge(app: FastAPI, settings: Settings) -> None:
    """Put the request id and log line, the security headers and the head limits around everything.

    Outside Starlette's own outermost middleware, which answers a 500 itself: so that answer too
    carries the headers and is logged.
    """
    build = app.build_middleware_stack

    def build_with_edge() -> ASGIApp:
        inner = HeadLimitMiddleware(build(), HeadLimits.of(settings))
        return RequestLogMiddleware(SecurityHeadersMiddleware(inner), settings.trusted_proxies)

    app.build_middleware_stack = build_with_edge  # type: ignore[method-assign]
