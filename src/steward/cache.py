"""One bounded, thread-safe cache for every process-local memo in Steward.

Steward remembers many things per process: verified bearer tokens (an scrypt check each),
key records, built guards, what an alias resolves to, token buckets, embeddings. Each used to
be its own dictionary with its own bound, and several forgot *everything* once full, so one
burst of new keys made every known caller pay the slow path again. :class:`LruCache` is the
one mechanism instead: a size bound that evicts the least recently used entry only, and an
optional time-to-live after which an entry is fetched again (so a change made through another
process is seen within that time).

Every method takes one lock, so it may be shared by the server's threads; the value is built
outside the lock by the caller (``get`` then ``put``), so a slow build never blocks readers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar, overload

__all__ = ["LruCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")


class LruCache(Generic[K, V]):
    """At most ``maxsize`` entries, least recently used evicted first; entries older than
    ``ttl_s`` seconds (``None``: no limit) count as absent. ``maxsize=0`` keeps nothing (a
    cache a user turned off).

    ``clock`` returns seconds (``time.monotonic`` by default); tests pass their own to move
    time without sleeping.
    """

    def __init__(
        self, maxsize: int, *, ttl_s: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if maxsize < 0:
            raise ValueError(f"maxsize must not be negative, not {maxsize}")
        if ttl_s is not None and ttl_s < 0:
            raise ValueError(f"ttl_s must not be negative, not {ttl_s}")
        self.maxsize = maxsize
        self.ttl_s = ttl_s
        self._clock = clock
        self._data: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            entry = self._data.get(key)  # type: ignore[arg-type]
            return entry is not None and not self._expired(entry[1])

    def _expired(self, stored: float) -> bool:
        return self.ttl_s is not None and self._clock() - stored > self.ttl_s

    @overload
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: D) -> V | D: ...
    def get(self, key: K, default: object = None) -> object:
        """The value for ``key`` (now the most recently used), or ``default`` if absent or expired."""
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return default
            if self._expired(entry[1]):
                del self._data[key]
                return default
            self._data.move_to_end(key)
            return entry[0]

    def put(self, key: K, value: V) -> None:
        """Store ``value`` (its age starts now); beyond ``maxsize`` the least recently used goes."""
        with self._lock:
            self._data[key] = (value, self._clock())
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def keys(self) -> list[K]:
        """The keys held, least recently used first (expired ones included until next read)."""
        with self._lock:
            return list(self._data)

    def pop(self, key: K) -> V | None:
        """Forget ``key``; its value if it was there (expired or not)."""
        with self._lock:
            entry = self._data.pop(key, None)
            return None if entry is None else entry[0]

    def discard_where(self, predicate: Callable[[K], bool]) -> int:
        """Forget every key for which ``predicate`` is true (say, all of one guardrail); how many."""
        with self._lock:
            doomed = [key for key in self._data if predicate(key)]
            for key in doomed:
                del self._data[key]
            return len(doomed)

    def clear(self) -> None:
        """Forget everything (on purpose: a benchmark timing the uncached path, a key shredded)."""
        with self._lock:
            self._data.clear()
