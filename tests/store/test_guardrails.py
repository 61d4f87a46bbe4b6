from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from steward.errors import ConflictError, InputError, NotFoundError
from steward.policy import load_policy, parse_policy
from steward.store.db import make_engine, session_factory
from steward.store.guardrails import DRAFT, GuardrailStore, policy_diff


@pytest.fixture
def store(db_url: str) -> Iterator[GuardrailStore]:
    engine = make_engine(db_url)
    yield GuardrailStore(session_factory(engine))
    engine.dispose()


def _gid() -> str:
    return "s" + uuid.uuid4().hex[:12]


def test_versions_freeze_the_draft(store: GuardrailStore) -> None:
    gid = _gid()
    store.create(gid, load_policy("pii-mask"))
    v1 = store.create_version(gid, description="one")
    store.update(gid, policy=parse_policy({"name": "other"}))
    v2 = store.create_version(gid)
    assert (v1.version, v2.version) == (1, 2)
    assert store.get_version(gid, 1).policy["name"] == "pii-mask"
    assert store.get_version(gid, 2).policy["name"] == "other"
    assert store.get(gid).draft_revision == 2


def test_resolve_every_kind_of_reference(store: GuardrailStore) -> None:
    gid = _gid()
    store.create(gid, load_policy("pii-mask"))
    assert store.resolve(gid, "draft").version == DRAFT
    with pytest.raises(NotFoundError, match="version"):
        store.resolve(gid, "latest")
    store.create_version(gid)
    store.create_version(gid)
    assert store.resolve(gid, "latest").version == "2"
    assert store.resolve(gid, "1").version == "1"
    store.set_alias(gid, "production", 1)
    assert store.resolve(gid, "production").version == "1"
    store.set_alias(gid, "production", 2)
    assert store.resolve(gid, "production").version == "2"
    with pytest.raises(NotFoundError, match="alias"):
        store.resolve(gid, "staging")
    with pytest.raises(NotFoundError, match="guardrail"):
        store.resolve("nosuch" + gid, "1")
    with pytest.raises(InputError):
        store.resolve(gid, "Bad Alias")


def test_delete_cascades_and_ids_are_checked(store: GuardrailStore) -> None:
    gid = _gid()
    store.create(gid, load_policy("pii-mask"))
    store.create_version(gid)
    store.set_alias(gid, "prod", 1)
    with pytest.raises(ConflictError):
        store.create(gid, load_policy("pii-mask"))
    store.delete(gid)
    with pytest.raises(NotFoundError):
        store.get(gid)
    with pytest.raises(NotFoundError):
        store.get_version(gid, 1)
    with pytest.raises(InputError):
        store.create("UPPER", load_policy("pii-mask"))


def test_policy_diff_is_field_level() -> None:
    a = {"name": "x", "content_filters": [{"category": "HATE", "input_strength": "LOW"}]}
    b = {"name": "x", "content_filters": [{"category": "HATE", "input_strength": "HIGH"}], "description": "d"}
    diff = policy_diff(a, b, old_label="g:1", new_label="g:2")
    assert diff["changes"] == [
        {"field": "content_filters[HATE].input_strength", "change": "changed", "old": "LOW", "new": "HIGH"},
        {"field": "description", "change": "added", "new": "d"},
    ]
    assert diff["unified"].startswith("--- g:1\n+++ g:2\n")
