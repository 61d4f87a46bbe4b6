"""Guardrails: create, edit the DRAFT, list, get, delete; freeze versions; aliases; diffs.

Writes need an ``admin`` key; reads also admit ``auditor`` and ``reviewer`` keys. Every
change made here invalidates this process's cached guards at once; other processes see
DRAFT edits at once and alias moves within ``STEWARD_RESOLVE_TTL_S``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from steward.app import guardrails as use
from steward.app.guardrails import GUARDRAIL_ID_RE
from steward.policy import parse_policy
from steward.server.auth import Caller, Role, require_role
from steward.server.packs import POLICY_OR_PACK, PackName, PolicyDocument
from steward.server.params import AliasName, FromRef, GuardrailId, PageAfter, PageLimit, ToRef, VersionRef
from steward.server.responses import json_response
from steward.server.state import get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/guardrails", tags=["guardrails"])

_admin = Depends(require_role(Role.ADMIN))
_reader = Depends(require_role(Role.AUDITOR, Role.REVIEWER))

_IdPath = Field(min_length=1, max_length=64)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateGuardrail(_Body):
    """A new guardrail: its id, and its policy as a document or the name of a ready-made pack."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=POLICY_OR_PACK)

    id: str = Field(pattern=GUARDRAIL_ID_RE.pattern, examples=["support-bot"])
    name: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=200)
    policy: PolicyDocument | None = None
    pack: PackName | None = None


class UpdateGuardrail(_Body):
    """Changes to the DRAFT: any of name, description and policy."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=200)
    policy: PolicyDocument | None = None


class CreateVersion(_Body):
    """What the new version is for."""

    description: str = Field(default="", max_length=200)


class SetAlias(_Body):
    """The version number an alias should point to."""

    # Bedrock's version numbers have at most 8 digits (as steward.app.guardrails.version_number checks).
    version: (
        Annotated[int, Field(ge=1, le=99_999_999)] | Annotated[str, Field(pattern=r"^0*[1-9][0-9]{0,7}$")]
    ) = Field(examples=[1])


@router.post("", status_code=201, response_class=Response, summary="Create a guardrail (its DRAFT)")
def create_guardrail(body: CreateGuardrail, request: Request, caller: Caller = _admin) -> Response:
    """Create a guardrail; freeze version 1 with ``POST .../versions`` when ready."""
    use.check_guardrail_id(body.id, field="id")  # a bad id is reported before a bad policy
    policy = use.policy_from(body.policy, body.pack)
    info = use.create(get_state(request), body.id, policy, name=body.name, description=body.description)
    return json_response(info.to_dict(), status_code=201)


@router.get("", response_class=Response, summary="List guardrails")
def list_guardrails(
    request: Request, caller: Caller = _reader, after: PageAfter = None, limit: PageLimit = 100
) -> Response:
    """Guardrails by id (without policies), a page at a time: pass ``next`` as ``after``."""
    found = get_state(request).guardrails.page(after=after, limit=limit)
    return json_response(
        {"guardrails": [i.to_dict(with_policy=False) for i in found.items], "next": found.next}
    )


@router.get("/{guardrail_id}", response_class=Response, summary="Get a guardrail and its DRAFT policy")
def get_guardrail(guardrail_id: GuardrailId, request: Request, caller: Caller = _reader) -> Response:
    """The guardrail, its DRAFT policy, versions and aliases."""
    return json_response(use.show(get_state(request), guardrail_id))


@router.put("/{guardrail_id}", response_class=Response, summary="Edit a guardrail's DRAFT")
def update_guardrail(
    guardrail_id: GuardrailId, body: UpdateGuardrail, request: Request, caller: Caller = _admin
) -> Response:
    """Change the DRAFT policy, name or description; numbered versions never change."""
    policy = parse_policy(body.policy, origin="policy") if body.policy is not None else None
    info = use.update(
        get_state(request), guardrail_id, policy=policy, name=body.name, description=body.description
    )
    return json_response(info.to_dict())


@router.delete("/{guardrail_id}", status_code=204, response_class=Response, summary="Delete a guardrail")
def delete_guardrail(guardrail_id: GuardrailId, request: Request, caller: Caller = _admin) -> Response:
    """Delete the guardrail, its versions and aliases; its audit records stay."""
    use.delete(get_state(request), guardrail_id)
    return Response(status_code=204)


@router.post("/{guardrail_id}/versions", status_code=201, response_class=Response, summary="Freeze the DRAFT")
def create_version(
    guardrail_id: GuardrailId, body: CreateVersion, request: Request, caller: Caller = _admin
) -> Response:
    """Freeze the current DRAFT as the next immutable version number."""
    version = use.freeze(
        get_state(request), guardrail_id, description=body.description, created_by=caller.key_id
    )
    return json_response(version.to_dict(with_policy=False), status_code=201)


@router.get("/{guardrail_id}/versions", response_class=Response, summary="List versions")
def list_versions(
    guardrail_id: GuardrailId,
    request: Request,
    caller: Caller = _reader,
    after: PageAfter = None,
    limit: PageLimit = 100,
) -> Response:
    """Frozen versions, oldest first, a page at a time: pass ``next`` (a version number) as ``after``."""
    found = get_state(request).guardrails.versions_page(guardrail_id, after=after, limit=limit)
    return json_response(
        {"versions": [v.to_dict(with_policy=False) for v in found.items], "next": found.next}
    )


@router.get("/{guardrail_id}/versions/{version}", response_class=Response, summary="Get one version's policy")
def get_version(
    guardrail_id: GuardrailId, version: VersionRef, request: Request, caller: Caller = _reader
) -> Response:
    """The policy at a version number, ``DRAFT``, ``latest`` or an alias."""
    resolved, policy = get_state(request).guardrails.policy_at(guardrail_id, version)
    return json_response({"guardrailId": guardrail_id, "version": resolved.version, "policy": policy})


@router.get("/{guardrail_id}/diff", response_class=Response, summary="Compare two versions")
def diff_versions(
    guardrail_id: GuardrailId,
    request: Request,
    from_ref: FromRef,
    to_ref: ToRef = "DRAFT",
    caller: Caller = _reader,
) -> Response:
    """Field-level changes and a unified YAML diff between two versions (numbers, DRAFT or aliases)."""
    return json_response(use.diff(get_state(request), guardrail_id, from_ref, to_ref))


@router.get("/{guardrail_id}/aliases", response_class=Response, summary="List aliases")
def list_aliases(guardrail_id: GuardrailId, request: Request, caller: Caller = _reader) -> Response:
    """The guardrail's aliases and the versions they point to."""
    aliases = get_state(request).guardrails.list_aliases(guardrail_id)
    return json_response({"aliases": [a.to_dict() for a in aliases]})


@router.put("/{guardrail_id}/aliases/{name}", response_class=Response, summary="Point an alias at a version")
def set_alias(
    guardrail_id: GuardrailId, name: AliasName, body: SetAlias, request: Request, caller: Caller = _admin
) -> Response:
    """Create or move an alias; moving it back to an earlier version is the rollback."""
    alias = use.set_alias(get_state(request), guardrail_id, name, body.version, updated_by=caller.key_id)
    return json_response(alias.to_dict())


@router.delete(
    "/{guardrail_id}/aliases/{name}", status_code=204, response_class=Response, summary="Remove an alias"
)
def delete_alias(
    guardrail_id: GuardrailId, name: AliasName, request: Request, caller: Caller = _admin
) -> Response:
    """Remove an alias (the version it pointed to stays)."""
    use.delete_alias(get_state(request), guardrail_id, name)
    return Response(status_code=204)
