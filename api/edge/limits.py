"""Every per-client limit in one room: write rates (per key and address), refused keys, and export slots.

Their sizes are settings (`LABORWATCH_RATE_LIMIT_*`, `LABORWATCH_MAX_EXPORTS*`,
`LABORWATCH_MAX_HEAVY_READS_PER_CLIENT`), and where they count
is `LABORWATCH_LIMITS_STORAGE` (`api.edge.limitstore`: this process, or a store every process shares);
the request head and body limits are `api.edge.headlimits` and `api.edge.bodylimit`, a bundle's caps
`api.ingest.loader`.
"""

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from api.edge.limitstore import LimitStore, limiter_for, log
from api.errors import LaborwatchError, TooManyRequests

# The counters' namespaces: a key's name and an address never share a counter.
WRITES_BY_KEY = "write-key"
WRITES_BY_ADDRESS = "write-address"
AUTH_FAILURES_BY_ADDRESS = "auth-failure-address"


def parse_limits(text: str) -> list[RateLimitItem]:
    """The limits of a setting in the `limits` notation (`600/minute`, several joined by `;`)."""
    return list(parse_many(text))


class RateLimits:
    """The write and refused-key counters, over moving windows, in the store of `LABORWATCH_LIMITS_STORAGE`.

    With the default (`memory://`) each process counts on its own: with several workers a client may make
    up to workers x the limit. With a shared store every process counts against one limit. The methods
    never await, and the app runs them on its one event loop thread, so each runs whole in this process.
    """

    def __init__(self, writes: str, auth_failures: str, store: LimitStore | None = None) -> None:
        self.store = store or LimitStore()
        self.local: RateLimiter = MovingWindowRateLimiter(self.store.local)
        self.shared = limiter_for(self.store.shared) if self.store.shared is not None else None
        self.writes = parse_limits(writes)
        self.auth_failures = parse_limits(auth_failures)
        # Key lookups in flight, per address, in this process (not shared: they last milliseconds).
        self.lookups: Counter[str] = Counter()

    def start_lookup(self, address: str) -> int | None:
        """Reserve a key lookup for `address`: None (reserved), or the seconds to wait to present a key.

        An address with no refused key in the window looks up keys freely, so that writers with valid
        keys working in parallel from one address are not held back. Once it has a refused key, each of
        its lookups in flight counts as a failure until it ends (`end_lookup`), so concurrent guesses
        cannot outrun the limit: refused when used + in flight >= it. (The one burst that passes is the
        first, of an address with a clean record: as many guesses as it has requests in flight at once.)
        """
        counter = [(AUTH_FAILURES_BY_ADDRESS, address)]
        in_flight = self.lookups[address]

        def wait_of(limiter: RateLimiter) -> int | None:
            suspect = any(
                limiter.get_window_stats(limit, *counter[0]).remaining < limit.amount
                for limit in self.auth_failures
            )
            cost = in_flight + 1 if suspect else 1
            return self._wait(limiter, self.auth_failures, counter, cost=cost)

        wait = self.store.run(wait_of, self.local, self.shared)
        if wait is None:
            self.lookups[address] += 1
        return wait

    def end_lookup(self, address: str, *, failed: bool) -> None:
        """End a lookup reserved by `start_lookup`, counting a refused key when it `failed`."""
        self.lookups[address] -= 1
        if self.lookups[address] <= 0:
            del self.lookups[address]
        if failed:

            def count(limiter: RateLimiter) -> None:
                for limit in self.auth_failures:
                    limiter.hit(limit, AUTH_FAILURES_BY_ADDRESS, address)

            self.store.run(count, self.local, self.shared)

    def take_write(self, key_name: str, address: str) -> int | None:
        """Count a write by the key `key_name` from `address`; None, or the seconds to wait if over a limit.

        When either the key or the address is at its limit, nothing is counted. Each count is taken
        atomically in the store, so processes racing for the last place cannot both have it (the loser's
        earlier counts of this write stay counted).
        """
        counters = [(WRITES_BY_KEY, key_name), (WRITES_BY_ADDRESS, address)]

        def take(limiter: RateLimiter) -> int | None:
            wait = self._wait(limiter, self.writes, counters)
            if wait is not None:
                return wait
            for limit in self.writes:
                for counter in counters:
                    if not limiter.hit(limit, *counter):
                        return self._wait(limiter, self.writes, counters) or 1
            return None

        return self.store.run(take, self.local, self.shared)

    @staticmethod
    def _wait(
        limiter: RateLimiter,
        limits: Sequence[RateLimitItem],
        counters: Sequence[tuple[str, str]],
        cost: int = 1,
    ) -> int | None:
        """Whole seconds (at least 1) until every counter has room for `cost`, or None if all have it now.

        A counter with room that only lookups in flight fill frees when they end, within 1 s.
        """
        now = time.time()
        frees_at = [
            limiter.get_window_stats(limit, *counter).reset_time
            if not limiter.test(limit, *counter)
            else now + 1
            for limit in limits
            for counter in counters
            if not limiter.test(limit, *counter, cost=cost)
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

    def close(self) -> None:
        """Nothing to stop: the counts live and die with the process."""


class Slots(Protocol):
    """Export slots, counted in this process (`ExportSlots`) or in a shared store (`SharedExportSlots`)."""

    def take(self, client: str) -> Callable[[], None]:
        """Take a slot for `client`, or refuse (429 for this client, 503 for the server); returns release."""

    def running(self) -> int:
        """How many exports of this process hold a slot now."""

    def close(self) -> None:
        """Stop what keeps the slots alive (at the end of the app's lifespan)."""


# How long a slot in a shared store outlives the process that holds it (killed, or cut off from the
# store): its slot frees between one and two leases later. A running export renews it every quarter.
EXPORT_LEASE_S = 15.0


@dataclass
class _Lease:
    """One slot held in the shared store: the keys of the lease periods reserved for it."""

    name: str
    keys: set[str] = field(default_factory=set)


class SharedExportSlots:
    """Export slots counted in a store every process shares: a client's and the server's, across hosts.

    A store's atomic counters have no decrement that every store offers (Memcached has none below 0) and
    no renewal of an expiry, so a slot is not a count but one of `per_client` (or `total`) numbered
    keys, in lease periods of `lease_s` seconds: slot `i` is held in period `p` while the key
    `<name>:<i>:<p>` exists. Taking it reserves the current and the next period (`incr` answers 1 only to
    whoever created the key, which is atomic in every store); while the export runs, a thread of this
    process reserves each next period in time; releasing deletes the keys. A process that dies renews
    nothing, so its slots free when their periods end: within two leases. When the store cannot be
    reached, the slots are counted in this process (`ExportSlots`) until it answers again.
    """

    def __init__(
        self, store: LimitStore, per_client: int, total: int, lease_s: float = EXPORT_LEASE_S
    ) -> None:
        assert store.shared is not None  # noqa: S101 - export_slots makes these only for a shared store
        self.store = store
        self.shared: Storage = store.shared
        self.per_client = per_client
        self.total = total
        self.lease_s = lease_s
        self.fallback = ExportSlots(per_client, total)
        self._lock = threading.Lock()
        self._held: dict[int, _Lease] = {}
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def take(self, client: str) -> Callable[[], None]:
        """Take a slot for `client`, or refuse (429 for this client, 503 for the server); returns release."""
        return self.store.run(lambda storage: self._take(storage, client), None, self.shared)

    def _take(self, storage: Storage | None, client: str) -> Callable[[], None]:
        if storage is None:
            return self.fallback.take(client)
        mine = self._claim(storage, f"laborwatch:exports:client:{client}", self.per_client)
        if mine is None:
            raise TooManyExports(
                f"At most {self.per_client} exports may run at once per client; wait for one to end."
            )
        everyone = self._claim(storage, "laborwatch:exports:all", self.total)
        if everyone is None:
            self._free(storage, mine)
            raise ExportsBusy("The server is running as many exports as it can; try again shortly.")
        leases = [mine, everyone]
        with self._lock:
            for lease in leases:
                self._held[id(lease)] = lease
            self._start_renewer()
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if released:
                    return
                released = True
                for lease in leases:
                    self._held.pop(id(lease), None)
            try:
                for lease in leases:
                    self._free(self.shared, lease)
            except StorageError as exc:
                self.store.failed(exc)  # the keys end with their periods

        return release

    def _period(self) -> int:
        return int(time.time() // self.lease_s)

    def _claim(self, storage: Storage, name: str, count: int) -> _Lease | None:
        """One of `count` numbered slots of `name`, held for this period and the next; or None."""
        period = self._period()
        expiry = math.ceil(self.lease_s * 2)  # the next period ends within two leases
        for number in range(count):
            now, after = f"{name}:{number}:{period}", f"{name}:{number}:{period + 1}"
            if storage.get(now) or storage.get(after):
                continue  # held: looking first spares the holder's counter an increment
            lease = _Lease(f"{name}:{number}")
            if storage.incr(now, expiry) == 1:
                lease.keys.add(now)
                if storage.incr(after, expiry) == 1:
                    lease.keys.add(after)
                    return lease
                self._free(storage, lease)
        return None

    @staticmethod
    def _free(storage: Storage, lease: _Lease) -> None:
        for key in list(lease.keys):  # a copy: the renewer may replace them meanwhile
            storage.clear(key)

    def _start_renewer(self) -> None:
        if self._renewer is None:
            self._renewer = threading.Thread(target=self._renew, name="export-slot-leases", daemon=True)
            self._renewer.start()

    def _renew(self) -> None:
        """Every quarter lease, reserve the next period of each slot held, so that none lapses."""
        while not self._stop.wait(self.lease_s / 4):
            with self._lock:
                held = list(self._held.values())
            period = self._period()
            expiry = math.ceil(self.lease_s * 2)
            try:
                for lease in held:
                    after = f"{lease.name}:{period + 1}"
                    if after in lease.keys:
                        continue
                    if self.shared.incr(after, expiry) != 1:
                        log.warning("an export slot lapsed (its renewal was late); another may take it")
                    lease.keys = {key for key in lease.keys if int(key.rsplit(":", 1)[1]) >= period}
                    lease.keys.add(after)
                    with self._lock:
                        released = id(lease) not in self._held
                    if released:  # released while this renewal ran: its new key goes too
                        self.shared.clear(after)
            except StorageError as exc:
                self.store.failed(exc)

    def running(self) -> int:
        """How many exports of this process hold a slot now (in the shared store or, in an outage, here)."""
        with self._lock:
            return len(self._held) // 2 + self.fallback.running()

    def close(self) -> None:
        """Stop renewing leases: slots still held end with their periods."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)


def export_slots(store: LimitStore, per_client: int, total: int) -> Slots:
    """The export slots of the app: in this process, or in the shared store when one is set."""
    if store.shared is None:
        return ExportSlots(per_client, total)
    return SharedExportSlots(store, per_client, total)


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
