"""Slow statements, bulk rows, waiting and stalled exports, for the tests of limits."""

import socket
import time
from collections.abc import Callable

from sqlalchemy import Engine, text

# Slow by construction on both backends: SQLite and PostgreSQL count a recursive CTE row by row.
COUNT_TO = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {stop}) SELECT count(*) FROM n"
)
ENDLESS = COUNT_TO.format(stop=10**12)

# Constant SQL: the columns and values of a made-up facility numbered i.
BULK_INSERT = (
    "INSERT INTO facility (id, name, kind, sector, sector_fold, country, city, workers_value, claim_count, "
    "report_count, search_text, created_at) SELECT 'bulk-' || i, 'Bulk ' || i, 'factory', 'garment', "
    "'garment', 'RU', 'City ' || (i % 997), i % 500, 0, 0, '', CURRENT_TIMESTAMP FROM "
)

NUMBERS = {
    "sqlite": "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
    "SELECT i FROM n) AS numbers",
    "postgresql": "generate_series(1, :count) AS i",
}


def bulk_facilities(engine: Engine, count: int) -> None:
    """Add `count` facilities straight into the table, enough to make an aggregate slow."""
    with engine.begin() as connection:
        connection.execute(text(BULK_INSERT + NUMBERS[engine.dialect.name]), {"count": count})


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll `condition` until it holds or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# Enough rows that an unread export fills the socket buffers and stays in flight.
FACILITIES = 150_000
EXPORT = "/v1/facilities?format=csv"


def stalled_export(port: int, path: str = EXPORT) -> socket.socket:
    """Ask an export on a raw socket with a tiny receive buffer, and never read it: the client stalls."""
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    stalled.connect(("127.0.0.1", port))
    stalled.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    # Wait until the answer has begun (its slot is taken then), peeking so that nothing is read from it:
    # without this, a request sent next on a loaded machine can be admitted first.
    stalled.settimeout(30)
    stalled.recv(len(b"HTTP/1.1 200"), socket.MSG_PEEK)
    stalled.settimeout(None)
    return stalled
