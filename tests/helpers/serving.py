"""Servers started in a subprocess: waiting for them, their environment, and running one for a test."""

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.served import free_port


def wait_until_serving(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"server did not start:\n{output}")
        time.sleep(0.1)


def an_address() -> str:
    """A client address no other test uses (the limits count per address)."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"  # noqa: S311


@dataclass
class Served:
    """A `laborwatch serve` process: its address and its log (stdout and stderr, in a file)."""

    process: "subprocess.Popen[bytes]"
    base: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def serve_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a server: this one's, without laborwatch settings, plus `settings`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LABORWATCH_") and name != "DATABASE_URL"
    }
    env["DATABASE_URL"] = database_url
    env.update({f"LABORWATCH_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def serve(
    env: dict[str, str], folder: Path, *, port: int | None = None, workers: int = 1
) -> Iterator[Served]:
    """Run `laborwatch serve` on 127.0.0.1 until it answers `/health`; stop it (SIGTERM) afterwards."""
    port = port or free_port()
    log = folder / f"serve-{port}.log"
    arguments = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-c", "from api.cli import app; app()", *arguments],
            env=env,
            cwd=folder,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    served = Served(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{served.base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{served.log_text()}")
            time.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
