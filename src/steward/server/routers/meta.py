"""Anonymous endpoints: ``GET /health`` and ``GET /about`` (what this server is).

``/about`` is the disclosure: a caller, or a person, can learn that this is a Steward
guardrail server, which version, and which APIs it offers, without a key. It reveals no
configuration, guardrail or key.
"""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request
from starlette.responses import Response

from steward.app import system
from steward.server.errors import error_response
from steward.server.responses import json_response
from steward.server.state import get_state

__all__ = ["router", "steward_version"]

router = APIRouter(tags=["meta"])


@functools.cache
def steward_version() -> str:
    """The installed Steward version (read once)."""
    try:
        return version("steward")
    except PackageNotFoundError:
        return "unknown"


@router.get("/health", response_class=Response, summary="Liveness and database check (no key needed)")
def health(request: Request) -> Response:
    """``{"status": "ok"}`` when the database answers; 503 otherwise."""
    if not system.healthy(get_state(request)):
        return error_response(503, "ServiceUnavailableException", "the database is not reachable")
    return json_response({"status": "ok"})


@router.get("/about", response_class=Response, summary="What this server is (no key needed)")
def about() -> Response:
    """A plain statement of what this service is and does."""
    return json_response(
        {
            "name": "Steward",
            "version": steward_version(),
            "description": (
                "A self-hosted guardrail and audit server for AI applications. It checks prompts and "
                "responses against policies, may mask or block them, and records each decision."
            ),
            "automatedDecisions": True,
            "dataLeavesThisServer": False,
            "apis": {
                "bedrockApplyGuardrail": "/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply",
                "check": "/v1/check",
                "openapi": "/openapi.json",
            },
        }
    )
