"""Storage: SQLAlchemy models, Alembic migrations and repositories.

SQLite (a file in the data directory) is the default; ``STEWARD_DATABASE_URL`` pointing
at PostgreSQL switches every process to it with no other change.
"""

from steward.store.base import Base
from steward.store.db import database_url, make_engine, session_factory, upgrade

__all__ = ["Base", "database_url", "make_engine", "session_factory", "upgrade"]
