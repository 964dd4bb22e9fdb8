"""The explorer: HTML pages for people at `/`, over the same data and rules as the API, and their assets."""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PATH = "/static"
