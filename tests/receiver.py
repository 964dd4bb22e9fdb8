"""A real webhook receiver for the tests: an HTTP server on a local port, in a thread, recording what it gets.

Each path answers as its name says: `/ok` 200, `/fail-once` 500 then 200, `/gone` 410, `/redirect` 302
to `/ok`, `/hang` holds the request until `release()` (then 200), `/slow` waits 30 s.
"""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One POST the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


@dataclass
class Receiver:
    """What the receiver got, and the switches of its behaviour."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    failed_once: set[str] = field(default_factory=set)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def release(self) -> None:
        self.released.set()

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 15) -> list[Received]:
        """The requests to `path` once there are `count` of them; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.at(path)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{path}: {len(self.at(path))} requests, not {count}, within {timeout} s")


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            path = self.path
            with receiver.lock:
                receiver.received.append(Received(path, dict(self.headers.items()), body, time.monotonic()))
            if path == "/fail-once":
                key = self.headers.get("webhook-id", "")
                with receiver.lock:
                    first = key not in receiver.failed_once
                    receiver.failed_once.add(key)
                self._answer(500 if first else 200)
            elif path == "/gone":
                self._answer(410)
            elif path == "/redirect":
                self._answer(302, {"Location": "/ok"})
            elif path == "/hang":
                receiver.released.wait(120)
                self._answer(200)
            elif path == "/slow":
                time.sleep(30)
                self._answer(200)
            else:
                self._answer(200)

    return Handler


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 until the block ends."""
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()
        server.shutdown()
        server.server_close()
