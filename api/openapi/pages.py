"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), loading only vendored assets."""

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from api.explorer import STATIC_PATH

DOCS_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
REDOC_PATH = "/redoc"
# Files under api/explorer/static/vendor/ (their versions and origin: VENDORED.md there).
SWAGGER_JS = f"{STATIC_PATH}/vendor/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = f"{STATIC_PATH}/vendor/swagger-ui/swagger-ui.css"
SWAGGER_FAVICON = f"{STATIC_PATH}/vendor/swagger-ui/favicon-32x32.png"
REDOC_JS = f"{STATIC_PATH}/vendor/redoc/redoc.standalone.js"

# ReDoc 2 puts its maker's logo, an image on the maker's server, in its menu, and drops it when the image
# fails. This page asks no other server for anything: such an image gets an empty data: URL instead, which
# fails at once without a request (and without the policy's console error about a blocked image).
NO_OUTSIDE_IMAGES = """<script>
(() => {
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) {
      const outside = new URL(value, location.href).origin !== location.origin;
      src.set.call(this, outside ? "data:," : value);
    },
  });
})();
</script>
"""


def _page(html: HTMLResponse, before_scripts: str = "") -> HTMLResponse:
    """FastAPI's documentation page in English (`lang`, for screen readers), with `before_scripts` added."""
    text = bytes(html.body).decode().replace("<html>", '<html lang="en">', 1)
    if before_scripts:
        text = text.replace("<script", before_scripts + "<script", 1)
    return HTMLResponse(text)


def install_docs(app: FastAPI) -> None:
    """Serve /docs, /docs/oauth2-redirect and /redoc as FastAPI would, from this server's own files.

    The app must be made with `docs_url=None, redoc_url=None`, so that FastAPI's own routes (which load
    Swagger UI and ReDoc from a CDN) are not there.
    """
    if app.docs_url is not None or app.redoc_url is not None:
        raise ValueError("FastAPI's own documentation routes are on: make the app with docs_url=None")
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    async def swagger_ui(request: Request) -> HTMLResponse:
        base = root(request)
        html = get_swagger_ui_html(
            openapi_url=base + openapi_url,
            title=f"{title} - Swagger UI",
            oauth2_redirect_url=base + OAUTH2_REDIRECT_PATH,
            swagger_js_url=base + SWAGGER_JS,
            swagger_css_url=base + SWAGGER_CSS,
            swagger_favicon_url=base + SWAGGER_FAVICON,
        )
        return _page(html)

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        base = root(request)
        html = get_redoc_html(
            openapi_url=base + openapi_url,
            title=f"{title} - ReDoc",
            redoc_js_url=base + REDOC_JS,
            redoc_favicon_url=base + SWAGGER_FAVICON,
            with_google_fonts=False,
        )
        return _page(html, before_scripts=NO_OUTSIDE_IMAGES)

    # Plain routes, as FastAPI adds its own documentation pages: outside the OpenAPI document and the
    # app's dependencies.
    app.add_route(DOCS_PATH, swagger_ui, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_PATH, swagger_ui_redirect, include_in_schema=False)
    app.add_route(REDOC_PATH, redoc, include_in_schema=False)
