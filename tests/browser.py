"""Headless Chromium for the browser tests: the browser found on PATH, a watched page, and axe-core."""

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Route

from api.app import create_app
from api.db.engine import make_engine
from api.db.migrate import migrate
from api.ingest.seed import seed
from api.settings import PROJECT_ROOT, Settings
from tests.served import serving

# Debian's package (`apt-get install chromium`); Playwright never downloads a browser of its own here.
CHROMIUM = shutil.which("chromium")
# As root in a machine without a display or a network: no sandbox, no GPU, and none of Chromium's own calls
# home (updates, sync, field trials), which would only fail.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# axe-core, vendored as test tooling (api/explorer/static/vendor/VENDORED.md lists it); not served.
AXE = Path(__file__).parent / "browser_assets" / "axe.min.js"
# Where the page finds it: the route answers this same-origin path from the file, so that a page whose
# policy allows only its own origin's scripts (no inline ones, as `add_script_tag(path=...)` would make)
# still runs it, with that policy on.
AXE_PATH = "/__browser-tests__/axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
IRKUTSK = "Irkutsk"
# The explorer's pages, by name; {facility} and {report} are the seeded Irkutsk facility and report.
PAGES = {
    "overview": "/",
    "facilities": "/facilities",
    "facility": "/facilities/{facility}",
    "reports": "/reports",
    "report": "/reports/{report}",
}


@contextmanager
def seeded_server(folder: Path) -> Iterator[str]:
    """Serve laborwatch on a free port over a new SQLite file in `folder`, seeded; yield its URL."""
    settings = Settings(database_url=f"sqlite:///{folder / 'laborwatch.db'}")
    engine = make_engine(settings)
    try:
        migrate(engine)
        seed(engine, PROJECT_ROOT / "seeds")
        with serving(create_app(settings, engine)) as port:
            yield f"http://127.0.0.1:{port}"
    finally:
        engine.dispose()


def get(base: str, path: str, **params: Any) -> Any:
    """The API's JSON answer at `path` on the server at `base`."""
    response = httpx.get(base + path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def seeded_irkutsk(base: str) -> dict[str, Any]:
    """The seeded Irkutsk facility, as the API gives it."""
    (facility,) = [
        item for item in get(base, "/v1/facilities", limit=100)["items"] if item["city"] == IRKUTSK
    ]
    return dict(facility)


def page_paths(base: str) -> dict[str, str]:
    """Each explorer page's path on the seeded server, by name."""
    (report,) = get(base, "/v1/reports")["items"]
    facility = seeded_irkutsk(base)["id"]
    return {name: path.format(facility=facility, report=report["id"]) for name, path in PAGES.items()}


def skip_without_chromium() -> pytest.MarkDecorator:
    """Skip when no chromium is on PATH, except in CI (CI=true), where .ci/run installs it: fail there."""
    if CHROMIUM is None and os.environ.get("CI") == "true":
        pytest.fail("CI must have chromium on PATH (.ci/run installs Debian's package)", pytrace=False)
    return pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")


def launch(playwright: Playwright) -> Browser:
    """Chromium from PATH, headless."""
    assert CHROMIUM is not None
    return playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)


class WatchedPage:
    """A page on the server at `base` that records console errors, uncaught errors and outside requests.

    Every request to another origin is recorded and aborted, so nothing leaves the machine even when a
    page would ask for it.
    """

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base.rstrip("/")
        self.origin = urlsplit(self.base).netloc
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.outside_requests: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(f"{error.name}: {error.message}"))
        page.on("request", self._on_request)
        page.route("**/*", self._route)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.console_errors.append(f"{message.text} ({where})" if where else message.text)

    def _outside(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.origin

    def _on_request(self, request: Request) -> None:
        # Also what never reaches the route: a fetch the page's policy blocks, say.
        if self._outside(request.url) and request.url not in self.outside_requests:
            self.outside_requests.append(request.url)

    def _route(self, route: Route) -> None:
        if route.request.url == self.base + AXE_PATH:
            route.fulfill(path=AXE, content_type="text/javascript; charset=utf-8")
        elif self._outside(route.request.url):
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def open(self, path: str) -> None:
        """Load `path` on the server, asserting a 200, and wait until the network is quiet."""
        response = self.page.goto(self.base + path, wait_until="networkidle")
        assert response is not None, path
        assert response.status == 200, f"{path}: {response.status}"

    def no_console_errors(self) -> None:
        """Assert that the page wrote no error to the console and threw no uncaught error."""
        errors = self.console_errors + self.page_errors
        assert not errors, f"{self.page.url}: errors in the console:\n" + "\n".join(errors)

    def no_outside_requests(self) -> None:
        """Assert that the page asked nothing of any origin but the server's."""
        assert not self.outside_requests, f"{self.page.url}: requests to other origins:\n" + "\n".join(
            self.outside_requests
        )

    def axe_violations(self) -> list[dict[str, Any]]:
        """The violations axe-core finds on the page as it is now, of every impact."""
        self.page.add_script_tag(url=self.base + AXE_PATH)
        violations: list[dict[str, Any]] = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        return violations

    def axe_clean(self) -> None:
        """Assert that axe-core finds no serious or critical violation, listing those it finds."""
        failing = [v for v in self.axe_violations() if v.get("impact") in FAILING_IMPACTS]
        assert not failing, f"{self.page.url}: accessibility violations:\n" + describe(failing)


def describe(violations: list[dict[str, Any]]) -> str:
    """Axe-core's violations as lines a person reads: rule, impact, what to fix and where."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:160]}")
            summary = " ".join(str(node.get("failureSummary", "")).split())
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)
