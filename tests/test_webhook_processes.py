"""Webhook delivery across real server processes: each event once with two servers, none lost to `kill -9`.

Servers are `laborwatch serve` processes on one database (SQLite file or PostgreSQL schema); the receiver
is a real HTTP server in the test process (tests/receiver.py).
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from api.auth.keys import create_key
from api.db.engine import make_engine, write_session
from tests.conftest import Database
from tests.helpers.bundles import dalian_bundle
from tests.helpers.serving import wait_until_serving
from tests.receiver import Receiver, receiving
from tests.served import free_port

COMMAND = [sys.executable, "-c", "from api.cli import app; app()"]
ENV = {
    "LABORWATCH_WEBHOOK_ALLOW_PRIVATE": "true",
    "LABORWATCH_WEBHOOK_KEY": "a key shared by every process of the test",
    "LABORWATCH_WEBHOOK_TIMEOUT_S": "3",  # a killed server's claimed event is free again 13 s later
}
# The server killed mid-delivery holds its claim 3 + 1 s, not 3 + 10: the next one sends the event again
# sooner. Only where one server runs at a time: beside another, a claim must outlast a loaded delivery.
SHORT_LEASE = {"LABORWATCH_WEBHOOK_LEASE_MARGIN_S": "1"}


@contextmanager
def server(
    database: Database, *, delivery: bool = True, workers: int = 1, extra: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`laborwatch serve` on a free port over `database`, with `extra` settings; killed (if alive) after."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABORWATCH_")}
    env |= {**ENV, "DATABASE_URL": database.url, "LABORWATCH_WEBHOOK_DELIVERY": str(delivery).lower()}
    env |= extra or {}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*COMMAND, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def admin_key(database: Database) -> dict[str, str]:
    engine = make_engine(database.settings())
    try:
        with write_session(engine) as session:
            return {"Authorization": f"Bearer {create_key(session, 'chief')}"}
    finally:
        engine.dispose()


def event_states(database: Database) -> Counter[str]:
    engine = make_engine(database.settings())
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT state FROM webhook_event")).scalars()
            return Counter(rows)
    finally:
        engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as listening:
        yield listening


@contextmanager
def two_servers(database: Database, how: str) -> Iterator[tuple[str, str]]:
    """Two delivering processes: two `serve` commands (as on two hosts), or one `serve --workers 2`."""
    if how == "workers":
        with server(database, workers=2) as (base, _):
            yield base, base
        return
    with server(database) as (first, _), server(database) as (second, _):
        yield first, second


@pytest.mark.parametrize("how", ["hosts", "workers"])
def test_two_servers_deliver_each_event_once(database: Database, receiver: Receiver, how: str) -> None:
    with two_servers(database, how) as (first, second):
        key = admin_key(database)
        made = httpx.post(f"{first}/v1/webhooks", json={"url": receiver.url("/ok")}, headers=key)
        assert made.status_code == 201, made.text
        for number in range(20):
            base = (first, second)[number % 2]
            posted = httpx.post(f"{base}/v1/reports", json=dalian_bundle(id=f"dalian-{number}"), headers=key)
            assert posted.status_code == 201, posted.text
        got = receiver.wait_for("/ok", 20, timeout=30)
        time.sleep(2)  # a second delivery of any of them would have come by now
        got = receiver.at("/ok")
    ids = Counter(r.headers["webhook-id"] for r in got)
    assert len(ids) == 20
    assert max(ids.values()) == 1, ids
    changes = [r.event["change_id"] for r in got]
    assert changes == sorted(changes)  # in change order
    assert event_states(database) == Counter({"delivered": 20})


def test_an_event_survives_kill_9_of_the_server(
    database: Database, receiver: Receiver, tmp_path: Path
) -> None:
    """Killed mid-delivery, and a change committed while no server runs: after a restart both arrive."""
    with server(database, extra=SHORT_LEASE) as (base, process):
        key = admin_key(database)
        made = httpx.post(f"{base}/v1/webhooks", json={"url": receiver.url("/hang")}, headers=key)
        assert made.status_code == 201
        assert httpx.post(f"{base}/v1/reports", json=dalian_bundle(), headers=key).status_code == 201
        receiver.wait_for("/hang", 1)  # the delivery is in flight: claimed, sent, not yet answered
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    # A change committed by another process while no server runs.
    second = tmp_path / "second.json"
    second.write_text(json.dumps(dalian_bundle(id="dalian-while-down")), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABORWATCH_")}
    ingest = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", "from api.cli import app; app()", "ingest", str(second)],
        env=env | ENV | {"DATABASE_URL": database.url},
        capture_output=True,
        check=False,
    )
    assert ingest.returncode == 0, ingest.stderr.decode()
    assert event_states(database) == Counter({"pending": 2})
    receiver.release()  # from now on the receiver answers at once
    with server(database):
        got = receiver.wait_for("/hang", 3, timeout=60)
        deadline = time.monotonic() + 15
        while event_states(database) != Counter({"delivered": 2}) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        got = receiver.at("/hang")
    received = Counter(r.headers["webhook-id"] for r in got)
    written = 2
    delivered = len(received)
    duplicated = sum(count - 1 for count in received.values())
    print(f"\nkill -9: events written {written}, delivered {delivered}, duplicated {duplicated}, lost 0")
    assert delivered == written  # none lost
    assert sorted(received.values()) == [1, 2]  # the one in flight at the kill came again, once
    assert event_states(database) == Counter({"delivered": 2})
    assert [r.event["report_id"] for r in got] == [
        "dalian-fish-plant",
        "dalian-fish-plant",
        "dalian-while-down",
    ]


def test_laborwatch_deliver_once_sends_what_is_due(database: Database, receiver: Receiver) -> None:
    """With servers not delivering, `laborwatch deliver --once` sends each due event and exits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABORWATCH_")}
    env |= {**ENV, "DATABASE_URL": database.url, "LABORWATCH_WEBHOOK_DELIVERY": "false"}
    command = [sys.executable, "-c", "from api.cli import app; app()"]
    with server(database, delivery=False) as (base, _):
        key = admin_key(database)
        made = httpx.post(f"{base}/v1/webhooks", json={"url": receiver.url("/ok")}, headers=key)
        assert made.status_code == 201
        for number in range(3):
            posted = httpx.post(f"{base}/v1/reports", json=dalian_bundle(id=f"dalian-{number}"), headers=key)
            assert posted.status_code == 201
        time.sleep(1.5)  # what a delivering server would have sent by now
        assert receiver.at("/ok") == []
        done = subprocess.run([*command, "deliver", "--once"], env=env, capture_output=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "3 deliveries tried"
    assert [r.event["report_id"] for r in receiver.at("/ok")] == ["dalian-0", "dalian-1", "dalian-2"]
    assert event_states(database) == Counter({"delivered": 3})
