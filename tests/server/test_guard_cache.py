from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from steward.app.guards import GuardCache
from steward.errors import NotFoundError
from steward.policy import parse_policy
from steward.store.db import make_engine, session_factory
from steward.store.guardrails import GuardrailStore

A = {"name": "a", "word_filters": {"words": ["alpha"]}}
B = {"name": "b", "word_filters": {"words": ["beta"]}}


@pytest.fixture
def gid() -> str:
    """A guardrail id of the test's own (the database is shared by the session)."""
    return "c" + uuid.uuid4().hex[:12]


@pytest.fixture
def store(db_url: str, gid: str) -> Iterator[GuardrailStore]:
    """A store holding guardrail ``gid``: version 1 = A, version 2 = B, DRAFT = B."""
    engine = make_engine(db_url)
    store = GuardrailStore(session_factory(engine))
    store.create(gid, parse_policy(A))
    store.create_version(gid)
    store.update(gid, policy=parse_policy(B))
    store.create_version(gid)
    yield store
    engine.dispose()


def test_versions_are_built_once_and_reused(store: GuardrailStore, gid: str) -> None:
    cache = GuardCache(store)
    first = cache.get(gid, "1")
    assert first.guard is cache.get(gid, "1").guard
    assert (first.guardrail_id, first.version, first.policy.name) == (gid, "1", "a")
    assert cache.get(gid, "2").policy.name == "b"


def test_draft_follows_the_revision(store: GuardrailStore, gid: str) -> None:
    cache = GuardCache(store)
    before = cache.get(gid, "DRAFT")
    assert before.guard is cache.get(gid, "draft").guard
    store.update(gid, policy=parse_policy(A))  # as another process would
    after = cache.get(gid, "DRAFT")
    assert after.guard is not before.guard and after.policy.name == "a"


def test_alias_moves_are_followed_after_the_ttl_or_invalidation(store: GuardrailStore, gid: str) -> None:
    store.set_alias(gid, "prod", 1)
    patient = GuardCache(store, resolve_ttl_s=3600)
    eager = GuardCache(store, resolve_ttl_s=0)
    assert patient.get(gid, "prod").version == eager.get(gid, "prod").version == "1"
    store.set_alias(gid, "prod", 2)
    assert eager.get(gid, "prod").version == "2"
    assert patient.get(gid, "prod").version == "1"  # still trusting what it resolved
    patient.invalidate(gid)
    assert patient.get(gid, "prod").version == "2"


def test_missing_things_raise_not_found(store: GuardrailStore, gid: str) -> None:
    cache = GuardCache(store)
    with pytest.raises(NotFoundError):
        cache.get("nope", "1")
    with pytest.raises(NotFoundError):
        cache.get(gid, "7")


def test_warm_builds_alias_and_latest_guards(fresh_db_url: str) -> None:
    from steward.store.db import upgrade

    upgrade(fresh_db_url)
    engine = make_engine(fresh_db_url)
    store = GuardrailStore(session_factory(engine))
    store.create("w", parse_policy(A))
    store.create_version("w")
    store.create_version("w")
    store.set_alias("w", "prod", 1)
    cache = GuardCache(store)
    assert cache.warm() == 2
    assert cache.warm(limit=1) == 1
    engine.dispose()


def test_a_recreated_guardrail_never_reuses_old_guards(store: GuardrailStore, gid: str) -> None:
    cache = GuardCache(store, resolve_ttl_s=0)
    assert cache.get(gid, "1").policy.name == "a"
    assert cache.get(gid, "DRAFT").policy.name == "b"
    # Another process deletes the guardrail and creates a new one under the same id, whose
    # version 1 and DRAFT revision 2 hold other policies than the cached ones did.
    store.delete(gid)
    store.create(gid, parse_policy(B))
    store.create_version(gid)
    store.update(gid, policy=parse_policy(A))
    assert cache.get(gid, "1").policy.name == "b"
    assert cache.get(gid, "DRAFT").policy.name == "a"
