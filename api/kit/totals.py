"""Totals of list queries remembered per data version, so that asking the same list again does not recount.

A list's total depends on its filters, the audience and the data; the data version (api/db/version.py)
changes with every write. A total is remembered under (data version, audience, path and filters), and
only the newest version's totals are kept: the first total remembered under a newer version forgets the
others. The version is read before the count, and a read sees at least the data of that version, so a
total is never remembered under a version newer than the data it counted; one counted just after a
write under the version read just before it is only ever answered to requests that read that older
version too (they race with the same write).

Each server process remembers its own (no shared store): a miss costs what a count costs anyway.
"""

import threading
from collections import OrderedDict

# Totals remembered at most, the least recently used forgotten first (a key is about 100 bytes).
MAX_TOTALS = 4096


class Totals:
    """The totals of the newest data version, by (audience, path and filters); safe from any thread."""

    def __init__(self, capacity: int = MAX_TOTALS) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._version: int | None = None
        self._totals: OrderedDict[str, int] = OrderedDict()

    def get(self, version: int, key: str) -> int | None:
        """The total remembered under `version` and `key`, or None."""
        with self._lock:
            if version != self._version:
                return None
            total = self._totals.get(key)
            if total is not None:
                self._totals.move_to_end(key)
            return total

    def put(self, version: int, key: str, total: int) -> None:
        """Remember `total` under `version` and `key` (nothing, when a newer version is already kept)."""
        with self._lock:
            if self._version is not None and version < self._version:
                return
            if version != self._version:
                self._version = version
                self._totals.clear()
            self._totals[key] = total
            self._totals.move_to_end(key)
            while len(self._totals) > self.capacity:
                self._totals.popitem(last=False)
