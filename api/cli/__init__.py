"""The `laborwatch` command line: one module per command group, `api.cli.main` composing them."""

from api.cli.main import app

__all__ = ["app"]
