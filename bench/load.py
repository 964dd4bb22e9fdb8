"""The load generator: `wrk` with a small Lua script whose `done()` prints one parseable line of figures."""

import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

RESULT_MARK = "BENCH-RESULT "

# Threads' counters are read back with thread:get() in done(), which runs in the main Lua state.
# Defining response() makes wrk parse every response, so every server pays that same client cost.
LUA_SCRIPT = """
local paths = {PATHS}
local threads = {}
local counter = 0
non2xx = 0

function setup(thread)
  table.insert(threads, thread)
end

ROTATE

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    "MARK{\\"requests\\": %d, \\"duration_us\\": %d, \\"bytes\\": %d, \\"p50_us\\": %d, \\"p90_us\\": %d, "
      .. "\\"p99_us\\": %d, \\"max_us\\": %d, \\"non2xx\\": %d, \\"connect_errors\\": %d, "
      .. "\\"read_errors\\": %d, \\"write_errors\\": %d, \\"timeouts\\": %d}\\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, bad, errors.connect, errors.read, errors.write, errors.timeout))
end
"""
ROTATE_REQUEST = """
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
"""


class WrkMissing(RuntimeError):
    """wrk is not installed."""


@dataclass(frozen=True)
class LoadResult:
    """What one wrk run measured; latencies in milliseconds."""

    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int
    mib: float
    # The server's CPU time (its processes, user and system) per request answered, when measured: on a
    # machine shared with other work, steadier than requests per second.
    cpu_ms_per_request: float | None = None

    def as_dict(self) -> dict[str, float | int]:
        """The figures as plain JSON values."""
        return asdict(self)


@dataclass(frozen=True)
class LoadSettings:
    """How wrk runs: the same for every server and request."""

    threads: int = 1
    connections: int = 32
    seconds: float = 8.0
    warmup_seconds: float = 1.0
    timeout_seconds: float = 10.0


def find_wrk() -> str:
    """The path of the wrk executable, or WrkMissing saying how to get it."""
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing(
            "wrk (the HTTP load generator) is not installed. On Debian or Ubuntu: sudo apt-get install wrk; "
            "on macOS: brew install wrk; or build it from source."
        )
    return found


def wrk_version(wrk: str) -> str:
    """The first line wrk prints about itself."""
    completed = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return (completed.stdout or completed.stderr).splitlines()[0].split(" Copyright")[0].strip()


def lua_script(paths: list[str]) -> str:
    """The script for these request paths (rotated in turn when there are several)."""
    quoted = ", ".join(json.dumps(path) for path in paths)
    script = LUA_SCRIPT.replace("{PATHS}", "{" + quoted + "}").replace("MARK", RESULT_MARK)
    return script.replace("ROTATE", ROTATE_REQUEST if len(paths) > 1 else "")


def run_wrk(wrk: str, urls: list[str], settings: LoadSettings, *, warm: bool = True) -> LoadResult:
    """Load the URLs (all on one server) with wrk: a warm-up run first, then the measured run."""
    first = urlsplit(urls[0])
    paths = [_path(url) for url in urls]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-wrk-", delete=False) as script:
        script.write(lua_script(paths))
    script_path = Path(script.name)
    try:
        if warm and settings.warmup_seconds > 0:
            _wrk_once(wrk, first.geturl(), script_path, settings, settings.warmup_seconds)
        return _wrk_once(wrk, first.geturl(), script_path, settings, settings.seconds)
    finally:
        script_path.unlink(missing_ok=True)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _wrk_once(wrk: str, url: str, script: Path, settings: LoadSettings, seconds: float) -> LoadResult:
    command = [
        wrk,
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={max(1, round(settings.timeout_seconds))}s",
        "-s",
        str(script),
        url,
    ]
    completed = subprocess.run(  # noqa: S603 (wrk and arguments we build)
        command, capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            raw = json.loads(line.removeprefix(RESULT_MARK))
            break
    else:
        raise RuntimeError(
            f"wrk printed no result ({completed.returncode}):\n{completed.stdout}{completed.stderr}"
        )
    duration = raw["duration_us"] / 1e6
    return LoadResult(
        requests=raw["requests"],
        seconds=duration,
        requests_per_second=raw["requests"] / duration if duration else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        non2xx=raw["non2xx"],
        socket_errors=raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"],
        mib=raw["bytes"] / 1024 / 1024,
    )
