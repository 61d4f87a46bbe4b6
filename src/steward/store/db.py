"""Connecting to the database and bringing its schema up to date.

``database_url()`` says where the data lives, ``make_engine()`` connects with the
settings each backend needs (SQLite: WAL so readers never wait for the writer, foreign
keys enforced, a busy timeout so concurrent processes queue instead of failing;
PostgreSQL through psycopg 3), and ``upgrade()`` runs the Alembic migrations shipped in
this package, so no ``alembic.ini`` is needed at run time.

A SQLite database is created private (0600, in a 0700 data directory; see
:mod:`steward.store.files`). A database that cannot be reached or opened is a
:class:`~steward.errors.StorageError` naming it (:func:`storage_errors`), so the CLI says
so in one line instead of a driver's stack trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import StorageError
from steward.settings import Settings, data_dir
from steward.store.files import SQLITE_SIDE_FILES, check_dir, private_dir, private_file

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "answers",
    "current_revision",
    "database_url",
    "is_initialised",
    "make_engine",
    "normalise_url",
    "safe_url",
    "session_factory",
    "storage_errors",
    "upgrade",
]

#: How long a SQLite connection waits for another process's write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url() -> str:
    """The configured database (:class:`~steward.settings.Settings`), with its driver named."""
    return normalise_url(Settings.from_env().database_url)


def normalise_url(url: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver; check the URL parses."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(
            "the database URL cannot be parsed (expected sqlite:///PATH or postgresql://...)"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StorageError(
            f"database backend {parsed.get_backend_name()!r} is not supported (sqlite, postgresql)"
        )
    return url


def safe_url(url: str) -> str:
    """``url`` with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unparsable URL)"


def _reason(exc: DBAPIError) -> str:
    """The driver's own first line (``connection refused``, ``unable to open database file``)."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return (text.strip().splitlines() or ["unknown error"])[0].strip()


@contextmanager
def storage_errors(url: str) -> Iterator[None]:
    """Turn a driver error (unreachable server, unopenable file, lost connection) into a
    :class:`StorageError` that names the database, for a one-line message instead of a trace."""
    try:
        yield
    except DBAPIError as exc:
        raise StorageError(f"the database {safe_url(url)} cannot be used: {_reason(exc)}") from None


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for another backend or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser()


def _ours(directory: Path) -> bool:
    """Whether ``directory`` is Steward's data directory (or does not exist yet, so Steward makes it)."""
    if not directory.exists():
        return True
    return directory.expanduser().resolve() == data_dir().expanduser().resolve()


def _prepare_sqlite_file(path: Path) -> None:
    """The database file private (0600) in a private directory, created if missing.

    The directory is tightened to 0700 only when it is Steward's data directory: a
    directory the user named for the file (``/srv/db``) may be shared on purpose.
    """
    ours = _ours(path.parent)
    private_dir(path.parent, what="data directory" if ours else "database directory", tighten=ours)
    private_file(path, side_files=SQLITE_SIDE_FILES)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default :func:`database_url`) with the backend's settings applied."""
    url = normalise_url(url or database_url())
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if path is not None:
            _prepare_sqlite_file(path)
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def answers(engine: Engine) -> bool:
    """Whether the database answers a trivial query now (the server's health check)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("steward.store") / "migrations"))
    # Alembic's config is an ini parser: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, *, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` (default: the latest) on the database at ``url``."""
    from alembic import command

    url = normalise_url(url or database_url())
    engine = make_engine(url)
    try:
        with storage_errors(url), engine.begin() as connection:
            config = _alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current_revision(url: str | None = None) -> str | None:
    """The migration the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    url = normalise_url(url or database_url())
    engine = make_engine(url)
    try:
        with storage_errors(url), engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def is_initialised(url: str | None = None) -> bool:
    """Whether a Steward schema exists at ``url``, without creating a SQLite file to find out."""
    url = normalise_url(url or database_url())
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        check_dir(path.parent, what="data directory" if _ours(path.parent) else "database directory")
        return False
    return current_revision(url) is not None
