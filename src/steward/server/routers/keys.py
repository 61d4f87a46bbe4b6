"""API keys over HTTP: create (the secret is shown once), list, revoke. Admin only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from steward.app import keys as use
from steward.server.auth import Caller, Role, require_role
from steward.server.responses import json_response
from steward.server.state import get_state

__all__ = ["router"]

router = APIRouter(prefix="/v1/keys", tags=["keys"])

_admin = Depends(require_role(Role.ADMIN))


class CreateKey(BaseModel):
    """The new key's role and an optional label."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    name: str = Field(default="", max_length=100)


@router.post("", status_code=201, response_class=Response, summary="Create an API key")
def create_key(body: CreateKey, request: Request, caller: Caller = _admin) -> Response:
    """A new key; the response is the only place its secret ever appears."""
    key = use.create(get_state(request), body.role, name=body.name)
    return json_response({**key.to_dict(), "bearer": key.bearer}, status_code=201)


@router.get("", response_class=Response, summary="List API keys")
def list_keys(request: Request, caller: Caller = _admin) -> Response:
    """Every key with its role and status (never secrets)."""
    return json_response({"keys": [k.to_dict() for k in get_state(request).keys.list_all()]})


@router.delete("/{key_id}", response_class=Response, summary="Revoke an API key")
def revoke_key(key_id: str, request: Request, caller: Caller = _admin) -> Response:
    """Revoke a key: at once in this process, within the key cache TTL in others."""
    state = get_state(request)
    info = use.revoke(state, key_id)
    state.auth.forget(key_id)  # at once in this process
    return json_response(info.to_dict())
