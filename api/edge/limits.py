"""Every per-client limit in one room: write rates, refused keys, export slots, heavy reads in flight.

Their sizes are settings (`LABORWATCH_RATE_LIMIT_*`, `LABORWATCH_MAX_EXPORTS*`,
`LABORWATCH_MAX_HEAVY_READS_PER_CLIENT`); the request head and body limits are `api.edge.headlimits`
and `api.edge.bodylimit`, a bundle's caps `api.ingest.loader`.
"""

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.errors import LaborwatchError, TooManyRequests

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
    The methods never await, and the app runs them on its one event loop thread, so each runs whole.
    """

    def __init__(self, writes: str, auth_failures: str) -> None:
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.writes = parse_limits(writes)
        self.auth_failures = parse_limits(auth_failures)
        self.lookups: Counter[str] = Counter()  # key lookups in flight, per address

    def start_lookup(self, address: str) -> int | None:
        """Reserve a key lookup for `address`: None (reserved), or the seconds to wait to present a key.

        An address with no refused key in the window looks up keys freely, so that writers with valid
        keys working in parallel from one address are not held back. Once it has a refused key, each of
        its lookups in flight counts as a failure until it ends (`end_lookup`), so concurrent guesses
        cannot outrun the limit: refused when used + in flight >= it. (The one burst that passes is the
        first, of an address with a clean record: as many guesses as it has requests in flight at once.)
        """
        counter = [(AUTH_FAILURES_BY_ADDRESS, address)]
        suspect = any(
            self.limiter.get_window_stats(limit, *counter[0]).remaining < limit.amount
            for limit in self.auth_failures
        )
        cost = self.lookups[address] + 1 if suspect else 1
        wait = self._wait(self.auth_failures, counter, cost=cost)
        if wait is None:
            self.lookups[address] += 1
        return wait

    def end_lookup(self, address: str, *, failed: bool) -> None:
        """End a lookup reserved by `start_lookup`, counting a refused key when it `failed`."""
        self.lookups[address] -= 1
        if self.lookups[address] <= 0:
            del self.lookups[address]
        if failed:
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

    def _wait(
        self, limits: Sequence[RateLimitItem], counters: Sequence[tuple[str, str]], cost: int = 1
    ) -> int | None:
        """Whole seconds (at least 1) until every counter has room for `cost`, or None if all have it now.

        A counter with room that only lookups in flight fill frees when they end, within 1 s.
        """
        now = time.time()
        frees_at = [
            self.limiter.get_window_stats(limit, *counter).reset_time
            if not self.limiter.test(limit, *counter)
            else now + 1
            for limit in limits
            for counter in counters
            if not self.limiter.test(limit, *counter, cost=cost)
        ]
        if not frees_at:
            return None
        return max(1, math.ceil(max(frees_at) - now))


class TooManyExports(LaborwatchError):
    """The client has as many exports running as it may (`LABORWATCH_MAX_EXPORTS_PER_CLIENT`)."""

    status = 429


class ExportsBusy(LaborwatchError):
    """The process runs as many exports as it may (`LABORWATCH_MAX_EXPORTS`), whoever asked them."""

    status = 503


class ExportSlots:
    """Counts the exports in flight, by client address; an export holds its slot until its body ends.

    A count of what runs now, not a rate: a client may start exports one after the other as fast as it
    likes, but not run more than `per_client` at a time. The total is bounded too, because each export
    holds a pooled database connection for as long as it streams: other reads must find one.
    """

    def __init__(self, per_client: int, total: int) -> None:
        self.per_client = per_client
        self.total = total
        self._lock = threading.Lock()
        self._by_client: Counter[str] = Counter()
        self._running = 0

    def take(self, client: str) -> Callable[[], None]:
        """Take a slot for `client`, or refuse (429 for this client, 503 for the process); returns release."""
        with self._lock:
            if self._by_client[client] >= self.per_client:
                raise TooManyExports(
                    f"At most {self.per_client} exports may run at once per client; wait for one to end."
                )
            if self._running >= self.total:
                raise ExportsBusy("The server is running as many exports as it can; try again shortly.")
            self._by_client[client] += 1
            self._running += 1
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if released:
                    return
                released = True
                self._running -= 1
                self._by_client[client] -= 1
                if not self._by_client[client]:
                    del self._by_client[client]

        return release

    def running(self) -> int:
        """How many exports hold a slot now."""
        with self._lock:
            return self._running


class HeavyReadSlots:
    """Counts the heavy reads (search, `as_of`, stats, histories, big pages) of each client address.

    A count of what runs or waits now, not a rate: one address may have at most `per_client` of them in
    flight (`LABORWATCH_MAX_HEAVY_READS_PER_CLIENT`), so that a flood from one address can fill only its
    share of the heavy read slots and the others' requests still find theirs.
    """

    def __init__(self, per_client: int) -> None:
        self.per_client = per_client
        self._lock = threading.Lock()
        self._by_client: Counter[str] = Counter()

    def take(self, client: str) -> Callable[[], None]:
        """Count a heavy read of `client`, or refuse it (429); returns what gives the count back."""
        with self._lock:
            if self._by_client[client] >= self.per_client:
                raise TooManyRequests(
                    f"At most {self.per_client} searches, histories or other heavy reads may run at once "
                    "per client; wait for one to end.",
                    retry_after=1,
                )
            self._by_client[client] += 1
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if released:
                    return
                released = True
                self._by_client[client] -= 1
                if not self._by_client[client]:
                    del self._by_client[client]

        return release
