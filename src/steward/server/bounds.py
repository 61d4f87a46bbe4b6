"""Bounds on what a request's JSON may hold: how big its whole numbers are and how deep it nests.

Python reads any JSON integer, however long, but SQLite and PostgreSQL store at most a signed
64-bit integer (``?before=9223372036854775808`` used to end in an ``OverflowError``, a 500) and
orjson writes no larger one (a policy document holding ``1e30`` as an integer failed the same
way); orjson also refuses to write more than 254 levels of nesting. Typed parameters declare
their range (``Query(le=INT64_MAX)``, or tighter bounds of their own); free-form JSON objects (a
policy document, evidence metrics, governance records) are declared as :data:`JsonObject`, which
refuses an integer outside 64 bits or nesting deeper than :data:`MAX_JSON_DEPTH` anywhere inside,
naming where; a body parsed by hand (the governance register) asks :func:`json_problem`. Bodies
nested so deeply that the JSON parser itself gives up are refused with the same limit
(:mod:`steward.server.errors`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from steward.validation import field_path

__all__ = ["INT64_MAX", "INT64_MIN", "MAX_JSON_DEPTH", "TOO_DEEP_MESSAGE", "JsonObject", "json_problem"]

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
#: Most levels of objects and arrays a request's JSON may nest (policies need about five).
MAX_JSON_DEPTH = 64
#: What a too-deep body or object is told.
TOO_DEEP_MESSAGE = f"is nested too deeply: JSON objects and arrays may nest at most {MAX_JSON_DEPTH} levels"
_RANGE_MESSAGE = f"the number is out of range: whole numbers run from {INT64_MIN} to {INT64_MAX}"


def json_problem(value: Any) -> tuple[str, str] | None:
    """``(path, message)`` for the first integer outside 64 bits or the first object or array
    nested deeper than :data:`MAX_JSON_DEPTH` in ``value`` (path ``""`` is ``value`` itself); None
    if there is neither.

    Walks dicts and lists without recursion, so a deep document cannot exhaust the stack.
    """
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                return field_path(path), _RANGE_MESSAGE
        elif isinstance(item, dict | list):
            if len(path) >= MAX_JSON_DEPTH:
                return field_path(path), TOO_DEEP_MESSAGE
            if isinstance(item, dict):
                stack.extend((v, (*path, str(k))) for k, v in item.items())
            else:
                stack.extend((v, (*path, i)) for i, v in enumerate(item))
    return None


def _bounded(value: dict[str, Any]) -> dict[str, Any]:
    problem = json_problem(value)
    if problem is not None:
        where, message = problem
        raise PydanticCustomError(
            "json_bounds", "{where}{message}", {"where": f"{where}: " if where else "", "message": message}
        )
    return value


#: A free-form JSON object whose integers all fit 64 bits and which nests at most
#: :data:`MAX_JSON_DEPTH` levels.
JsonObject = Annotated[dict[str, Any], AfterValidator(_bounded)]
