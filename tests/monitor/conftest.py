"""Monitoring fixtures: sessions on the package's own migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from steward.store.db import make_engine, session_factory


@pytest.fixture
def engine(package_db_url: str) -> Iterator[Engine]:
    """An engine on the package's migrated database of the current backend."""
    eng = make_engine(package_db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on :func:`engine`."""
    return session_factory(engine)
