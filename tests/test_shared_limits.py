"""Limits shared through Redis (`LABORWATCH_LIMITS_STORAGE`): real `laborwatch serve` processes count once.

Every test talks to the Redis at 127.0.0.1:6379 (skipped when none answers; CI runs one), in a database
number of its own choosing, and counts for client addresses of its own (through a trusted proxy's
`X-Forwarded-For`), so parallel runs do not meet.
"""

import random
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from pydantic import ValidationError
from sqlalchemy import Engine

from api.auth.keys import Role, create_key
from api.db.engine import write_session
from api.edge.limits import ExportsBusy, SharedExportSlots, TooManyExports
from api.edge.limitstore import LimitStore
from api.settings import Settings
from tests.conftest import Database
from tests.helpers.bundles import report_bundle
from tests.helpers.serving import an_address, serve, serve_env, wait_until
from tests.served import free_port

REDIS = "127.0.0.1:6379"
# Generous: the machines these run on are shared, and a slow answer is not what is tested here.
TIMEOUT_S = 60


@pytest.fixture
def redis_url() -> str:
    """A Redis database for this test (1 to 15, chosen at random); skip when no Redis answers."""
    try:
        redis.Redis.from_url(f"redis://{REDIS}/0", socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS}")
    return f"redis://{REDIS}/{random.randint(1, 15)}"  # noqa: S311 - spreading tests, not a secret


def shared_env(database: Database, redis_url: str, **settings: str) -> dict[str, str]:
    """A server's environment: limits in `redis_url`, the test's own addresses believed from 127.0.0.1."""
    return serve_env(database.url, limits_storage=redis_url, trusted_proxies='["127.0.0.1"]', **settings)


def guess(base: str, address: str) -> int:
    """Present a wrong key from `address`, on a new connection; the status."""
    headers = {"Authorization": f"Bearer lw_{uuid.uuid4().hex}", "X-Forwarded-For": address}
    response = httpx.post(f"{base}/v1/reports", json=report_bundle(), headers=headers, timeout=TIMEOUT_S)
    return response.status_code


@pytest.fixture
def editor_key(engine: Engine) -> str:
    """An editor key in the (migrated) test database."""
    with write_session(engine) as session:
        return create_key(session, f"editor-{uuid.uuid4().hex[:8]}", Role.EDITOR)


def test_two_processes_refuse_the_sixth_wrong_key_across_both(
    database: Database, engine: Engine, redis_url: str, tmp_path: Path
) -> None:
    env = shared_env(database, redis_url, rate_limit_auth_failures="5/hour")
    address = an_address()
    with serve(env, tmp_path) as first, serve(env, tmp_path) as second:
        statuses = [guess((first, second)[number % 2].base, address) for number in range(8)]
        # Shared: 5 refused keys in all, then every process refuses the address.
        assert statuses == [401] * 5 + [429] * 3
        assert guess(first.base, an_address()) == 401  # another address is not held back
        assert "limits are shared" in first.log_text()


def test_two_workers_refuse_the_sixth_wrong_key(
    database: Database, engine: Engine, redis_url: str, tmp_path: Path
) -> None:
    env = shared_env(database, redis_url, rate_limit_auth_failures="5/hour")
    address = an_address()
    with serve(env, tmp_path, workers=2) as served:
        # Both workers up (each checks the store as it starts), so that the kernel spreads the guesses.
        assert wait_until(lambda: served.log_text().count("limits are shared") == 2, 60)
        # Each guess on a new connection.
        statuses = [guess(served.base, address) for _ in range(10)]
        assert statuses == [401] * 5 + [429] * 5


def test_two_processes_share_the_write_limit(
    database: Database, engine: Engine, editor_key: str, redis_url: str, tmp_path: Path
) -> None:
    env = shared_env(database, redis_url, rate_limit_writes="3/hour")
    address = an_address()
    headers = {"Authorization": f"Bearer {editor_key}", "X-Forwarded-For": address}
    with serve(env, tmp_path) as first, serve(env, tmp_path) as second:
        statuses = []
        for number in range(5):
            base = (first, second)[number % 2].base
            bundle = report_bundle(id=f"shared-{number}")
            response = httpx.post(f"{base}/v1/reports", json=bundle, headers=headers, timeout=TIMEOUT_S)
            statuses.append(response.status_code)
        assert statuses == [201, 201, 201, 429, 429]
        refused = httpx.post(
            f"{second.base}/v1/reports", json=report_bundle(id="late"), headers=headers, timeout=TIMEOUT_S
        )
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 3600
        listed = httpx.get(f"{first.base}/v1/reports", timeout=TIMEOUT_S).json()["items"]
        ids = {item["id"] for item in listed}
        assert {f"shared-{number}" for number in range(5)} & ids == {"shared-0", "shared-1", "shared-2"}


def export_status(base: str, address: str) -> int:
    """The status of a CSV export asked from `address` (its body read whole, so its slot is freed)."""
    response = httpx.get(
        f"{base}/v1/facilities",
        params={"format": "csv"},
        headers={"X-Forwarded-For": address},
        timeout=TIMEOUT_S,
    )
    return response.status_code


