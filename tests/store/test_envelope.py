"""Envelope encryption of kept text: data keys per scope and day, wrapped by a master key.

Runs on SQLite and PostgreSQL (``db_url``); each test uses scopes of its own, since the
database is shared by the session.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import ShreddedError, StorageError
from steward.store.db import make_engine, session_factory
from steward.store.envelope import (
    ENV_MASTER_KEY,
    Envelope,
    KeyProvider,
    LocalKeyProvider,
    generate_master_key,
    master_key_id,
    scope_of,
    shred,
)
from steward.store.models.keys import DataKey
from steward.store.sealing import Sealer, open_sealer


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def scope() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def _key() -> bytes:
    return base64.b64decode(generate_master_key())


def test_round_trip_and_one_data_key_per_scope_and_day(sessions: sessionmaker[Session], scope: str) -> None:
    envelope = Envelope(sessions, LocalKeyProvider(keys=[_key()]))
    first = envelope.encrypt("my card is 4111 1111 1111 1111", scope=scope)
    second = envelope.encrypt("another text", scope=scope)
    assert first.startswith("v2.") and "4111" not in first
    assert envelope.decrypt(first) == "my card is 4111 1111 1111 1111"
    assert envelope.decrypt(second) == "another text"
    assert first.split(".")[1] == second.split(".")[1]  # the same day's key
    other_day = envelope.encrypt("old", scope=scope, day=date(2020, 1, 2))
    assert other_day.split(".")[1] != first.split(".")[1]
    with sessions() as session:
        rows = list(session.scalars(select(DataKey).where(DataKey.scope == scope)))
    assert sorted(r.day for r in rows)[0] == "2020-01-02" and len(rows) == 2
    assert all(r.wrapped and len(r.wrapped) > 32 for r in rows)  # stored wrapped, never raw


def test_a_second_process_reads_with_the_same_master_key(sessions: sessionmaker[Session], scope: str) -> None:
    master = _key()
    token = Envelope(sessions, LocalKeyProvider(keys=[master])).encrypt("kept", scope=scope)
    assert Envelope(sessions, LocalKeyProvider(keys=[master])).decrypt(token) == "kept"


def test_a_wrong_master_key_is_a_clear_error(sessions: sessionmaker[Session], scope: str) -> None:
    right, wrong = _key(), _key()
    token = Envelope(sessions, LocalKeyProvider(keys=[right])).encrypt("kept", scope=scope)
    with pytest.raises(
        StorageError, match=f"master key {master_key_id(right)}.*does not hold.*wrong master key"
    ):
        Envelope(sessions, LocalKeyProvider(keys=[wrong])).decrypt(token)


def test_a_changed_ciphertext_or_a_foreign_token_is_refused(
    sessions: sessionmaker[Session], scope: str
) -> None:
    envelope = Envelope(sessions, LocalKeyProvider(keys=[_key()]))
    token = envelope.encrypt("kept", scope=scope)
    head, key_id, body = token.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(StorageError, match="fails authentication"):
        envelope.decrypt(f"{head}.{key_id}.{flipped}")
    with pytest.raises(StorageError, match="not in Steward's envelope format"):
        envelope.decrypt("v2.nonsense")
    with pytest.raises(ShreddedError):
        envelope.decrypt(f"v2.{uuid.uuid4().hex}.{body}")  # no such data key


def test_a_shredded_key_makes_its_texts_unreadable(sessions: sessionmaker[Session], scope: str) -> None:
    master = _key()
    envelope = Envelope(sessions, LocalKeyProvider(keys=[master]))
    old = envelope.encrypt("from 2020", scope=scope, day=date(2020, 1, 1))
    new = envelope.encrypt("from today", scope=scope)
    assert shred(sessions, scope=scope, before=date(2021, 1, 1)) == 1
    assert shred(sessions, scope=scope, before=date(2021, 1, 1)) == 0  # idempotent
    fresh = Envelope(sessions, LocalKeyProvider(keys=[master]))  # no key cached in memory
    with pytest.raises(ShreddedError, match="crypto-shredded"):
        fresh.decrypt(old)
    assert fresh.decrypt(new) == "from today"
    with sessions() as session:
        row = session.scalar(select(DataKey).where(DataKey.scope == scope, DataKey.day == "2020-01-01"))
    assert row is not None and row.wrapped is None and row.shredded_at is not None


def test_the_sealer_reads_old_fernet_tokens_and_writes_envelopes(
    sessions: sessionmaker[Session], scope: str
) -> None:
    server_key = Fernet.generate_key()
    legacy = Sealer(server_key).seal("sealed before envelopes")
    sealer = Sealer(server_key, envelope=Envelope(sessions, LocalKeyProvider(keys=[_key()])))
    assert sealer.unseal(legacy) == "sealed before envelopes"
    token = sealer.seal("new", scope=scope)
    assert token.startswith("v2.") and sealer.unseal(token) == "new"
    with pytest.raises(StorageError, match="envelope encryption"):
        Sealer(server_key).unseal(token)


def test_master_key_file_is_created_private_and_env_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_MASTER_KEY, raising=False)
    provider = LocalKeyProvider(tmp_path / "d")
    path = provider.path
    assert path is not None and path.exists() and (path.stat().st_mode & 0o077) == 0
    assert LocalKeyProvider(tmp_path / "d").key_id == provider.key_id  # read back, not remade
    explicit = generate_master_key()
    monkeypatch.setenv(ENV_MASTER_KEY, explicit)
    assert LocalKeyProvider(tmp_path / "d").key_id == master_key_id(base64.b64decode(explicit))


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode(), " , "])
def test_a_malformed_master_key_is_a_clear_error(
    bad: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_MASTER_KEY, bad)
    with pytest.raises(StorageError, match=ENV_MASTER_KEY):
        LocalKeyProvider(tmp_path)


def test_local_provider_satisfies_the_kms_interface() -> None:
    provider = LocalKeyProvider(keys=[_key()])
    assert isinstance(provider, KeyProvider)
    data_key = b"k" * 32
    assert provider.unwrap(provider.key_id, provider.wrap(data_key)) == data_key


def test_open_sealer_defaults_to_a_master_key_derived_from_the_server_key(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_MASTER_KEY, raising=False)
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    sealer = open_sealer(sessions, tmp_path)
    token = sealer.seal("a secret", scope=scope_of("review", f"g-{uuid.uuid4().hex[:8]}"))
    assert token.startswith("v2.") and not (tmp_path / "master.key").exists()  # no second secret to keep
    assert open_sealer(sessions, tmp_path).unseal(token) == "a secret"  # same data dir, same key
    other = open_sealer(sessions, tmp_path / "other")  # another server key: a clear error
    with pytest.raises(StorageError, match="derived from the server key"):
        other.unseal(token)


def test_scope_of_names_kind_and_guardrail() -> None:
    assert scope_of("audit") == "audit"
    assert scope_of("review", "g1") == "review:g1"
    assert len(scope_of("review", "x" * 500)) == 100
