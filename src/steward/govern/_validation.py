"""Turning pydantic's validation errors into one :class:`InputError` that names every bad field.

Governance documents are written by hand in YAML; a user fixing one should see every
mistake at once, each with its path (``risks[2].severity``), the way policy errors read.
"""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from steward.errors import InputError, InputTooLargeError
from steward.validation import validation_problems

__all__ = ["DOCUMENT_MAX_BYTES", "load_yaml_text", "parse_model"]

M = TypeVar("M", bound=BaseModel)

#: A governance YAML/JSON document larger than this is refused before parsing.
DOCUMENT_MAX_BYTES = 8 << 20


def parse_model(model: type[M], data: Any, *, origin: str) -> M:
    """Validate ``data`` as ``model``; raise :class:`InputError` naming each bad field of ``origin``."""
    if not isinstance(data, dict):
        raise InputError(f"must be a mapping of fields, not {type(data).__name__}", field=origin)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{path}: {msg}" if path else msg
            for path, msg in validation_problems(exc.errors(include_url=False))
        ]
        raise InputError("is invalid: " + "; ".join(problems), field=origin) from None


def load_yaml_text(text: str | bytes, *, origin: str) -> Any:
    """Parse YAML (or JSON) text with a size limit; a syntax error names the line and column."""
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > DOCUMENT_MAX_BYTES:
        raise InputTooLargeError(field=origin, size=size, limit=DOCUMENT_MAX_BYTES, unit="bytes")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"is not valid UTF-8 (byte {exc.start})", field=origin) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(f"is not valid YAML or JSON{where}", field=origin) from None
