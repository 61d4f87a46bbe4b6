"""What a guardrail id or an alias name may look like, checked before any query."""

from __future__ import annotations

import re

from steward.errors import InputError

__all__ = ["ALIAS_RE", "GUARDRAIL_ID_RE", "check_alias", "check_guardrail_id", "guardrail_id_from_identifier"]

#: Lower-case letters, digits, ``-`` and ``_``, up to 64 characters (Bedrock ids are ``[a-z0-9]+``).
GUARDRAIL_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
#: An alias starts with a letter so it can never be mistaken for a version number.
ALIAS_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
#: Names that always mean something else: the DRAFT and the highest version.
RESERVED_ALIASES = frozenset({"draft", "latest"})
_ARN_RE = re.compile(
    r"^arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/(?P<id>[a-z0-9_-]{1,64})$"
)


def check_guardrail_id(value: str, *, field: str = "guardrailIdentifier") -> str:
    """Return ``value`` if it is a valid guardrail id; otherwise raise :class:`InputError`."""
    if not GUARDRAIL_ID_RE.fullmatch(value):
        raise InputError(
            "must be 1-64 characters of lower-case letters, digits, '-' or '_', starting with a letter or digit",
            field=field,
        )
    return value


def guardrail_id_from_identifier(identifier: str) -> str:
    """Accept a bare id or a Bedrock guardrail ARN (whose last part is the id)."""
    match = _ARN_RE.fullmatch(identifier)
    return check_guardrail_id(match.group("id") if match else identifier)


def check_alias(value: str, *, field: str = "alias") -> str:
    """Return ``value`` if it is a valid alias name; ``draft`` and ``latest`` are reserved."""
    if not ALIAS_RE.fullmatch(value) or value in RESERVED_ALIASES:
        raise InputError(
            "must be 1-64 characters of lower-case letters, digits, '-' or '_', starting with a letter, "
            "and not 'draft' or 'latest'",
            field=field,
        )
    return value
