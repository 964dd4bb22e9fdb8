"""Screenshots of the explorer and the documentation pages on the seeded data, into docs/screenshots/.

Run `make screenshots` (or `python -m tests.screenshots [--out FOLDER]`) with Debian's chromium on PATH.
It serves the app over a new SQLite file loaded with the seeds, as `make run` does, opens each page in
headless Chromium at desktop width and the overview and the report reader at phone width, and writes one
PNG per view. Requests to any other origin are blocked, as in the browser tests. With pngquant on PATH
(`apt-get install pngquant`) the PNGs are reduced to 256 colours, a quarter of their size.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import ViewportSize, sync_playwright

from api.settings import PROJECT_ROOT
from tests.browser import CHROMIUM, WatchedPage, launch, page_paths, seeded_server

OUT = PROJECT_ROOT / "docs" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 375, "height": 740}
PNGQUANT = shutil.which("pngquant")
SETTLE_MS = 1000
# (file name, page name or a path, viewport); page names are those of tests.browser.PAGES.
SHOTS: list[tuple[str, str, ViewportSize]] = [
    ("overview", "overview", DESKTOP),
    ("facilities", "facilities", DESKTOP),
    ("facility", "facility", DESKTOP),
    ("reports", "reports", DESKTOP),
    ("report", "report", DESKTOP),
    ("docs", "/docs", DESKTOP),
    ("overview-phone", "overview", PHONE),
    ("report-phone", "report", PHONE),
]


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out", type=Path, default=OUT, help="folder for the PNGs (default: docs/screenshots)"
    )
    args = parser.parse_args(argv)
    if CHROMIUM is None:
        print("no chromium on PATH: apt-get install chromium", file=sys.stderr)
        return 1
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        seeded_server(Path(folder)) as base,
        sync_playwright() as pw,
    ):
        paths = page_paths(base)
        browser = launch(pw)
        for name, page_name, viewport in SHOTS:
            context = browser.new_context(viewport=viewport)
            page = WatchedPage(context.new_page(), base)
            page.open(paths.get(page_name, page_name))
            if page_name == "/docs":
                page.page.wait_for_selector(".opblock")
            # Leaflet and its clusters animate into place after the load.
            page.page.wait_for_function(
                "() => !document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim')"
            )
            page.page.wait_for_timeout(SETTLE_MS)
            target = out / f"{name}.png"
            page.page.screenshot(path=target)
            if PNGQUANT:
                subprocess.run(  # noqa: S603 - a fixed tool on our own files
                    [
                        PNGQUANT,
                        "--force",
                        "--skip-if-larger",
                        "--strip",
                        "--quality=70-95",
                        "--ext",
                        ".png",
                        target,
                    ],
                    check=False,
                )
            problems = page.console_errors + page.page_errors + page.outside_requests
            print(
                f"{target.relative_to(PROJECT_ROOT) if target.is_relative_to(PROJECT_ROOT) else target}"
                f" ({target.stat().st_size // 1024} KB)" + (f"; problems: {problems}" if problems else "")
            )
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
