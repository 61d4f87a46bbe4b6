"""``POST /v1/chat/completions`` and ``GET /v1/models``: the OpenAI-compatible guarding proxy.

Point any OpenAI client at ``http://<steward>/v1`` with a Steward key of role ``app``; the
work itself is in :mod:`steward.proxy`. This module only wires it to the server: the
caller's role, the guardrail to use (settings, or the ``x-steward-guardrail`` header) and
the audit trail. Errors on these paths use OpenAI's error shape, so clients raise their
usual exceptions.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from steward.assessment import Assessment
from steward.audit.record import AuditRecord, new_request_id
from steward.errors import InputError, NotFoundError, StewardError
from steward.guard import Guard
from steward.proxy.chat import ChatProxy, GuardBinding, error_response
from steward.proxy.settings import ProxySettings
from steward.store.guardrails import DRAFT

__all__ = [
    "GUARDRAIL_HEADER",
    "BindGuard",
    "DefaultVersion",
    "build_router",
    "create_router",
    "parse_guardrail_header",
]

#: Request header that picks the guardrail (``id`` or ``id:version``) for one request.
GUARDRAIL_HEADER = "x-steward-guardrail"
#: The version alias tried first when none is configured.
DEFAULT_ALIAS = "production"
_ENDPOINT = "/v1/chat/completions"
REQUEST_ID_HEADER = "x-steward-request-id"


_CHAT_DESCRIPTION = """The body of OpenAI's chat completions API. User messages and tool results are
checked before anything goes upstream (a block is answered at once with `finish_reason:
"content_filter"`); the answer is checked before it is returned; with `stream: true` it is
released through a hold-back window. Pick the guardrail with `x-steward-guardrail: id[:version]`.
Errors use OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`."""

#: The request body as documented in the OpenAPI description (the handler reads it itself,
#: so that errors name the field in OpenAI's shape and unknown parameters pass upstream).
_CHAT_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["model", "messages"],
                "additionalProperties": True,
                "properties": {
                    "model": {"type": "string"},
                    "stream": {"type": "boolean", "default": False},
                    "messages": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["role"],
                            "properties": {
                                "role": {
                                    "type": "string",
                                    "enum": ["system", "developer", "user", "assistant", "tool", "function"],
                                },
                                "content": {
                                    "anyOf": [{"type": "string"}, {"type": "array"}, {"type": "null"}]
                                },
                            },
                        },
                    },
                },
            },
            "example": {"model": "llama3.1", "messages": [{"role": "user", "content": "Hello!"}]},
        }
    },
}


class ResolvedGuardLike(Protocol):
    """What the server's guard cache returns for a guardrail version."""

    @property
    def guard(self) -> Guard: ...

    @property
    def guardrail_id(self) -> str: ...

    @property
    def version(self) -> str: ...


#: ``(request, caller, guardrail id, version or None, request id) -> binding``.
BindGuard = Callable[[Request, Any, str, str | None, str], GuardBinding]


def parse_guardrail_header(value: str) -> tuple[str, str | None]:
    """``id`` or ``id:version`` from the ``x-steward-guardrail`` header."""
    guardrail_id, _, version = value.strip().partition(":")
    guardrail_id, version = guardrail_id.strip(), version.strip()
    if not guardrail_id or len(value) > 200 or (_ and not version):
        raise InputError("must be 'guardrail-id' or 'guardrail-id:version'", field=GUARDRAIL_HEADER)
    return guardrail_id, version or None


def _request_id(request: Request) -> str:
    existing = getattr(request.state, "request_id", None)
    return existing if isinstance(existing, str) and existing else new_request_id()


def _once(request: Request, response: Response) -> Response:
    """Drop our request-id header where the server's middleware adds the same one."""
    if getattr(request.state, "request_id", None) and REQUEST_ID_HEADER in response.headers:
        del response.headers[REQUEST_ID_HEADER]
    return response


def build_router(settings: ProxySettings, *, caller: Callable[..., Any], bind: BindGuard) -> APIRouter:
    """The proxy's routes, with the server's pieces passed in (tests pass their own)."""
    proxy = ChatProxy(settings)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield
        await proxy.upstream.aclose()  # the upstream connection pool

    router = APIRouter(tags=["proxy"], lifespan=lifespan)

    @router.post(
        "/v1/chat/completions",
        response_model=None,
        summary="OpenAI-compatible chat completion, guarded (streaming included)",
        description=_CHAT_DESCRIPTION,
        openapi_extra={"requestBody": _CHAT_BODY},
    )
    async def chat_completions(request: Request, who: Any = Depends(caller)) -> Response:  # noqa: B008
        request_id = _request_id(request)
        try:
            chat = proxy.parse(await request.body())
            guardrail_id, version = settings.guardrail_id, settings.guardrail_version
            header = request.headers.get(GUARDRAIL_HEADER)
            if header is not None:
                if not settings.allow_guardrail_header:
                    raise InputError("is turned off on this server", field=GUARDRAIL_HEADER)
                guardrail_id, version = parse_guardrail_header(header)
            binding = bind(request, who, guardrail_id, version, request_id)
        except StewardError as exc:
            return _once(request, error_response(exc, headers=proxy.headers(None, request_id, [])))
        return _once(request, await proxy.chat(chat, binding))

    @router.get("/v1/models", response_model=None, summary="The upstream's models, relayed")
    async def list_models(request: Request, who: Any = Depends(caller)) -> Response:  # noqa: B008
        return _once(request, await proxy.models(_request_id(request)))

    return router


class DefaultVersion:
    """Which version guards a request that names none: alias ``production`` if set, else the latest.

    "The latest" is the highest version number, or the DRAFT of a guardrail that has no
    version yet. The choice is remembered per guardrail for ``ttl_s`` seconds (the server's
    ``STEWARD_RESOLVE_TTL_S``), so the hot path makes no extra database query: an alias
    created or moved later is seen within that time, as everywhere else in the server.
    """

    def __init__(self, *, ttl_s: float) -> None:
        self._ttl = ttl_s
        self._refs: dict[str, tuple[str, float]] = {}

    def __call__(
        self,
        get: Callable[[str, str], ResolvedGuardLike],
        versions: Callable[[str], list[int]],
        guardrail_id: str,
    ) -> ResolvedGuardLike:
        now = time.monotonic()
        cached = self._refs.get(guardrail_id)
        if cached is not None and now - cached[1] <= self._ttl:
            return get(guardrail_id, cached[0])
        try:
            resolved = get(guardrail_id, DEFAULT_ALIAS)
            ref = DEFAULT_ALIAS
        except NotFoundError as exc:
            if exc.kind != "alias":
                raise
            numbers = versions(guardrail_id)
            ref = str(max(numbers)) if numbers else DRAFT
            resolved = get(guardrail_id, ref)
        if len(self._refs) > 10_000:
            self._refs.clear()
        self._refs[guardrail_id] = (ref, now)
        return resolved


def create_router(settings: ProxySettings) -> APIRouter:
    """The proxy's routes bound to the running server: its auth, guard cache and audit trail."""
    from steward.server.auth import Role, require_role
    from steward.server.state import get_state

    default_version: DefaultVersion | None = None

    def bind(
        request: Request, who: Any, guardrail_id: str, version: str | None, request_id: str
    ) -> GuardBinding:
        nonlocal default_version
        state = get_state(request)
        resolved: ResolvedGuardLike
        if version is not None:
            resolved = state.guards.get(guardrail_id, version)
        else:
            if default_version is None:
                default_version = DefaultVersion(ttl_s=state.settings.resolve_ttl_s)
            resolved = default_version(
                state.guards.get,
                lambda gid: [v.version for v in state.guardrails.list_versions(gid)],
                guardrail_id,
            )

        def audit(assessment: Assessment, decision: str) -> None:
            # The audit trail keeps one record per request id, and one proxy request makes
            # several decisions: each gets ``<request id>-<decision>`` (``-in-0``, ``-out-0``).
            record = AuditRecord.from_assessment(
                assessment,
                guardrail_id=resolved.guardrail_id,
                version=resolved.version,
                caller=getattr(who, "key_id", None),
                request_id=f"{request_id}-{decision}",
                endpoint=_ENDPOINT,
                keep_matched_text=resolved.guard.policy.audit.keep_matched_text,
            )
            state.audit.submit(record)

        return GuardBinding(
            guard=resolved.guard,
            guardrail_id=resolved.guardrail_id,
            version=str(resolved.version),
            request_id=request_id,
            audit=audit,
        )

    return build_router(settings, caller=require_role(Role.APP), bind=bind)
