"""The database and the data directory are private: 0600 and 0700, tightened if looser."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from steward.errors import StorageError
from steward.store.db import make_engine, upgrade
from steward.store.files import private_dir, private_file
from steward.store.sealing import load_server_key


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common umask 022, under which files are created world-readable by default."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "home" / "steward"
    monkeypatch.setenv("STEWARD_DATA_DIR", str(directory))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    return directory


def test_a_new_database_and_its_wal_files_are_private(data_dir: Path, loose_umask: None) -> None:
    db = data_dir / "steward.db"
    upgrade(f"sqlite:///{db}")
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:  # a writer keeps -wal and -shm open
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert (data_dir / "steward.db-wal").exists()
        for name in ("steward.db", "steward.db-wal", "steward.db-shm"):
            assert _mode(data_dir / name) == 0o600, name
    engine.dispose()
    assert _mode(data_dir) == 0o700
    assert _mode(data_dir.parent) == 0o700  # created on the way, so private too


def test_the_server_key_creates_a_private_data_directory(data_dir: Path, loose_umask: None) -> None:
    load_server_key(data_dir)
    assert _mode(data_dir) == 0o700 and _mode(data_dir / "secret.key") == 0o600


def test_loose_existing_files_are_tightened_with_a_warning(
    data_dir: Path, loose_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    db = data_dir / "steward.db"
    upgrade(f"sqlite:///{db}")
    os.chmod(data_dir, 0o755)
    os.chmod(db, 0o644)
    (data_dir / "steward.db-journal").write_bytes(b"")
    os.chmod(data_dir / "steward.db-journal", 0o666)
    with caplog.at_level(logging.WARNING, logger="steward.store.files"):
        make_engine(f"sqlite:///{db}").dispose()
    assert _mode(data_dir) == 0o700 and _mode(db) == 0o600
    assert _mode(data_dir / "steward.db-journal") == 0o600
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "was readable by others (mode 644); changed it to 600" in warned
    assert "(mode 755); changed it to 700" in warned
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="steward.store.files"):
        make_engine(f"sqlite:///{db}").dispose()
    assert caplog.records == []  # nothing to say once private


def test_a_directory_the_user_named_is_not_changed(data_dir: Path, tmp_path: Path, loose_umask: None) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    make_engine(f"sqlite:///{shared / 'x.db'}").dispose()
    assert _mode(shared) == 0o755  # not Steward's to close
    assert _mode(shared / "x.db") == 0o600  # but the database itself is private


def test_unusable_paths_are_storage_errors_naming_them(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(StorageError, match="is not a directory"):
        private_dir(a_file)
    with pytest.raises(StorageError, match=r"is not a directory \(.*file is a file\)"):
        private_dir(a_file / "below")
    with pytest.raises(StorageError, match="is a directory, not a file"):
        private_file(tmp_path)
