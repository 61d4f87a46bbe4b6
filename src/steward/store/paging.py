"""Cursor ("keyset") paging: the rows that come after the last row of the previous page.

A list ordered by ``(column, id)`` pages by naming the last row shown (its id is the cursor):
the next page is the rows after it in that order. Unlike an offset, a cursor page neither
repeats nor skips rows when rows are added meanwhile, and it costs one index seek however far
in the list it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import Session

from steward.errors import InputError

__all__ = ["after_row"]


def after_row(session: Session, model: Any, cursor: str, column: Any) -> ColumnElement[bool]:
    """The condition "after the row ``cursor`` of ``model`` in the order ``(column, id)``"; a cursor
    that names no row is an :class:`InputError` naming ``after``."""
    anchor = session.get(model, cursor[:64])
    if anchor is None:
        raise InputError("is not the cursor of a previous page", field="after")
    value = getattr(anchor, column.key)
    return or_(column > value, and_(column == value, model.id > anchor.id))
