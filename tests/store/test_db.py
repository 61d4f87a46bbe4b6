from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from steward.errors import StorageError
from steward.store import Base, database_url, make_engine, upgrade
from steward.store.db import current_revision, normalise_url


def test_database_url_defaults_to_sqlite_in_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    assert database_url() == f"sqlite:///{tmp_path / 'steward.db'}"


def test_database_url_maps_postgresql_to_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_DATABASE_URL", "postgresql://u@h:5432/db")
    assert database_url() == "postgresql+psycopg://u@h:5432/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_unsupported_or_garbled_urls_name_the_problem() -> None:
    with pytest.raises(StorageError, match="not supported"):
        normalise_url("mysql://u@h/db")
    with pytest.raises(StorageError, match="cannot be parsed"):
        normalise_url("not a url")


def test_sqlite_engine_enables_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    engine.dispose()


def test_upgrade_creates_every_model_table(fresh_db_url: str) -> None:
    assert current_revision(fresh_db_url) is None
    upgrade(fresh_db_url)
    upgrade(fresh_db_url)  # idempotent
    assert current_revision(fresh_db_url) is not None
    engine = make_engine(fresh_db_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_migrations_match_the_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
