"""The explorer: HTML pages for people at `/`, over the same data and rules as the API, and their assets."""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PATH = "/static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
# The explorer's pages: the root itself, and these sections with everything under them.
PAGE_SECTIONS = ("/facilities", "/reports")


def is_page(path: str) -> bool:
    """Whether `path` is one of the explorer's HTML pages (whose errors are pages too, not JSON)."""
    return path == "/" or any(path == section or path.startswith(f"{section}/") for section in PAGE_SECTIONS)
