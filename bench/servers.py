"""The servers of the read benchmark as subprocesses: laborwatch, Datasette on the same file, bare Starlette.

Each runs in a session of its own, so a Ctrl-C at the terminal reaches only the harness, which then stops
the whole process group (workers included): SIGINT, and SIGKILL if it has not exited within 15 s.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.settings import PROJECT_ROOT
from bench.server import free_port

LABORWATCH = (sys.executable, "-c", "from api.cli import app; app()")
STOP_SECONDS = 15
# Datasette's defaults, except: no facet suggestions (laborwatch computes none), and a statement time
# limit as long as laborwatch's own requests may take, so that no query is cut short under load.
DATASETTE_SETTINGS = {"suggest_facets": "off", "sql_time_limit_ms": "5000"}


@dataclass(frozen=True)
class Running:
    """A server that answers: its name, process id and base URL."""

    name: str
    pid: int
    base_url: str


# Above any wrk connection count the bench uses.
HEAVY_READS_UNDER_LOAD = 1024


def server_env(database_url: str | None = None) -> dict[str, str]:
    """The environment of a server: ours, without settings that would change what is measured."""
    env = {key: value for key, value in os.environ.items() if key not in {"LABORWATCH_PUBLIC_URL"}}
    env.pop("LABORWATCH_DATABASE_URL", None)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


@contextmanager
def running(
    name: str, command: list[str], env: dict[str, str], log_path: Path, ready_path: str, port: int
) -> Iterator[Running]:
    """Start `command`, wait until `ready_path` answers 200, yield it, and stop its process group."""
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter or a tool of the venv, fixed arguments)
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_until_ready(process, base_url + ready_path, log_path)
            yield Running(name, process.pid, base_url)
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started in a session of its own, and everything in its group."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_SECONDS)
    # Workers may outlive their parent; the group id is the parent's pid.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_SECONDS)


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({process.returncode}):\n{_tail(log_path)}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in time:\n{_tail(log_path)}")


def _tail(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-2000:]


def loaded_stack(group: int) -> str:
    """The event loop and HTTP parser the processes of a group have loaded, as "uvloop/httptools".

    Read from /proc/PID/maps: uvloop's and httptools' compiled modules appear there once imported, and
    uvicorn imports them only when it uses them; otherwise it runs asyncio and h11. When the group holds
    workers as well as their supervisor, only the workers (which serve) count.
    """
    found: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii", errors="replace").rpartition(")")[2].split()
            if int(fields[2]) != group:  # field 5 of proc(5), pgrp
                continue
            if b"resource_tracker" in (stat.parent / "cmdline").read_bytes():
                continue  # multiprocessing's helper next to uvicorn's workers, which serves nothing
            maps = (stat.parent / "maps").read_text(encoding="utf-8", errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        loop = "uvloop" if "/uvloop/" in maps else "asyncio"
        http = "httptools" if "/httptools/" in maps else "h11"
        found[int(stat.parent.name)] = f"{loop}/{http}"
    if len(found) > 1:
        found.pop(group, None)
    return ", ".join(sorted(set(found.values()))) or "unknown"


def serve_takes_workers() -> bool:
    """Whether this checkout's `laborwatch serve` has a `--workers` option."""
    completed = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [*LABORWATCH, "serve", "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**server_env(), "COLUMNS": "200", "NO_COLOR": "1"},
    )
    return "--workers" in completed.stdout


@contextmanager
def laborwatch(database_url: str, log_path: Path, workers: int | None) -> Iterator[Running]:
    """`laborwatch serve` on the database (which is not empty, so serve only migrates: a no-op)."""
    port = free_port()
    command = [*LABORWATCH, "serve", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    # wrk is one client address with every connection: the per-address cap on heavy reads (search) would
    # answer most of its requests 429, which Datasette, having no such cap, never does.
    env = {**server_env(database_url), "LABORWATCH_MAX_HEAVY_READS_PER_CLIENT": str(HEAVY_READS_UNDER_LOAD)}
    with running("laborwatch", command, env, log_path, "/health", port) as server:
        yield server


@contextmanager
def datasette(
    db_file: Path,
    log_path: Path,
    metadata: dict[str, Any],
    immutable: bool,
    stack: tuple[str, str] | None = None,
) -> Iterator[Running]:
    """Datasette serving the SQLite file, read-only (`-i`, immutable) unless told otherwise.

    With `stack` (uvicorn's loop and http, e.g. ("asyncio", "h11")) it runs under `bench.datasette_stack`,
    which builds the app as `datasette serve` does; without, it is `datasette serve` itself.
    """
    port = free_port()
    metadata_path = log_path.with_suffix(".metadata.json")
    metadata_path.write_text(json.dumps(metadata), encoding="utf-8")
    if stack is None:
        command = [sys.executable, "-m", "datasette", "serve"]
    else:
        command = [sys.executable, "-m", "bench.datasette_stack", "--loop", stack[0], "--http", stack[1]]
    command += ["-i", str(db_file)] if immutable else [str(db_file)]
    command += ["-p", str(port), "-h", "127.0.0.1", "-m", str(metadata_path)]
    for name, value in DATASETTE_SETTINGS.items():
        command += ["--setting", name, value]
    with running("Datasette", command, server_env(), log_path, "/-/versions.json", port) as server:
        yield server


@contextmanager
def bare(payload_path: Path, log_path: Path, workers: int | None) -> Iterator[Running]:
    """The bare Starlette app answering the payload file."""
    port = free_port()
    command = [sys.executable, "-m", "bench.bare", "--port", str(port), "--payload", str(payload_path)]
    if workers is not None:
        command += ["--workers", str(workers)]
    with running("bare Starlette", command, server_env(), log_path, "/health", port) as server:
        yield server
