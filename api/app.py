"""The application factory: routers, error handlers, middleware and the engine's lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from api import __doc__ as summary
from api import health
from api.auth.deps import write_routes
from api.changes.routes import router as changes_router
from api.claims.routes import router as claims_router
from api.db.engine import make_engine
from api.db.reader import Reader
from api.db.version import VersionReader
from api.edge.limits import HeavyReadSlots, export_slots
from api.edge.limitstore import LimitStore
from api.edge.stack import install_edge
from api.errors import install_error_handlers
from api.explorer import STATIC_DIR, STATIC_PATH, pages
from api.explorer.errors import install_page_errors
from api.export.routes import router as export_router
from api.facilities.routes import router as facilities_router
from api.kit.params import check_query
from api.kit.totals import Totals
from api.openapi.document import TAGS, complete_openapi, operation_id
from api.openapi.pages import install_docs
from api.reports.routes import router as reports_router
from api.settings import Settings, get_settings, read_threads
from api.stats.routes import router as stats_router
from api.webhooks.delivery import Deliverer
from api.webhooks.routes import router as webhooks_router

# The API's routers, in the order OpenAPI lists their operations; every route of the API is in one.
ROUTERS = (
    health.router,
    reports_router,
    facilities_router,
    claims_router,
    stats_router,
    changes_router,
    webhooks_router,
    export_router,
)

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
        app.state.reader = Reader(
            app.state.engine,
            read_threads(settings),
            settings.pool_max_overflow,
            cheap_limit=settings.pool_size + settings.pool_max_overflow,
            queue_timeout_s=settings.queue_timeout_s,
            heavy_slots=HeavyReadSlots(settings.max_heavy_reads_per_client),
        )
        app.state.limit_store.check()  # says in the log whether a shared store answers
        app.state.exports = export_slots(
            app.state.limit_store, settings.max_exports_per_client, settings.max_exports
        )
        # Each server process delivers webhook events; several share the outbox safely (api/webhooks).
        deliverer = Deliverer(app.state.engine, settings) if settings.webhook_delivery else None
        if deliverer is not None:
            deliverer.start()
        try:
            yield
        finally:
            if deliverer is not None:
                deliverer.stop()
            app.state.exports.close()
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
    app.state.limit_store = LimitStore(settings.limits_storage)  # the rate limits' and export slots'
    app.state.totals = Totals()  # list totals remembered per data version (api/kit/totals.py)
    app.router.redirect_slashes = False
    install_error_handlers(app)
    install_page_errors(app)  # HTML error pages under the explorer's paths
    install_edge(app, settings, write_routes(ROUTERS))
    for router in ROUTERS:
        app.include_router(router)
    # The explorer's and the documentation pages' own assets (api/explorer/static/vendor/VENDORED.md).
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.router)  # the explorer's pages at / (not in the OpenAPI document)
    install_docs(app)
    complete_openapi(app, settings)
    return app
