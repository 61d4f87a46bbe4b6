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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from steward.cache import LruCache
from steward.errors import StewardError
from steward.guard import Guard
from steward.policy import Policy, parse_policy
from steward.store.guardrails import DRAFT, LATEST, GuardrailStore, ResolvedRef

__all__ = ["GuardCache", "ResolvedGuard"]

#: Built guards kept per process; the least recently used is dropped beyond this.
MAX_GUARDS = 64
#: Resolved references (alias or number -> version) kept per process, least recently used dropped.
MAX_REFS = 10_000


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
        #: (guardrail id, reference) -> what it resolved to, trusted for ``resolve_ttl_s``.
        self._refs: LruCache[tuple[str, str], ResolvedRef] = LruCache(MAX_REFS, ttl_s=resolve_ttl_s)
        self._guards: LruCache[tuple[str, str, int, datetime | None], Guard] = LruCache(max_guards)
        self._build_lock = threading.Lock()
        #: Applied to every guard as it is built (monitoring's OpenTelemetry spans, when turned on).
        self.decorate: Callable[[Guard], Guard] | None = None

    def invalidate(self, guardrail_id: str) -> None:
        """Forget everything about a guardrail (after this process changed it)."""
        self._refs.discard_where(lambda key: key[0] == guardrail_id)
        self._guards.discard_where(lambda key: key[0] == guardrail_id)

    def _resolve(self, guardrail_id: str, ref: str) -> ResolvedRef:
        if ref.upper() == DRAFT:
            return self._store.resolve(guardrail_id, DRAFT)
        cached = self._refs.get((guardrail_id, ref))
        if cached is not None:
            return cached
        resolved = self._store.resolve(guardrail_id, ref)
        self._refs.put((guardrail_id, ref), resolved)
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
                    if resolved.version == DRAFT:  # an older revision of this DRAFT is dead weight
                        self._guards.discard_where(lambda old: old[:2] == key[:2])
                    self._guards.put(key, guard)
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
        guard = Guard(parse_policy(document, origin=origin))
        return guard if self.decorate is None else self.decorate(guard)
