"""Database fixtures for every area that stores data: each test runs on SQLite AND PostgreSQL.

Loaded from ``tests/conftest.py`` (``pytest_plugins``), so any test can ask for:

* ``db_url`` — a migrated database shared by the whole session, once per backend
  (tests must use their own ids, since others write to it too);
* ``package_db_url`` — a migrated database of the test package's own, on ``db_url``'s backend
  (for packages that run a server with another server key, whose audit records would break
  the shared database's audit-chain verification);
* ``fresh_db_url`` — an empty, unmigrated database of its own, once per backend;
* ``pg_db_url`` — an empty PostgreSQL database of its own (for PostgreSQL-only tests);
* ``pg_admin_url`` — the maintenance URL of the local PostgreSQL.

PostgreSQL databases get a unique name and are dropped at the end, so parallel sessions
never collide. PostgreSQL runs on 127.0.0.1:5432 with trust auth (user ``postgres``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from steward.store.db import upgrade

PG_HOST = os.environ.get("STEWARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
PG_ADMIN_URL = f"{PG_HOST}/test"

BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))


def _create_pg_database() -> str:
    name = f"steward_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _new_database(backend: str, directory: Path) -> tuple[str, str | None]:
    """A URL for a new empty database, and the PostgreSQL name to drop afterwards."""
    if backend == "sqlite":
        return f"sqlite:///{directory / f'{uuid.uuid4().hex[:8]}.db'}", None
    name = _create_pg_database()
    return f"{PG_HOST}/{name}", name


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The URL of the PostgreSQL maintenance database the tests create databases from."""
    return PG_ADMIN_URL


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database shared by the session, once for SQLite and once for PostgreSQL."""
    url, pg_name = _new_database(request.param, tmp_path_factory.mktemp("db"))
    try:
        upgrade(url)
        yield url
    finally:
        if pg_name:
            _drop_pg_database(pg_name)


def migrated_database(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new migrated database on the backend of ``db_url``, dropped afterwards (a fixture body)."""
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    url, pg_name = _new_database(backend, tmp_path_factory.mktemp("package-db"))
    try:
        upgrade(url)
        yield url
    finally:
        if pg_name:
            _drop_pg_database(pg_name)


@pytest.fixture(scope="package")
def package_db_url(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of the test package's own, on the backend of ``db_url``.

    The test folders have no ``__init__.py``, so pytest's "package" scope spans more than one
    folder: a folder whose tests start servers with a key of their own (tests/review) overrides
    this fixture in its conftest with :func:`migrated_database`, so another folder's server key
    is never the one recorded in its database.
    """
    yield from migrated_database(db_url, tmp_path_factory)


@pytest.fixture(params=BACKENDS)
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's own (not migrated), for SQLite and for PostgreSQL."""
    url, pg_name = _new_database(request.param, tmp_path)
    try:
        yield url
    finally:
        if pg_name:
            _drop_pg_database(pg_name)


@pytest.fixture
def pg_db_url() -> Iterator[str]:
    """An empty PostgreSQL database of the test's own (not migrated), dropped afterwards."""
    name = _create_pg_database()
    try:
        yield f"{PG_HOST}/{name}"
    finally:
        _drop_pg_database(name)
