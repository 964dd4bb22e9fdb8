"""Where the per-client limits count: this process's memory, or a store every process shares.

`LABORWATCH_LIMITS_STORAGE` names the store as a storage URI of the `limits` library (`memory://`, the
default; `redis://host:6379/0`, `memcached://host:11211`, ...). When a shared store cannot be reached the
limits fall back to this process's memory, so they still hold, per process, and the server keeps
answering; the outage and its end are logged (docs/deploy.md, "Shared limits").
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.storage.base import MovingWindowSupport
from limits.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter

log = logging.getLogger("laborwatch")

MEMORY = "memory://"
# After a failed call the shared store is left alone this long, so that an outage costs a request at
# most one connection attempt per process every few seconds, not one each.
RETRY_S = 5.0
# A store that does not answer must not hold a request (the limits run on the event loop) for long;
# a URI's own parameters (e.g. `?socket_timeout=1`) take precedence.
TIMEOUT_S = 0.25
_TIMEOUTS: dict[str, dict[str, float | str | bool]] = {
    "redis": {"socket_timeout": TIMEOUT_S, "socket_connect_timeout": TIMEOUT_S},
    "memcached": {"timeout": TIMEOUT_S, "connect_timeout": TIMEOUT_S},
}

T = TypeVar("T")
K = TypeVar("K")


def storage_scheme(uri: str) -> str:
    """The scheme of a storage URI, checked: one the `limits` library knows and serves synchronously."""
    from limits._storage_scheme import SCHEMES  # the registry `storage_from_string` reads

    scheme = urlsplit(uri).scheme
    if scheme not in SCHEMES or scheme.startswith("async+"):
        known = ", ".join(sorted(name for name in SCHEMES if not name.startswith("async+")))
        raise ValueError(f"unknown limits storage scheme {scheme!r}; one of: {known}")
    return scheme


def shown(uri: str) -> str:
    """The URI as it may be logged: without its password."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:" if parts.username else ":"
    return urlunsplit(parts._replace(netloc=f"{user}[redacted]@{host}"))


def limiter_for(storage: Storage) -> RateLimiter:
    """Moving windows where the storage keeps them (memory, Redis, MongoDB), else sliding counters."""
    if isinstance(storage, MovingWindowSupport):
        return MovingWindowRateLimiter(storage)
    return SlidingWindowCounterRateLimiter(storage)


class LimitStore:
    """The counters' places: this process's memory, and the shared store if set; `run` picks one.

    Thread-safe: export slots are renewed from a thread of their own.
    """

    def __init__(self, uri: str = MEMORY) -> None:
        self.uri = uri
        self.local = MemoryStorage()
        self.shared: Storage | None = None
        scheme = storage_scheme(uri)
        if scheme != "memory":
            family = "redis" if scheme.startswith(("redis", "valkey")) else scheme
            options = _TIMEOUTS.get(family, {})
            storage = storage_from_string(uri, wrap_exceptions=True, **options)
            assert isinstance(storage, Storage)  # noqa: S101 - async schemes are refused above
            self.shared = storage
        self._lock = threading.Lock()
        self._retry_at = 0.0
        self._down = False

    def check(self) -> bool:
        """At start-up: say in the log whether the shared store answers; True if it does (or none is set)."""
        if self.shared is None:
            return True
        if self.shared.check():
            log.info("limits storage %s answers; limits are shared", shown(self.uri))
            return True
        self._failed("it did not answer at start-up")
        return False

    def run(self, action: Callable[[K], T], local: K, shared: K | None) -> T:
        """`action` on the shared store's `shared` if it answers, else on this process's `local`."""
        if shared is None or not self._try_shared():
            return action(local)
        try:
            result = action(shared)
        except StorageError as exc:
            self._failed(str(exc.storage_error) or type(exc.storage_error).__name__)
            return action(local)
        self._answered()
        return result

    def failed(self, error: StorageError) -> None:
        """Note a failed call made outside `run` (the export slots' renewals)."""
        self._failed(str(error.storage_error) or type(error.storage_error).__name__)

    def _try_shared(self) -> bool:
        with self._lock:
            return not self._down or time.monotonic() >= self._retry_at

    def _failed(self, reason: str) -> None:
        with self._lock:
            first = not self._down
            self._down = True
            self._retry_at = time.monotonic() + RETRY_S
        if first:
            log.warning(
                "limits storage %s is unreachable (%s); each process counts the limits on its own "
                "until it answers",
                shown(self.uri),
                reason,
                extra={"limits_storage": "unreachable"},
            )

    def _answered(self) -> None:
        with self._lock:
            was_down = self._down
            self._down = False
        if was_down:
            log.warning(
                "limits storage %s answers again; limits are shared again",
                shown(self.uri),
                extra={"limits_storage": "reachable"},
            )
