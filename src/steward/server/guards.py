"""Built guards, cached per (guardrail, version) in the process.

Building a :class:`~steward.guard.Guard` compiles patterns and may load models, so it is
done once per version. Numbered versions never change, so their guards are kept until
evicted (the key includes the version's creation time, so a guardrail deleted and re-created
under the same id never reuses an old guard). A DRAFT guard is keyed by the DRAFT's revision counter, which is read from the
database on every DRAFT request, so an edit made through any process is seen at once.
What an alias or version number resolves to is trusted for ``resolve_ttl_s`` seconds
(an alias moved through another process is seen within that time; through this one, at
once).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from steward.errors import StewardError
from steward.guard import Guard
from steward.policy import Policy, parse_policy
from steward.store.guardrails import DRAFT, LATEST, GuardrailStore, ResolvedRef

__all__ = ["GuardCache", "ResolvedGuard"]

#: Built guards kept per process; the least recently used is dropped beyond this.
MAX_GUARDS = 64


@dataclass(frozen=True, slots=True)
class ResolvedGuard:
    """A guard ready to apply, with the guardrail id and the version it was built from.

    ``version`` is the concrete version (``"3"`` or ``"DRAFT"``), even when the caller
    named an alias.
    """

    guard: Guard
    guardrail_id: str
    version: str

    @property
    def policy(self) -> Policy:
        """The policy the guard applies."""
        return self.guard.policy

    @property
    def keep_matched_text(self) -> bool:
        """Whether the policy lets the audit trail keep matched text."""
        return self.guard.policy.audit.keep_matched_text


class GuardCache:
    """Resolves a guardrail id and version reference to a built guard."""

    def __init__(
        self, store: GuardrailStore, *, resolve_ttl_s: float = 1.0, max_guards: int = MAX_GUARDS
    ) -> None:
        self._store = store
        self._ttl = resolve_ttl_s
        self._max = max_guards
        self._refs: dict[tuple[str, str], tuple[ResolvedRef, float]] = {}
        self._guards: OrderedDict[tuple[str, str, int, datetime | None], Guard] = OrderedDict()
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()

    def invalidate(self, guardrail_id: str) -> None:
        """Forget everything about a guardrail (after this process changed it)."""
        with self._lock:
            for key in [k for k in self._refs if k[0] == guardrail_id]:
                del self._refs[key]
            for gkey in [k for k in self._guards if k[0] == guardrail_id]:
                del self._guards[gkey]

    def _resolve(self, guardrail_id: str, ref: str) -> ResolvedRef:
        if ref.upper() == DRAFT:
            return self._store.resolve(guardrail_id, DRAFT)
        now = time.monotonic()
        cached = self._refs.get((guardrail_id, ref))
        if cached is not None and now - cached[1] <= self._ttl:
            return cached[0]
        resolved = self._store.resolve(guardrail_id, ref)
        with self._lock:
            if len(self._refs) > 10_000:
                self._refs.clear()
            self._refs[(guardrail_id, ref)] = (resolved, now)
        return resolved

    def get(self, guardrail_id: str, version: str) -> ResolvedGuard:
        """The guard for ``guardrail_id`` at ``version`` (a number, ``DRAFT`` or an alias).

        Raises :class:`~steward.errors.NotFoundError` if the guardrail, version or alias
        does not exist.
        """
        resolved = self._resolve(guardrail_id, version)
        key = (resolved.guardrail_id, resolved.version, resolved.revision, resolved.created)
        guard = self._guards.get(key)
        if guard is None:
            with self._build_lock:
                guard = self._guards.get(key)
                if guard is None:
                    guard = self._build(resolved)
                    with self._lock:
                        if resolved.version == DRAFT:
                            for old in [k for k in self._guards if k[:2] == key[:2]]:
                                del self._guards[old]
                        self._guards[key] = guard
                        while len(self._guards) > self._max:
                            self._guards.popitem(last=False)
        else:
            with self._lock:
                if key in self._guards:
                    self._guards.move_to_end(key)
        return ResolvedGuard(guard=guard, guardrail_id=resolved.guardrail_id, version=resolved.version)

    def warm(self, *, limit: int = 16) -> int:
        """Build the guards callers are likely to use first, and run each once.

        For every guardrail (up to ``limit`` guards in all): the versions its aliases point
        to and its latest version. Running each guard once loads any model its detectors
        load lazily, so the first real request does not pay for it. Returns how many guards
        were warmed; a guardrail that fails to build is skipped (its requests will say why).
        """
        warmed = 0
        for info in self._store.list_all():
            refs = [a.name for a in self._store.list_aliases(info.id)] + [LATEST]
            for ref in refs:
                if warmed >= limit:
                    return warmed
                try:
                    resolved = self.get(info.id, ref)
                    resolved.guard.apply("Steward warm-up text.", "input")
                except StewardError:
                    continue
                warmed += 1
        return warmed

    def _build(self, resolved: ResolvedRef) -> Guard:
        if resolved.version == DRAFT:
            document = self._store.get(resolved.guardrail_id).policy
        else:
            document = self._store.get_version(resolved.guardrail_id, int(resolved.version)).policy
        origin = f"stored policy of {resolved.guardrail_id}:{resolved.version}"
        return Guard(parse_policy(document, origin=origin))
