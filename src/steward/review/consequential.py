"""Which guardrail versions serve a system the inventory registers as consequential.

A system makes or supports consequential decisions when it names consequential domains or is
high-risk under the EU AI Act (:attr:`steward.govern.inventory.AISystem.consequential`); its
``guardrails`` list the (guardrail id, version) pairs in front of it. The apply path asks
this index once per request, so the set is kept in memory and reloaded every ``ttl_s``
seconds (an inventory change reaches every process within that time). Once loaded, a stale
index is reloaded in a background thread while requests go on with the last set
(:meth:`ReloadedIndex.refresh_in_background`): no request waits on the inventory but the first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

__all__ = ["ConsequentialIndex", "ReloadedIndex", "SystemIndex"]

log = logging.getLogger(__name__)

#: Seconds before a failed background reload is tried again.
RETRY_S = 5.0


class ReloadedIndex:
    """What both indexes share: a load time, and staleness once it is ``ttl_s`` old."""

    def __init__(self, *, ttl_s: float) -> None:
        self._ttl = ttl_s
        self._loaded_at: float | None = None
        self._lock = threading.Lock()
        self._reloading = False

    @property
    def loaded(self) -> bool:
        """Whether the index was loaded at least once (until then it knows nothing)."""
        return self._loaded_at is not None

    @property
    def stale(self) -> bool:
        """Whether the index should be reloaded before it is trusted."""
        return self._loaded_at is None or time.monotonic() - self._loaded_at > self._ttl

    def refresh(self) -> None:
        """Reload from the source (which may read the database: call it off the event loop)."""
        raise NotImplementedError

    def refresh_in_background(self) -> bool:
        """Start a reload in a daemon thread unless one is running; whether this call started one.

        Readers keep the last loaded data meanwhile. A failed reload is logged by its kind and
        tried again :data:`RETRY_S` seconds later (the old data stays in use).
        """
        with self._lock:
            if self._reloading:
                return False
            self._reloading = True
        threading.Thread(target=self._reload, name=f"steward-{type(self).__name__}", daemon=True).start()
        return True

    def _reload(self) -> None:
        try:
            self.refresh()
        except Exception as exc:
            log.warning(
                "%s reload failed (%s); retrying in %.0f s", type(self).__name__, type(exc).__name__, RETRY_S
            )
            with self._lock:
                if self._loaded_at is not None:
                    self._loaded_at = time.monotonic() - self._ttl + RETRY_S
        finally:
            with self._lock:
                self._reloading = False

    def _publish(self, **state: object) -> None:
        """Swap in freshly loaded attributes and restart the clock, in one step under the lock."""
        with self._lock:
            for name, value in state.items():
                setattr(self, name, value)
            self._loaded_at = time.monotonic()


class ConsequentialIndex(ReloadedIndex):
    """A cached set of consequential (guardrail id, version) pairs, from ``load``."""

    def __init__(self, load: Callable[[], Iterable[tuple[str, str]]], *, ttl_s: float = 30.0) -> None:
        super().__init__(ttl_s=ttl_s)
        self._load = load
        self._pairs: frozenset[tuple[str, str]] = frozenset()

    def refresh(self) -> None:
        """Reload the set (``load`` may read the database: call it off the event loop)."""
        self._publish(_pairs=frozenset(self._load()))

    def covers(self, guardrail_id: str | None, version: str | None) -> bool:
        """Whether this guardrail version serves a consequential system (as last loaded)."""
        return guardrail_id is not None and version is not None and (guardrail_id, version) in self._pairs


class SystemIndex(ReloadedIndex):
    """Which inventory system a guardrail version serves, from ``load``'s (guardrail id, version,
    system id) triples; cached and reloaded every ``ttl_s`` seconds like :class:`ConsequentialIndex`.

    The proxy asks it on every answer to link the system's notice from its disclosure header,
    so it must not read the register each time.
    """

    def __init__(self, load: Callable[[], Iterable[tuple[str, str, str]]], *, ttl_s: float = 30.0) -> None:
        super().__init__(ttl_s=ttl_s)
        self._load = load
        self._exact: dict[tuple[str, str], str] = {}
        self._any: dict[str, str] = {}

    def refresh(self) -> None:
        """Reload the map (``load`` may read the database: call it off the event loop).

        Where several systems list one guardrail, the smallest system id wins, so every process
        links the same notice.
        """
        exact: dict[tuple[str, str], str] = {}
        any_version: dict[str, str] = {}
        for guardrail_id, version, system_id in sorted(self._load(), key=lambda t: t[2]):
            exact.setdefault((guardrail_id, version), system_id)
            any_version.setdefault(guardrail_id, system_id)
        self._publish(_exact=exact, _any=any_version)

    def system_for(self, guardrail_id: str, version: str) -> str | None:
        """The system this guardrail version serves: one listing this exact version, else one
        listing another version of the guardrail (a system follows its guardrail's releases); None
        when no system lists the guardrail."""
        return self._exact.get((guardrail_id, version)) or self._any.get(guardrail_id)
