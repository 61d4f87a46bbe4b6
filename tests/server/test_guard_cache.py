from __future__ import annotations

from collections.abc import Iterator

import pytest

from steward.errors import NotFoundError
from steward.policy import parse_policy
from steward.server.guards import GuardCache
from steward.store.db import make_engine, session_factory, upgrade
from steward.store.guardrails import GuardrailStore

A = {"name": "a", "word_filters": {"words": ["alpha"]}}
B = {"name": "b", "word_filters": {"words": ["beta"]}}


@pytest.fixture
def store(fresh_db_url: str) -> Iterator[GuardrailStore]:
    upgrade(fresh_db_url)
    engine = make_engine(fresh_db_url)
    store = GuardrailStore(session_factory(engine))
    store.create("g", parse_policy(A))
    store.create_version("g")
    store.update("g", policy=parse_policy(B))
    store.create_version("g")
    yield store
    engine.dispose()


def test_versions_are_built_once_and_reused(store: GuardrailStore) -> None:
    cache = GuardCache(store)
    first = cache.get("g", "1")
    assert first.guard is cache.get("g", "1").guard
    assert (first.guardrail_id, first.version, first.policy.name) == ("g", "1", "a")
    assert cache.get("g", "2").policy.name == "b"


def test_draft_follows_the_revision(store: GuardrailStore) -> None:
    cache = GuardCache(store)
    before = cache.get("g", "DRAFT")
    assert before.guard is cache.get("g", "draft").guard
    store.update("g", policy=parse_policy(A))  # as another process would
    after = cache.get("g", "DRAFT")
    assert after.guard is not before.guard and after.policy.name == "a"


def test_alias_moves_are_followed_after_the_ttl_or_invalidation(store: GuardrailStore) -> None:
    store.set_alias("g", "prod", 1)
    patient = GuardCache(store, resolve_ttl_s=3600)
    eager = GuardCache(store, resolve_ttl_s=0)
    assert patient.get("g", "prod").version == eager.get("g", "prod").version == "1"
    store.set_alias("g", "prod", 2)
    assert eager.get("g", "prod").version == "2"
    assert patient.get("g", "prod").version == "1"  # still trusting what it resolved
    patient.invalidate("g")
    assert patient.get("g", "prod").version == "2"


def test_missing_things_raise_not_found(store: GuardrailStore) -> None:
    cache = GuardCache(store)
    with pytest.raises(NotFoundError):
        cache.get("nope", "1")
    with pytest.raises(NotFoundError):
        cache.get("g", "7")


def test_warm_builds_alias_and_latest_guards(store: GuardrailStore) -> None:
    store.set_alias("g", "prod", 1)
    cache = GuardCache(store)
    assert cache.warm() == 2
    assert cache.warm(limit=1) == 1


def test_a_recreated_guardrail_never_reuses_old_guards(store: GuardrailStore) -> None:
    cache = GuardCache(store, resolve_ttl_s=0)
    assert cache.get("g", "1").policy.name == "a"
    assert cache.get("g", "DRAFT").policy.name == "b"
    # Another process deletes the guardrail and creates a new one under the same id, whose
    # version 1 and DRAFT revision 2 hold other policies than the cached ones did.
    store.delete("g")
    store.create("g", parse_policy(B))
    store.create_version("g")
    store.update("g", policy=parse_policy(A))
    assert cache.get("g", "1").policy.name == "b"
    assert cache.get("g", "DRAFT").policy.name == "a"
