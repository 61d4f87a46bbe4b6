"""Per-key request rate limits: a token bucket per API key, per process.

Off unless ``STEWARD_RATE_LIMIT`` (requests per second per key) is set. Each key may burst
up to ``STEWARD_RATE_BURST`` requests (default: one second's worth), then is held to the
rate; over it the server answers 429 ``ThrottlingException``, as Bedrock does. Buckets live
in each process, so with N worker processes a key may reach N times the rate.
"""

from __future__ import annotations

import threading
import time

from steward.cache import LruCache
from steward.errors import ThrottledError

__all__ = ["RateLimiter"]

_MAX_BUCKETS = 100_000


class RateLimiter:
    """Token buckets keyed by API key id."""

    def __init__(self, rate: float, *, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        #: key id -> (tokens left, when counted); beyond the bound the least recently used key
        #: is forgotten (it comes back with a full bucket, as after an idle spell), not every key.
        self._buckets: LruCache[str, tuple[float, float]] = LruCache(_MAX_BUCKETS)
        self._lock = threading.Lock()  # one read-modify-write of a bucket at a time

    def check(self, key_id: str, *, now: float | None = None) -> None:
        """Take one token for ``key_id``; :class:`ThrottledError` if none is left."""
        if self.rate <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets.put(key_id, (tokens, now))
                wait = (1.0 - tokens) / self.rate
                raise ThrottledError(
                    f"key {key_id} is over its limit of {self.rate:g} requests per second; retry in {wait:.2f} s"
                )
            self._buckets.put(key_id, (tokens - 1.0, now))
