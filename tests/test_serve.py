"""`laborwatch serve` end to end: a real server process migrates, seeds an empty database and answers."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.cli.serve import PARENT_ENV, server_options
from api.settings import Settings
from tests.conftest import Database
from tests.helpers.serving import wait_until_serving
from tests.served import free_port


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


def children(pid: int) -> list[int]:
    """The worker processes of a server: its children that run multiprocessing's spawn entry point."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads worker processes from /proc")
@pytest.mark.parametrize(
    ("how", "stop"),
    [("option", signal.SIGINT), ("setting", signal.SIGTERM), ("option", signal.SIGKILL)],
    ids=["option-SIGINT", "env-SIGTERM", "option-SIGKILL"],
)
def test_serve_with_two_workers_reads_settings_from_dotenv_and_stops_cleanly(
    database: Database, tmp_path: Path, how: str, stop: signal.Signals
) -> None:
    port = free_port()
    # Settings given only in a `.env` file of the working directory must reach every worker.
    workdir = tmp_path / "run"
    workdir.mkdir()
    dotenv = [f"DATABASE_URL={database.url}", "LABORWATCH_MAX_OFFSET=7"]
    arguments = ["serve", "--port", str(port)]
    if how == "option":
        arguments += ["--workers", "2"]
    else:
        dotenv.append("LABORWATCH_WORKERS=2")
    (workdir / ".env").write_text("\n".join(dotenv) + "\n", encoding="utf-8")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LABORWATCH_") and name != "DATABASE_URL"
    }
    # Output to a file, not a pipe: a worker that outlived the server would hold a pipe open and its
    # read would wait for ever, where this test should fail on the assertion below.
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-c", "from api.cli import app; app()", *arguments],
            env=env,
            cwd=workdir,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base)
        workers = children(process.pid)
        assert len(workers) == 2, workers
        for _ in range(20):  # new connections, spread over the workers by the kernel
            with httpx.Client() as client:
                assert client.get(f"{base}/v1/facilities", params={"country": "RU"}).json()["total"] == 2
                assert client.get(f"{base}/v1/facilities", params={"offset": 8}).status_code == 422
        process.send_signal(stop)
        # SIGINT and SIGTERM stop the workers, then the server; after SIGKILL the workers notice alone.
        assert process.wait(timeout=30) == (-signal.SIGKILL if stop == signal.SIGKILL else 0)
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{worker}").exists() for worker in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [worker for worker in workers if Path(f"/proc/{worker}").exists()]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert output.count("seeded dailynk-garment-orders-russia") == 1  # seeded once, by the parent


def test_one_process_serves_on_asyncios_event_loop_and_several_workers_on_uvloop() -> None:
    # One process on uvloop answered some connections seconds late while others went on; several workers
    # on asyncio's loop did not share the connections (docs/performance.md, "Tail latency").
    assert server_options(Settings())["loop"] == "asyncio"
    assert server_options(Settings(), workers=2)["loop"] == "uvloop"


def test_a_worker_whose_server_died_before_it_started_stops_instead_of_serving() -> None:
    # A worker that finished importing after its server was SIGKILLed once took init for its parent and
    # served on; it is told its server's id (PARENT_ENV) and stops at once when that process is gone.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    env = {**os.environ, PARENT_ENV: str(gone.pid)}
    worker = subprocess.run(
        [sys.executable, "-c", "from api.cli.serve import worker_app; worker_app(); print('serving')"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert worker.returncode == -signal.SIGTERM, worker
    assert "serving" not in worker.stdout
