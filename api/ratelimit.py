"""Rate limits of writes (per key and per client address) and of failed authentications (per address)."""

import math
import time
from collections.abc import Sequence

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

# The counters' namespaces: a key's name and an address never share a counter.
WRITES_BY_KEY = "write-key"
WRITES_BY_ADDRESS = "write-address"
AUTH_FAILURES_BY_ADDRESS = "auth-failure-address"


def parse_limits(text: str) -> list[RateLimitItem]:
    """The limits of a setting in the `limits` notation (`600/minute`, several joined by `;`)."""
    return list(parse_many(text))


class RateLimits:
    """The counters of one server process, in memory, over moving windows.

    Each process counts on its own: with several workers a client may make up to workers x the limit.
    """

    def __init__(self, writes: str, auth_failures: str) -> None:
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.writes = parse_limits(writes)
        self.auth_failures = parse_limits(auth_failures)

    def auth_blocked(self, address: str) -> int | None:
        """Seconds until `address` may present a key again, or None while it is under the failure limit."""
        return self._wait(self.auth_failures, [(AUTH_FAILURES_BY_ADDRESS, address)])

    def auth_failed(self, address: str) -> None:
        """Count a refused key presented from `address`."""
        for limit in self.auth_failures:
            self.limiter.hit(limit, AUTH_FAILURES_BY_ADDRESS, address)

    def take_write(self, key_name: str, address: str) -> int | None:
        """Count a write by the key `key_name` from `address`; None, or the seconds to wait if over a limit.

        When either the key or the address is at its limit, nothing is counted.
        """
        counters = [(WRITES_BY_KEY, key_name), (WRITES_BY_ADDRESS, address)]
        wait = self._wait(self.writes, counters)
        if wait is None:
            for limit in self.writes:
                for counter in counters:
                    self.limiter.hit(limit, *counter)
        return wait

    def _wait(self, limits: Sequence[RateLimitItem], counters: Sequence[tuple[str, str]]) -> int | None:
        """Whole seconds (at least 1) until every full counter has a free slot, or None if none is full."""
        frees_at = [
            self.limiter.get_window_stats(limit, *counter).reset_time
            for limit in limits
            for counter in counters
            if not self.limiter.test(limit, *counter)
        ]
        if not frees_at:
            return None
        return max(1, math.ceil(max(frees_at) - time.time()))
