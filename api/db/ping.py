"""Checking a pooled PostgreSQL connection before use only when it has been idle: no round trip per request.

SQLAlchemy's `pool_pre_ping` sends `SELECT 1` at every checkout: on a busy server that was one of the
five round trips of a JSON page (with BEGIN, the count, the page and ROLLBACK). A connection given back
moments ago is as alive as the last statement it ran; one idle for longer may have been closed by the
server, a proxy or a restart, and is pinged as before (replaced by a new one when the ping fails).
"""

import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

# A connection idle for longer than this is pinged at checkout.
PING_AFTER_IDLE_S = 5.0
_IDLE_SINCE = "laborwatch_idle_since"


def ping_when_idle(engine: Engine) -> None:
    """Ping a connection at checkout when it was idle for `PING_AFTER_IDLE_S`, or is new to this check."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure: the pool discards this connection and opens another
            raise DisconnectionError(
                f"a pooled connection did not answer its ping ({exc.__class__.__name__})"
            ) from exc
