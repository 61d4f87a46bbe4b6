"""``steward keys rotate-master``: re-wrapping every data key under a new master key.

Each test has a migrated database of its own (SQLite and PostgreSQL), since a rotation
touches every data key in the database.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import steward.store.envelope as envelope_module
from steward.cli import main
from steward.errors import StorageError
from steward.store.db import make_engine, session_factory, upgrade
from steward.store.envelope import (
    ENV_MASTER_KEY,
    Envelope,
    LocalKeyProvider,
    derive_master_key,
    master_key_id,
    masters_in_use,
    rewrap,
    rotate_master,
)
from steward.store.models.keys import DataKey


@pytest.fixture
def sessions(fresh_db_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(fresh_db_url)
    engine = make_engine(fresh_db_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture(autouse=True)
def _no_env_master(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_MASTER_KEY, raising=False)


SERVER_KEY = Fernet.generate_key()


def _fill(envelope: Envelope) -> dict[str, str]:
    texts = {}
    for n, scope in enumerate(("review", "feedback", "audit:g1")):
        for day in (date(2026, 1, 1 + n), date(2026, 2, 1)):
            text = f"{scope} {day} secret"
            texts[envelope.encrypt(text, scope=scope, day=day)] = text
    return texts


def test_rotation_rewraps_everything_and_a_running_server_keeps_reading(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    running = Envelope(sessions, LocalKeyProvider(tmp_path, server_key=SERVER_KEY))
    texts = _fill(running)
    old_id = master_key_id(derive_master_key(SERVER_KEY))
    assert masters_in_use(sessions) == {old_id}

    rotator = LocalKeyProvider(tmp_path, server_key=SERVER_KEY)
    report, retired = rotate_master(sessions, rotator, new=True)
    assert report.master_id != old_id and report.rewrapped == 6 and report.already == 0 and retired == []
    assert masters_in_use(sessions) == {report.master_id}
    assert rotator.key_ids == [report.master_id, old_id]  # the old key stays readable

    # The server started before the rotation: nothing cached, it meets an unknown master id and re-reads.
    running.forget()
    assert {t: running.decrypt(t) for t in texts} == texts
    # New data keys it makes are wrapped under the new master (it notices the changed key file).
    new_token = running.encrypt("after", scope="review", day=date(2026, 3, 1))
    with sessions() as session:
        row = session.scalar(select(DataKey).where(DataKey.scope == "review", DataKey.day == "2026-03-01"))
    assert row is not None and row.master_id == report.master_id

    again, _ = rotate_master(sessions, rotator)  # idempotent
    assert again.rewrapped == 0 and again.already == 7

    _, retired = rotate_master(sessions, rotator, retire=True)
    assert retired == [old_id] and rotator.key_ids == [report.master_id]
    reader = Envelope(sessions, LocalKeyProvider(tmp_path, server_key=SERVER_KEY))
    assert reader.decrypt(new_token) == "after"
    assert all(reader.decrypt(t) == v for t, v in texts.items())

    # Only the retired (old) master key: a clear error, not garbage.
    only_old = Envelope(sessions, LocalKeyProvider(keys=[derive_master_key(SERVER_KEY)]))
    with pytest.raises(StorageError, match=f"master key {report.master_id}.*does not hold"):
        only_old.decrypt(new_token)


class _FailsAfter:
    """A provider that stops after ``n`` wraps, as a rotation killed half-way would."""

    def __init__(self, inner: LocalKeyProvider, n: int) -> None:
        self.inner, self.left = inner, n

    @property
    def key_id(self) -> str:
        return self.inner.key_id

    def wrap(self, data_key: bytes) -> bytes:
        if self.left == 0:
            raise RuntimeError("killed")
        self.left -= 1
        return self.inner.wrap(data_key)

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        return self.inner.unwrap(key_id, wrapped)


def test_an_interrupted_rotation_is_finished_by_running_it_again(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = _fill(Envelope(sessions, LocalKeyProvider(tmp_path, server_key=SERVER_KEY)))
    provider = LocalKeyProvider(tmp_path, server_key=SERVER_KEY)
    provider.add_new()
    monkeypatch.setattr(envelope_module, "_CHUNK", 2)
    with pytest.raises(RuntimeError, match="killed"):
        rewrap(sessions, _FailsAfter(provider, 3))
    # The first chunk (2 keys) committed; the second was rolled back when the run died.
    assert masters_in_use(sessions) == {provider.key_id, master_key_id(derive_master_key(SERVER_KEY))}
    reader = Envelope(sessions, LocalKeyProvider(tmp_path, server_key=SERVER_KEY))
    assert all(reader.decrypt(t) == v for t, v in texts.items())  # readable throughout
    report = rewrap(sessions, provider)
    assert (report.rewrapped, report.already) == (4, 2)
    assert masters_in_use(sessions) == {provider.key_id}


def test_new_needs_the_key_file_when_keys_come_from_the_environment(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = base64.b64encode(b"o" * 32).decode(), base64.b64encode(b"n" * 32).decode()
    monkeypatch.setenv(ENV_MASTER_KEY, old)
    texts = _fill(Envelope(sessions, LocalKeyProvider(tmp_path)))
    with pytest.raises(StorageError, match=f"{ENV_MASTER_KEY}=NEW,OLD"):
        rotate_master(sessions, LocalKeyProvider(tmp_path), new=True)
    monkeypatch.setenv(ENV_MASTER_KEY, f"{new},{old}")
    report, _ = rotate_master(sessions, LocalKeyProvider(tmp_path))
    assert report.rewrapped == 6 and report.master_id == master_key_id(b"n" * 32)
    monkeypatch.setenv(ENV_MASTER_KEY, new)
    reader = Envelope(sessions, LocalKeyProvider(tmp_path))
    assert all(reader.decrypt(t) == v for t, v in texts.items())


def test_cli_rotate_master(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    runner = CliRunner()
    created = runner.invoke(main, ["keys", "create", "--role", "app", "--init", "--json"])
    assert created.exit_code == 0, created.output
    first = runner.invoke(main, ["keys", "rotate-master", "--new", "--json"])
    assert first.exit_code == 0, first.output
    out = json.loads(first.output)
    assert out["rewrapped"] >= 1  # the API key secrets' data key, at least
    again = json.loads(runner.invoke(main, ["keys", "rotate-master", "--retire", "--json"]).output)
    assert again["rewrapped"] == 0 and len(again["retired"]) == 1
    # API keys still authenticate: their secrets are opened through the re-wrapped data key.
    listed = runner.invoke(main, ["keys", "list"])
    assert listed.exit_code == 0
    (tmp_path / "master.key").write_text("garbage\n")
    broken = runner.invoke(main, ["keys", "rotate-master"])
    assert broken.exit_code == 6 and "master key 1" in broken.output and "Traceback" not in broken.output
