"""`laborwatch serve` end to end: a real server process migrates, seeds an empty database and answers."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(database: Database) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database.url}
    env.pop("LABORWATCH_SEEDS_DIR", None)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", "from api.cli import app; app()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"server did not start:\n{output}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout:
            process.stdout.close()


def test_serve_seeds_an_empty_database_and_answers(server: str) -> None:
    response = httpx.get(f"{server}/v1/facilities", params={"country": "RU"})
    assert response.status_code == 200
    workers = {item["city"]: item["workers"]["value"] for item in response.json()["items"]}
    assert workers == {"Irkutsk": 70, "Krasnoyarsk": 100}
    assert httpx.get(f"{server}/v1/reports").json()["total"] == 1
