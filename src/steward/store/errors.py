"""Which errors of the database driver mean what, for the layers that must not import SQLAlchemy.

Two questions are asked outside ``store/``: a background writer draining its queue must tell a
row the database refuses for good (retrying cannot help) from a database that is away for a
moment (:data:`REFUSED`); the HTTP layer must tell a driver failure (an unreachable server,
a lost connection) from a bug, to answer 503 rather than 500 (:data:`DRIVER_ERROR`). The
answers are SQLAlchemy's exception classes, named here so ``store/`` stays the one home of
SQLAlchemy.
"""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

__all__ = ["DRIVER_ERROR", "REFUSED"]

#: Errors by which the database refuses a row for good (a repeated id, a value that does not fit):
#: retrying cannot help, so writers store the batch row by row and skip the refused one.
REFUSED: tuple[type[DBAPIError], ...] = (IntegrityError, DataError)

#: Every error the driver raises (its own, wrapped by SQLAlchemy): the database failed or is not
#: reachable. :func:`steward.store.db.storage_errors` turns it into a ``StorageError`` for commands.
DRIVER_ERROR: type[DBAPIError] = DBAPIError
