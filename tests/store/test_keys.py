from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from steward.errors import InputError, NotFoundError, StorageError
from steward.store.db import make_engine, session_factory
from steward.store.keys import ApiKeyStore, Role, hash_secret, verify_secret
from steward.store.sealing import Sealer, load_server_key


@pytest.fixture
def keys(db_url: str, tmp_path: Path) -> Iterator[ApiKeyStore]:
    engine = make_engine(db_url)
    yield ApiKeyStore(session_factory(engine), Sealer(load_server_key(tmp_path)))
    engine.dispose()


def test_hash_verifies_only_the_right_secret() -> None:
    stored = hash_secret("right")
    assert verify_secret("right", stored)
    assert not verify_secret("wrong", stored)
    assert not verify_secret("right", "garbage")
    assert hash_secret("right") != stored  # salted


def test_create_list_revoke(keys: ApiKeyStore) -> None:
    key = keys.create("reviewer", name="alice")
    assert key.id.startswith("STW") and len(key.id) == 20
    listed = {k.id: k for k in keys.list_all()}
    assert listed[key.id].role is Role.REVIEWER and listed[key.id].active
    revoked = keys.revoke(key.id)
    assert not revoked.active
    assert keys.revoke(key.id).revoked_at == revoked.revoked_at  # idempotent
    stored = keys.lookup(key.id)
    assert stored is not None and stored.revoked
    with pytest.raises(NotFoundError):
        keys.revoke("STWNOSUCHKEY")
    with pytest.raises(InputError, match="roles"):
        keys.create("superuser")


def test_server_key_file_is_private_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    first = load_server_key(tmp_path / "d")
    assert load_server_key(tmp_path / "d") == first
    assert (tmp_path / "d" / "secret.key").stat().st_mode & 0o777 == 0o600
    explicit = Fernet.generate_key()
    monkeypatch.setenv("STEWARD_SECRET_KEY", explicit.decode())
    assert load_server_key(tmp_path / "d") == explicit
    monkeypatch.setenv("STEWARD_SECRET_KEY", "too-short")
    with pytest.raises(StorageError, match="Fernet"):
        load_server_key(tmp_path / "d")


def test_a_different_server_key_cannot_unseal(tmp_path: Path) -> None:
    sealed = Sealer(Fernet.generate_key()).seal("secret")
    with pytest.raises(StorageError, match="server's key differs"):
        Sealer(Fernet.generate_key()).unseal(sealed)
