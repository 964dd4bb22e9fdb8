"""Writes while the database is gone: 503 problem documents with `Retry-After`, never a 500.

The outage is real, not a mock: on SQLite the folder holding the database file is removed; on PostgreSQL
the server is reached through a TCP relay that the test cuts (open connections reset, new ones refused),
as when the database host goes down.
"""

import contextlib
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from api.app import create_app
from api.auth.keys import create_key
from api.db.engine import make_engine, write_session
from api.db.migrate import migrate
from api.settings import Settings
from tests.conftest import Database
from tests.helpers.bundles import bundle, report_bundle


class Relay:
    """A TCP relay from a local port to `upstream`, which `cut` takes down with every connection."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # cut
            server = socket.create_connection(self.upstream, timeout=5)
            server.settimeout(None)
            with self.lock:
                self.sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close alone does not
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


@pytest.fixture
def outage(database: Database, tmp_path: Path) -> Iterator[tuple[Settings, Relay | None]]:
    """Settings of a migrated database holding one key, and (PostgreSQL) the relay it is reached by."""
    if database.backend == "sqlite":
        folder = tmp_path / "volume"
        folder.mkdir()
        settings = Settings(database_url=f"sqlite:///{folder / 'laborwatch.db'}")
        relay = None
    else:
        url = make_url(database.url)
        relay = Relay((url.host or "127.0.0.1", url.port or 5432))
        relayed = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
        settings = Settings(database_url=relayed, pool_timeout_s=2)
    engine = make_engine(settings)
    migrate(engine)
    engine.dispose()
    yield settings, relay
    if relay is not None:
        relay.cut()


def take_down(settings: Settings, relay: Relay | None, client: TestClient) -> None:
    """The database goes away under a running server."""
    if relay is not None:
        relay.cut()
        return
    folder = Path(make_url(settings.database_url).database or "").parent
    shutil.rmtree(folder)
    # The pool's open connections would go on writing to the unlinked file; a server that reconnects
    # (a restart, a recycled connection) finds nothing, which is the outage.
    client.app.state.engine.dispose()  # type: ignore[attr-defined]


WRITES = [
    ("POST", "/v1/reports", report_bundle(id="during-outage")),
    ("PUT", "/v1/reports/khabarovsk-workshop", report_bundle(title="New")),
    ("DELETE", "/v1/reports/khabarovsk-workshop", None),
    ("PATCH", "/v1/claims/clm-00000000000000000000", {"status": "disputed"}),
    ("POST", "/v1/facilities/khabarovsk-workshop/merge", {"into": "elsewhere"}),
]


def test_every_write_during_an_outage_is_503_with_retry_after(
    outage: tuple[Settings, Relay | None],
) -> None:
    settings, relay = outage
    engine = make_engine(settings)
    with write_session(engine) as session:
        key = create_key(session, "analyst")
    engine.dispose()
    # raise_server_exceptions: an error that escaped to the server's last resort would fail the test.
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        assert client.post("/v1/reports", json=bundle()).status_code == 201
        take_down(settings, relay, client)
        for method, path, body in WRITES:
            for authorization in (f"Bearer {key}", "Bearer lw_wrong-key"):
                response = client.request(method, path, json=body, headers={"Authorization": authorization})
                where = f"{method} {path}"
                assert response.status_code == 503, (where, response.text)
                assert response.headers["content-type"] == "application/problem+json", where
                assert response.json()["status"] == 503, where
                assert int(response.headers["retry-after"]) >= 1, where


def test_a_database_emptied_under_the_server_is_503_too(database: Database, tmp_path: Path) -> None:
    """A database being restored, or swapped for an empty one: its tables are gone (SQLite: a new file)."""
    engine = make_engine(database.settings())
    migrate(engine)
    with write_session(engine) as session:
        key = create_key(session, "analyst")
    engine.dispose()
    with TestClient(create_app(database.settings())) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        assert client.post("/v1/reports", json=bundle()).status_code == 201
        if database.backend == "sqlite":
            path = make_url(database.url).database or ""
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
        else:
            database.drop()
            database.backend = "dropped"  # nothing left for the fixture to drop
        client.app.state.engine.dispose()  # type: ignore[attr-defined]
        for method, path, body in WRITES:
            response = client.request(method, path, json=body)
            assert response.status_code == 503, (method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert int(response.headers["retry-after"]) >= 1
