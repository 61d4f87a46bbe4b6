"""Alembic environment: migrations run against ``Base.metadata`` on a connection we pass in.

:func:`steward.store.db.upgrade` hands over an open connection in
``config.attributes["connection"]``; the ``alembic`` command line works too, given
``-x url=...`` or ``STEWARD_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import steward.store.models  # noqa: F401  (fills Base.metadata)
from steward.store.base import Base
from steward.store.db import database_url, make_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run on the caller's connection if given, else open one from the URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    engine = make_engine(url or database_url())
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `steward db upgrade`")
run_migrations_online()
