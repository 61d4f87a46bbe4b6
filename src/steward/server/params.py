"""Path and query parameters whose form the OpenAPI description states and the server checks.

Each type carries the pattern into the schema (so a generated client or a fuzzer sends only
what the server accepts) and checks it with the store's own rules (:mod:`steward.store.idents`),
so the schema and the server cannot disagree and the message names the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from steward.errors import InputError
from steward.store.guardrails import parse_version_number
from steward.store.idents import (
    ALIAS_RE,
    GUARDRAIL_ID_RE,
    RESERVED_ALIASES,
    check_alias,
    check_guardrail_id,
    guardrail_id_from_identifier,
)
from steward.store.paging import CURSOR_MAX, PAGE_MAX

__all__ = [
    "AliasName",
    "FromRef",
    "GuardrailId",
    "GuardrailIdentifier",
    "PageAfter",
    "PageLimit",
    "ToRef",
    "VersionRef",
]

_ID = GUARDRAIL_ID_RE.pattern.removeprefix("^").removesuffix("$")
_ARN = rf"arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{{1,20}}:[0-9]{{12}}:guardrail/{_ID}"
#: A version number (leading zeros allowed), DRAFT in any case, ``latest`` or an alias name.
_VERSION_REF = (
    r"^(?:0*[1-9][0-9]{0,7}|[Dd][Rr][Aa][Ff][Tt]|"
    + ALIAS_RE.pattern.removeprefix("^").removesuffix("$")
    + ")$"
)


def _checked(check: Callable[[str], object]) -> AfterValidator:
    """Run a store check as a pydantic validator (its message becomes the parameter's error)."""

    def validate(value: str) -> str:
        try:
            check(value)
        except InputError as exc:
            raise PydanticCustomError("invalid_reference", str(exc.message)) from None
        return value

    return AfterValidator(validate)


def _version_ref(value: str) -> None:
    if value.upper() == "DRAFT" or value == "latest":
        return
    if parse_version_number(value, field="") is None:
        check_alias(value, field="")


GuardrailId = Annotated[
    str,
    _checked(lambda v: check_guardrail_id(v, field="")),
    Path(json_schema_extra={"pattern": GUARDRAIL_ID_RE.pattern}),
]
GuardrailIdentifier = Annotated[
    str,
    _checked(guardrail_id_from_identifier),
    Path(
        description="a guardrail id or its Bedrock ARN", json_schema_extra={"pattern": f"^(?:{_ID}|{_ARN})$"}
    ),
]
AliasName = Annotated[
    str,
    _checked(lambda v: check_alias(v, field="")),
    Path(json_schema_extra={"pattern": ALIAS_RE.pattern, "not": {"enum": sorted(RESERVED_ALIASES)}}),
]
_REF_DOC = "a version number, DRAFT, latest or an alias name"
VersionRef = Annotated[
    str, _checked(_version_ref), Path(description=_REF_DOC, json_schema_extra={"pattern": _VERSION_REF})
]
FromRef = Annotated[
    str,
    _checked(_version_ref),
    Query(alias="from", description=_REF_DOC, json_schema_extra={"pattern": _VERSION_REF}),
]
ToRef = Annotated[
    str,
    _checked(_version_ref),
    Query(alias="to", description=_REF_DOC, json_schema_extra={"pattern": _VERSION_REF}),
]

#: A paged list's cursor: the ``next`` value of the page before (a row's id). One of the right
#: form that names no row is a 400 naming ``after``.
PageAfter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=CURSOR_MAX,
        pattern=r"^[0-9A-Za-z._\-]+$",
        description="cursor: the 'next' value of the previous page",
    ),
]
#: How many rows one page of a list holds (the route gives the default).
PageLimit = Annotated[int, Query(ge=1, le=PAGE_MAX, description=f"rows per page, 1-{PAGE_MAX}")]
