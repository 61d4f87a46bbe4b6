"""System use cases: the schema (``steward db upgrade|current``) and the server's health check.

The URL is resolved as every command resolves it (``--database-url``, else the settings), and
messages show it with its password hidden.
"""

from __future__ import annotations

from steward.app.context import App
from steward.settings import Settings
from steward.store import db

__all__ = ["healthy", "revision", "upgrade"]


def _url(database_url: str | None) -> str:
    return db.normalise_url(Settings.from_env(database_url=database_url).database_url)


def upgrade(database_url: str | None = None) -> tuple[str, str | None]:
    """Run every pending migration; the database (password hidden) and the revision it is at."""
    url = _url(database_url)
    db.upgrade(url)
    return db.safe_url(url), db.current_revision(url)


def revision(database_url: str | None = None) -> str | None:
    """The migration the database is at, or None for an empty database."""
    return db.current_revision(_url(database_url))


def healthy(app: App) -> bool:
    """Whether the database answers now."""
    return db.answers(app.engine)