def test_export_slots_held_by_another_process_count(
    database: Database, engine: Engine, redis_url: str, tmp_path: Path
) -> None:
    """This test's own process holds slots in the shared store, as another server would."""
    env = shared_env(database, redis_url, max_exports_per_client="1", max_exports="2")
    holder, other, third = an_address(), an_address(), an_address()
    elsewhere = SharedExportSlots(LimitStore(redis_url), per_client=1, total=2)
    try:
        with serve(env, tmp_path) as served:
            release_holder = elsewhere.take(holder)
            assert export_status(served.base, holder) == 429  # its one slot is taken elsewhere
            assert export_status(served.base, other) == 200  # the second slot of the server
            # The server frees the slot of the export just read once its body has ended.
            release_third = take_soon(elsewhere, third)
            assert export_status(served.base, other) == 503  # both slots are taken elsewhere
            release_holder()
            release_third()
            assert export_status(served.base, holder) == 200
            assert export_status(served.base, other) == 200
    finally:
        elsewhere.close()


def take_soon(slots: SharedExportSlots, client: str) -> Callable[[], None]:
    """A slot for `client`, waiting up to 10 s for one to free."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return slots.take(client)
        except (TooManyExports, ExportsBusy):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def can_take(slots: SharedExportSlots, client: str) -> bool:
    try:
        slots.take(client)()
    except TooManyExports:
        return False
    return True


def test_a_slot_of_a_dead_process_frees_within_two_leases_and_a_live_one_is_kept(redis_url: str) -> None:
    lease_s = 3.0
    client = an_address()
    dead = SharedExportSlots(LimitStore(redis_url), per_client=1, total=10, lease_s=lease_s)
    live = SharedExportSlots(LimitStore(redis_url), per_client=1, total=10, lease_s=lease_s)
    other = SharedExportSlots(LimitStore(redis_url), per_client=1, total=10, lease_s=lease_s)
    try:
        dead.take(client)
        dead.close()  # renews nothing any more, as a killed process would
        assert not can_take(other, client)
        assert wait_until(lambda: can_take(other, client), 3 * lease_s)
        # A holder that lives renews its lease: its slot stays taken past two leases.
        release = live.take(client)
        time.sleep(2.5 * lease_s)
        assert not can_take(other, client)
        release()
        assert can_take(other, client)
        held = [other.take(an_address()) for _ in range(10)]
        with pytest.raises(ExportsBusy):  # the total counts every client
            other.take(an_address())
        for give_back in held:
            give_back()
    finally:
        for slots in (dead, live, other):
            slots.close()


def test_the_server_keeps_answering_when_the_store_is_down_and_says_so(
    database: Database, engine: Engine, tmp_path: Path
) -> None:
    """Nothing listens at the store's port: limits are counted in the process, and the log says so."""
    down = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    env = serve_env(
        database.url,
        limits_storage=down,
        trusted_proxies='["127.0.0.1"]',
        rate_limit_auth_failures="3/hour",
    )
    address = an_address()
    with serve(env, tmp_path) as served:
        assert httpx.get(f"{served.base}/v1/facilities", timeout=TIMEOUT_S).status_code == 200
        assert export_status(served.base, address) == 200
        # The limits fail over to the process: they still hold, as with `memory://`.
        assert [guess(served.base, address) for _ in range(5)] == [401] * 3 + [429] * 2
        log = served.log_text()
    assert "is unreachable" in log
    assert "each process counts the limits on its own" in log
    assert "hunter2" not in log  # a store's password is never logged


def test_an_unknown_storage_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="unknown limits storage scheme"):
        Settings(limits_storage="carrier-pigeon://127.0.0.1")
    with pytest.raises(ValidationError, match="unknown limits storage scheme"):
        Settings(limits_storage="async+redis://127.0.0.1:6379")  # the limits run synchronously
    assert Settings(limits_storage="redis://127.0.0.1:6379/3").limits_storage == "redis://127.0.0.1:6379/3"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[tuple[int, Callable[[], None]]]:
    """A free port, and how to start a Redis of this test's own on it (stopped afterwards)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    started: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        started.append(
            subprocess.Popen(  # noqa: S603 - the machine's redis-server, our own arguments
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    yield port, start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def test_limits_are_shared_again_once_the_store_answers(
    database: Database, engine: Engine, redis_server: tuple[int, Callable[[], None]], tmp_path: Path
) -> None:
    port, start_redis = redis_server
    env = serve_env(
        database.url,
        limits_storage=f"redis://127.0.0.1:{port}/0",
        trusted_proxies='["127.0.0.1"]',
        rate_limit_auth_failures="1000/hour",
    )
    with serve(env, tmp_path) as served:
        assert "is unreachable" in served.log_text()
        assert guess(served.base, an_address()) == 401
        start_redis()
        store = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
        assert wait_until(lambda: _answers(store), 10)

        # The process tries the store again 5 s after it last failed; each guess asks it.
        def shared_again() -> bool:
            return guess(served.base, an_address()) == 401 and "answers again" in served.log_text()

        assert wait_until(shared_again, 30)
        assert guess(served.base, an_address()) == 401
        keys: int = store.dbsize()  # type: ignore[assignment]  # the sync client answers an int
        assert keys > 0  # the refused keys are counted in the store again


def _answers(store: "redis.Redis") -> bool:
    try:
        return bool(store.ping())
    except redis.RedisError:
        return False
