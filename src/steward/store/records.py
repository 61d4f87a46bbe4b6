"""Records from rows: the frozen dataclasses the stores hand out, built from their ORM rows.

A store's record (a guardrail version, a review item, an appeal) mostly repeats its row's
columns under the same names; :func:`record_of` copies those, so a new column needs one new
field, not one more line in every converter. What differs (a sealed text opened, a JSON list
copied, a column under another name) is passed by name.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

__all__ = ["record_of"]

T = TypeVar("T")


def record_of(cls: type[T], row: Any, **values: Any) -> T:
    """A ``cls`` (a dataclass) whose fields are ``row``'s attributes of the same names, but for
    those given in ``values``."""
    names = [f.name for f in fields(cls) if f.init and f.name not in values]  # type: ignore[arg-type]
    return cls(**{name: getattr(row, name) for name in names}, **values)
