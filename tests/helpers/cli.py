"""The command line in tests: the type of the `run` fixture (in conftest.py)."""

from collections.abc import Callable

from typer.testing import Result

Run = Callable[..., Result]
