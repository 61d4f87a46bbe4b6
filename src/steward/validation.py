"""One way to turn pydantic's validation errors into messages that name the field at fault.

Policies, governance documents and HTTP request bodies are all validated by pydantic; users
see the same wording everywhere: ``content_filters[2].input_strength: Input should be …`` and
``unknown field (check the spelling)`` for a field the schema does not have. JSON read from
bytes (:func:`parse_json`) fails the same way everywhere too: the bad byte, or the JSON error
and where it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from steward.errors import InputError

__all__ = ["UNKNOWN_FIELD", "field_path", "parse_json", "validation_problems"]

UNKNOWN_FIELD = "unknown field (check the spelling)"


def field_path(loc: Sequence[Any], *, skip: Iterable[str] = ()) -> str:
    """``("content_filters", 2, "category")`` as ``content_filters[2].category``; ``skip`` drops
    framework prefixes such as FastAPI's ``body``."""
    dropped = set(skip)
    path = ""
    for part in loc:
        if isinstance(part, str) and part in dropped:
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def validation_problems(
    errors: Iterable[Mapping[str, Any]], *, skip: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """``(field path, message)`` for each pydantic error dict (``ValidationError.errors()``)."""
    skipped = tuple(skip)
    problems = []
    for err in errors:
        msg = UNKNOWN_FIELD if err.get("type") == "extra_forbidden" else str(err.get("msg", "is invalid"))
        problems.append((field_path(tuple(err.get("loc", ())), skip=skipped), msg))
    return problems


def parse_json(data: bytes, *, field: str, at: Literal["line", "column"] = "line") -> Any:
    """``data`` decoded as UTF-8 JSON; an :class:`InputError` naming ``field`` says which byte is not
    UTF-8, or what is wrong with the JSON and ``at`` which line (a document) or column (one line)."""
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"is not valid UTF-8 (byte {exc.start})", field=field) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}" if at == "line" else f"column {exc.colno}"
        raise InputError(f"is not valid JSON ({exc.msg} at {where})", field=field) from None
