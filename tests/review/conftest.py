"""Review fixtures: a queue over the session's migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.conftest_db import migrated_database

from steward.review import ReviewQueue
from steward.server.app import create_app
from steward.settings import Settings
from steward.store.db import make_engine, session_factory
from steward.store.keys import Role
from steward.store.review import ReviewStore
from steward.store.sealing import Sealer


@pytest.fixture(scope="package")
def package_db_url(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The review tests' own database: their servers record ``review_key`` as the server key,
    which must not meet the key another folder's server recorded first (see tests/conftest_db.py)."""
    yield from migrated_database(db_url, tmp_path_factory)


@pytest.fixture(scope="package")
def review_key() -> bytes:
    """One server key for the package's review stores."""
    return Fernet.generate_key()


@pytest.fixture
def review_engine(package_db_url: str) -> Iterator[Engine]:
    """An engine on the review tests' migrated database."""
    engine = make_engine(package_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(review_engine: Engine, review_key: bytes) -> ReviewStore:
    """A review store over the session's database."""
    return ReviewStore(session_factory(review_engine), Sealer(review_key))


@pytest.fixture
def queue(store: ReviewStore) -> ReviewQueue:
    """A queue that never samples passed traffic unless a test says so."""
    return ReviewQueue(store, sample=lambda: 1.0)


@pytest.fixture(scope="package")
def review_app(
    package_db_url: str, tmp_path_factory: pytest.TempPathFactory, review_key: bytes
) -> Iterator[TestClient]:
    """One server per backend for the review API tests, sealing with the same key as ``store``
    (an export unseals every resolved item in the shared database, whoever made it)."""
    settings = Settings(database_url=package_db_url, data_dir=tmp_path_factory.mktemp("review-data"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEWARD_SECRET_KEY", review_key.decode("ascii"))
        app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="package")
def review_keys(review_app: TestClient) -> dict[str, dict[str, str]]:
    """Headers of keys of every role, plus a second reviewer and a second app (secrets hash slowly)."""
    keys = review_app.app.state.steward.keys  # type: ignore[attr-defined]
    made = {
        "admin": keys.create(Role.ADMIN),
        "app": keys.create(Role.APP),
        "app2": keys.create(Role.APP),
        "reviewer": keys.create(Role.REVIEWER),
        "reviewer2": keys.create(Role.REVIEWER),
        "auditor": keys.create(Role.AUDITOR),
    }
    return {name: {"Authorization": f"Bearer {key.bearer}", "x-key-id": key.id} for name, key in made.items()}
