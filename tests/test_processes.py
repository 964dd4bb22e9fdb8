"""Child processes end with their parent: `kill -9` of `laborwatch ingest --jobs 2` leaves no orphans."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Database
from tests.helpers.bundles import report

BUNDLES = 3000


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc")
def test_parsing_processes_exit_when_ingest_is_killed(database: Database, tmp_path: Path) -> None:
    folder = tmp_path / "bundles"
    folder.mkdir()
    for index in range(BUNDLES):
        (folder / f"r{index:05}.json").write_text(json.dumps(report(index, 10 + index)), encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": database.url}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", "from api.cli import app; app()", "ingest", "--jobs", "2", str(folder)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = children_of(process.pid)
        assert len(workers) == 2, "ingest started its two parsing processes"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
        deadline = time.monotonic() + 5
        while any(alive(worker) for worker in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [worker for worker in workers if alive(worker)]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for worker in workers:
            if alive(worker):
                os.kill(worker, signal.SIGKILL)
