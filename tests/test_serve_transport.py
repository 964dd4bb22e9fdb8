"""`laborwatch serve` over a real socket: head limits, timeouts, headers and its JSON log.

These check the HTTP protocol `serve` runs, not the database, so they run on SQLite only.
"""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers.serving import wait_until_serving
from tests.served import free_port

HEADER_TIMEOUT_S = 1
KEEP_ALIVE_S = 1


@dataclass
class Served:
    port: int
    log: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LABORWATCH_") and k != "DATABASE_URL"},
        "DATABASE_URL": f"sqlite:///{folder / 'laborwatch.db'}",
        "LABORWATCH_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "LABORWATCH_KEEP_ALIVE_TIMEOUT_S": str(KEEP_ALIVE_S),
    }
    log = folder / "stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-c", "from api.cli import app; app()", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        try:
            wait_until_serving(process, f"http://127.0.0.1:{port}")
            yield Served(port, log)
        finally:
            process.terminate()
            process.wait(timeout=30)
            if process.stdout:
                process.stdout.close()


def exchange(port: int, request: bytes, wait_s: float = 10) -> bytes:
    """Send `request` on a new connection and read until the server closes it (at most `wait_s`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait_s) as sock:
        sock.sendall(request)
        return read_to_close(sock)


def read_to_close(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def assert_problem(raw: bytes, status: int, detail: str) -> dict[str, str]:
    code, headers, body = parse(raw)
    assert code == status, raw[:300]
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body) == {
        "type": "about:blank",
        "title": json.loads(body)["title"],
        "status": status,
        "detail": detail,
    }
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert len(headers["x-request-id"]) == 32
    assert "server" not in headers
    return headers


def test_a_huge_url_is_answered_414_over_a_socket(served: Served) -> None:
    url = b"/v1/facilities?q=" + b"a" * 1024 * 1024
    raw = exchange(served.port, b"GET " + url + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert_problem(raw, 414, "The URL is longer than the limit of 8192 bytes; send shorter parameters.")


@pytest.mark.parametrize("size", [20 * 1024, 64 * 1024, 1024 * 1024])
def test_huge_headers_are_answered_431_over_a_socket(served: Served, size: int) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + b"a" * size + b"\r\n\r\n"
    raw = exchange(served.port, request)
    assert_problem(raw, 431, "The request headers are larger than the limit of 16384 bytes.")


def test_many_headers_add_up_to_431_over_a_socket(served: Served) -> None:
    headers = b"".join(b"X-H%d: %s\r\n" % (i, b"a" * 100) for i in range(1000))
    raw = exchange(served.port, b"GET /health HTTP/1.1\r\nHost: localhost\r\n" + headers + b"\r\n")
    assert_problem(raw, 431, "The request headers are larger than the limit of 16384 bytes.")


def test_garbage_is_answered_400_problem_over_a_socket(served: Served) -> None:
    assert_problem(
        exchange(served.port, b"NOT HTTP AT ALL\r\n\r\n"), 400, "The request is not valid HTTP/1.1."
    )


def test_a_normal_request_has_the_headers_and_no_server_header(served: Served) -> None:
    raw = exchange(served.port, b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    status, headers, _ = parse(raw)
    assert status == 200
    assert "server" not in headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


def test_a_half_sent_request_is_answered_408_after_the_header_timeout(served: Served) -> None:
    started = time.monotonic()
    raw = exchange(served.port, b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ", wait_s=10)
    assert_problem(raw, 408, f"The request head was not complete within {float(HEADER_TIMEOUT_S)} s.")
    assert time.monotonic() - started < 8  # closed by the timeout, not by the test's own


def test_a_silent_connection_is_closed_after_the_header_timeout(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        started = time.monotonic()
        assert read_to_close(sock) == b""
        assert time.monotonic() - started < 8


def test_an_idle_keep_alive_connection_is_closed(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        started = time.monotonic()
        status, headers, _ = parse(read_to_close(sock))  # the answer, then the close after KEEP_ALIVE_S
        assert status == 200
        assert "connection" not in headers  # kept alive, then closed as idle
        assert time.monotonic() - started < 8


def test_serve_logs_one_json_line_per_request_without_secrets(served: Served) -> None:
    secret = "very-secret-key-value"
    request = (
        f"GET /v1/facilities?limit=1&api_key={secret} HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Bearer {secret}-header\r\nX-Request-ID: probe-77\r\nConnection: close\r\n\r\n"
    )
    status, headers, _ = parse(exchange(served.port, request.encode()))
    assert headers["x-request-id"] == "probe-77"
    deadline = time.monotonic() + 5
    while b"probe-77" not in served.log.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.05)
    text = served.log.read_text()
    assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]  # every line is JSON
    mine = [line for line in lines if line.get("request_id") == "probe-77"]
    assert len(mine) == 1
    assert mine[0] | {"time": None, "latency_ms": None} == {
        "time": None,
        "level": "info",
        "logger": "laborwatch.access",
        "message": "request",
        "request_id": "probe-77",
        "method": "GET",
        "path": "/v1/facilities",
        "query": "limit=1&api_key=%5Bredacted%5D",
        "status": status,
        "latency_ms": None,
        "client": "127.0.0.1",
    }
    assert not [line for line in lines if line.get("logger") == "uvicorn.access"]


def test_next_links_are_under_the_address_served_whatever_the_host_header(served: Served) -> None:
    base = f"http://127.0.0.1:{served.port}"
    first = httpx.get(f"{base}/v1/claims", params={"limit": 1}, headers={"Host": "evil.example"})
    assert first.status_code == 200
    assert "evil" not in first.text
    assert "evil" not in str(first.headers)
    next_url = first.json()["next"]
    assert next_url.startswith(f"{base}/v1/claims?limit=1&cursor=")
    # Followed as it is, by a client that knows nothing but the link.
    second = httpx.get(next_url)
    assert second.status_code == 200
    assert second.json()["items"] != first.json()["items"]


def read_answer(sock: socket.socket) -> bytes:
    """Read one answer (head and `Content-Length` body) from a connection kept open."""
    received = b""
    while b"\r\n\r\n" not in received or len(received.partition(b"\r\n\r\n")[2]) < length(received):
        chunk = sock.recv(65536)
        assert chunk, f"closed before the answer was complete: {received[:300]!r}"
        received += chunk
    return received


def length(received: bytes) -> int:
    """The `Content-Length` of an answer whose head is in `received`."""
    return int(parse(received)[1]["content-length"])


def test_a_body_left_unread_after_an_early_answer_is_not_counted_as_the_next_head(served: Served) -> None:
    """The 200 kB body of a keyless write, answered 401 before it is sent, is no part of the next head."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        size = 200_000
        sock.sendall(
            b"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % size
        )
        assert parse(read_answer(sock))[0] == 401
        sock.sendall(b" " * size)
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        time.sleep(0.2)  # the next head in two parts, as a slow client sends it
        sock.sendall(b"Host: x\r\nConnection: close\r\n\r\n")
        status, headers, body = parse(read_to_close(sock))
        assert status == 200, body
        assert headers["content-type"] == "application/json"
