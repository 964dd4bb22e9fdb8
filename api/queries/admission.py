"""How many streamed exports run at once: per client address, and in all, in one server process."""

import threading
from collections import Counter
from collections.abc import Callable

from api.errors import LaborwatchError


class TooManyExports(LaborwatchError):
    """The client has as many exports running as it may (`LABORWATCH_MAX_EXPORTS_PER_CLIENT`)."""

    status = 429
    code = "too_many_exports"


class ExportsBusy(LaborwatchError):
    """The process runs as many exports as it may (`LABORWATCH_MAX_EXPORTS`), whoever asked them."""

    status = 503
    code = "exports_busy"


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
