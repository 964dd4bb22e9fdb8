"""`laborwatch serve` logs plain JSON lines, no uvicorn colour codes: start-up and requests alike."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from api.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_every_line_of_the_served_log_is_json_without_colour_codes(tmp_path: Path) -> None:
    port = free_port()
    laborwatch = Path(sys.executable).parent / "laborwatch"
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'laborwatch.db'}"}
    server = subprocess.Popen(  # noqa: S603 - our own command, arguments of our own
        [str(laborwatch), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=environment,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        for _ in range(600):  # up to a minute for migrating and seeding: this waits, it asserts no speed
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/v1/facilities").status_code == 200
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    messages = [line["message"] for line in lines]
    assert any("Uvicorn running" in message for message in messages), messages  # uvicorn's own line
    assert any(line.get("path") == "/v1/facilities" for line in lines), lines  # an access line
    assert [line for line in lines if "color_message" in line] == []
    assert "\x1b" not in log
