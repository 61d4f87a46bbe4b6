"""The one way an HTTP caller names a policy pack: a built-in pack name, never a path.

``load_policy`` also reads files, which suits the CLI (the user's own disk) and not a server: a
name such as ``LICENSE`` or ``../x.yaml`` would make the server read its own files and report their
shape ("not valid YAML at line 93"). Request bodies declare ``pack`` as :data:`PackName`, so any
other value is refused during validation (a 400 listing the packs) and the OpenAPI schema lists
the packs as an enum. Routers then load it with :func:`steward.policy.load_pack`, which
never touches the file system.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from steward.policy import Policy, list_packs
from steward.server.bounds import JsonObject

__all__ = ["POLICY_OR_PACK", "PackName", "PolicyDocument"]

_PACKS = tuple(list_packs())


def _known_pack(name: str) -> str:
    if name not in _PACKS:
        raise PydanticCustomError(
            "pack_name",
            "{name} is not a built-in pack; the packs are: {packs}",
            {"name": repr(name), "packs": ", ".join(_PACKS)},
        )
    return name


#: A request field naming a built-in pack (``default``, ``pii-mask``, ...).
PackName = Annotated[
    str,
    Field(max_length=64, examples=["default"], json_schema_extra={"enum": list(_PACKS)}),
    AfterValidator(_known_pack),
]


#: JSON Schema for a body that takes exactly one of ``policy`` (a document) and ``pack`` (a name),
#: as the routes check it: the description then says what the server accepts.
POLICY_OR_PACK: dict[str, Any] = {
    "oneOf": [
        {"required": ["policy"], "properties": {"policy": {"type": "object"}}},
        {"required": ["pack"], "properties": {"pack": {"type": "string"}}},
    ]
}

#: A policy document in a request: any JSON object within the bounds (validated as a policy by the
#: route, so every problem is reported at once, by field), described as the policy schema.
PolicyDocument = Annotated[
    JsonObject, WithJsonSchema(Policy.model_json_schema(ref_template="#/components/schemas/{model}"))
]
