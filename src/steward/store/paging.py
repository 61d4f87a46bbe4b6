"""Cursor ("keyset") paging: the rows that come after the last row of the previous page.

A list ordered by ``(column, id)`` pages by naming the last row shown (its id is the cursor):
the next page is the rows after it in that order. Unlike an offset, a cursor page neither
repeats nor skips rows when rows are added meanwhile, and it costs one index seek however far
in the list it is. :func:`keyset_page` is what every paged list of the store runs (review
items, feedback, appeals, guardrails, versions, the governance register's lists; API keys use
:func:`after_row` directly); a cursor that names no row is an :class:`InputError` naming
``after``, so the API and the console answer it with a 400, never a 500 or an empty page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import Session

from steward.errors import InputError

__all__ = ["CURSOR_MAX", "PAGE_MAX", "Page", "after_row", "cursor_value", "keyset_page"]

#: Longest cursor accepted (every id the store pages by fits).
CURSOR_MAX = 64
#: Most rows one page of the API may ask for (the routes bound ``limit`` with it).
PAGE_MAX = 1000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its rows and the cursor of the next page (None on the last)."""

    items: list[T]
    next: str | None


def cursor_value(cursor: str, unique: Any) -> Any:
    """The value of the ``unique`` column a cursor names (a number for numbered rows); a cursor
    that cannot be one is an :class:`InputError` naming ``after``."""
    if not cursor or len(cursor) > CURSOR_MAX:
        raise InputError(f"is not the cursor of a previous page (1-{CURSOR_MAX} characters)", field="after")
    if unique.type.python_type is int:
        if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:
            raise InputError("is not the cursor of a previous page (a row number)", field="after")
        return int(cursor)
    return cursor


def after_row(
    session: Session,
    model: Any,
    cursor: str,
    column: Any,
    *,
    key: Any = None,
    unique: Any = None,
    descending: bool = False,
) -> ColumnElement[bool]:
    """The condition "after the row ``cursor`` of ``model`` in the order ``(column, unique)``"
    (``unique`` is ``model.id`` unless named; both descending with ``descending``); a cursor that
    names no row is an :class:`InputError` naming ``after``. ``key`` is the primary key to find
    the row by when the cursor alone is not (a risk's is its system and its id)."""
    unique = model.id if unique is None else unique
    value = cursor_value(cursor, unique)
    anchor = session.get(model, value if key is None else key)
    if anchor is None:
        raise InputError("is not the cursor of a previous page", field="after")
    last = getattr(anchor, unique.key)
    beyond: ColumnElement[bool] = unique < last if descending else unique > last
    if column is unique:
        return beyond
    value = getattr(anchor, column.key)
    return or_(column < value if descending else column > value, and_(column == value, beyond))


def keyset_page(
    session: Session,
    query: Select[*tuple[Any, ...]],
    model: Any,
    column: Any,
    *,
    after: str | None,
    limit: int,
    key: Any = None,
    unique: Any = None,
    descending: bool = False,
) -> Page[Any]:
    """Run ``query`` (rows of ``model``, filtered) ordered by ``(column, id)`` from after the row
    ``after``: at most ``limit`` rows, and the cursor of the next page when there are more.
    ``unique`` (``model.id`` unless named) breaks ties and is what a cursor names.

    A query of one entity gives its objects; one of several (``select(model, Other)``, ``model``
    first) gives their tuples."""
    if limit < 1:
        raise InputError("must be at least 1", field="limit")
    unique = model.id if unique is None else unique
    order = [column.desc(), unique.desc()] if descending else [column, unique]
    query = query.order_by(*(order[:1] if column is unique else order)).limit(limit + 1)
    if after is not None:
        condition = after_row(session, model, after, column, key=key, unique=unique, descending=descending)
        query = query.where(condition)
    single = len(query.column_descriptions) == 1
    rows: list[Any] = list(session.scalars(query) if single else session.execute(query))
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    last = rows[-1] if single else rows[-1][0]
    return Page(rows, str(getattr(last, unique.key)))
