"""``POST /v1/chat/completions`` and ``GET /v1/models``: the OpenAI-compatible guarding proxy.

Point any OpenAI client at ``http://<steward>/v1`` with a Steward key of role ``app``; the
work itself is in :mod:`steward.proxy`. This module only wires it to the server: the
caller's role, the guardrail to use (settings, or the ``x-steward-guardrail`` header) and
the audit trail. Errors on these paths use OpenAI's error shape, so clients raise their
usual exceptions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from steward.app.guardrails import DRAFT
from steward.assessment import Assessment
from steward.audit.record import AuditRecord
from steward.cache import LruCache
from steward.errors import InputError, NotFoundError, StewardError
from steward.guard import Guard
from steward.proxy.chat import ChatProxy, GuardBinding, error_response
from steward.proxy.images import IMAGES_ENDPOINT, ImagesProxy
from steward.proxy.settings import ProxySettings

if TYPE_CHECKING:
    from steward.provenance.image import SigningCredentials
    from steward.provenance.issuer import ReceiptIssuer

__all__ = [
    "GUARDRAIL_HEADER",
    "BindGuard",
    "DefaultVersion",
    "answer_headers",
    "build_router",
    "create_router",
    "disclosure_with_link",
    "parse_guardrail_header",
]

#: Request header that picks the guardrail (``id`` or ``id:version``) for one request.
GUARDRAIL_HEADER = "x-steward-guardrail"
#: The version alias tried first when none is configured.
DEFAULT_ALIAS = "production"
_ENDPOINT = "/v1/chat/completions"
_MODELS = "/v1/models"


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
#: ``await link(request, guardrail id, version)``: the path of the AI-use notice of the system the
#: guardrail version serves, or None.
NoticeLink = Callable[[Request, str, str], Awaitable[str | None]]


def parse_guardrail_header(value: str) -> tuple[str, str | None]:
    """``id`` or ``id:version`` from the ``x-steward-guardrail`` header."""
    guardrail_id, _, version = value.strip().partition(":")
    guardrail_id, version = guardrail_id.strip(), version.strip()
    if not guardrail_id or len(value) > 200 or (_ and not version):
        raise InputError("must be 'guardrail-id' or 'guardrail-id:version'", field=GUARDRAIL_HEADER)
    return guardrail_id, version or None


def answer_headers(settings: ProxySettings) -> dict[str, list[tuple[bytes, bytes]]]:
    """Headers for every answer on the proxy's paths, by path: the AI-use notice, unless it is off.

    The server's request middleware adds them (:class:`~steward.server.middleware.RequestContextMiddleware`),
    so refusals that never reach these routes — a body over the limit (413), a missing key (401),
    a role that may not call them (403) — carry the notice as well.
    """
    if not settings.disclosure_notice:
        return {}
    notice = [(b"x-ai-disclosure", settings.disclosure_notice.encode("latin-1"))]
    return {_ENDPOINT: notice, _MODELS: notice, IMAGES_ENDPOINT: notice}


def disclosure_with_link(notice: str, link: str) -> str:
    """The ``x-ai-disclosure`` value of an answer whose system is known: the notice and where to read more."""
    return f"{notice} Notice: {link}"


def build_router(
    settings: ProxySettings,
    *,
    caller: Callable[..., Any],
    bind: BindGuard,
    receipts: ReceiptIssuer | None = None,
    notice_link: NoticeLink | None = None,
    image_signing: SigningCredentials | None = None,
) -> APIRouter:
    """The proxy's routes, with the server's pieces passed in (tests pass their own).

    With ``notice_link``, an answer whose guardrail serves a system in the inventory links that
    system's notice from its ``x-ai-disclosure`` header.
    """
    proxy = ChatProxy(settings, receipts=receipts)
    images = ImagesProxy(proxy, credentials=image_signing)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield
        await proxy.aclose()  # every upstream's connection pool

    router = APIRouter(tags=["proxy"], lifespan=lifespan)

    def bound(request: Request, who: Any, request_id: str) -> GuardBinding:
        """The request's guard: the configured guardrail, or the one its header names (where allowed)."""
        guardrail_id, version = settings.guardrail_id, settings.guardrail_version
        header = request.headers.get(GUARDRAIL_HEADER)
        if header is not None:
            if not settings.allow_guardrail_header:
                raise InputError("is turned off on this server", field=GUARDRAIL_HEADER)
            guardrail_id, version = parse_guardrail_header(header)
        return bind(request, who, guardrail_id, version, request_id)

    @router.post(
        _ENDPOINT,
        response_model=None,
        summary="OpenAI-compatible chat completion, guarded (streaming included)",
        description=_CHAT_DESCRIPTION,
        openapi_extra={"requestBody": _CHAT_BODY},
    )
    async def chat_completions(request: Request, who: Any = Depends(caller)) -> Response:  # noqa: B008
        request_id: str = request.state.request_id  # set by the server's request middleware
        try:
            chat = proxy.parse(await request.body())
            binding = bound(request, who, request_id)
            from steward.server.routers import review  # the opt-out: a person instead of the model

            ask = review.handoff_requested(request, chat, binding)
            response = await review.handoff_answer(request, who, chat, binding, ask) if ask else None
            chat = review.without_handoff(chat)  # the model's API does not know the body field
        except StewardError as exc:
            return error_response(exc, headers=proxy.headers(None, []))
        if response is None:
            response = await proxy.chat(chat, binding)
        if notice_link is not None and settings.disclosure_notice:
            link = await notice_link(request, binding.guardrail_id, binding.version)
            if link is not None:  # the request middleware then leaves this header as it is
                response.headers["x-ai-disclosure"] = disclosure_with_link(settings.disclosure_notice, link)
        return response

    @router.post(
        IMAGES_ENDPOINT,
        response_model=None,
        summary="OpenAI-compatible image generation: the prompt guarded, every image signed (C2PA)",
    )
    async def images_generations(request: Request, who: Any = Depends(caller)) -> Response:  # noqa: B008
        request_id: str = request.state.request_id
        try:
            parsed = images.parse(await request.body())
            binding = bound(request, who, request_id)
        except StewardError as exc:
            return error_response(exc, headers=proxy.headers(None, []))
        return await images.generate(parsed, binding)

    @router.get(_MODELS, response_model=None, summary="The upstream's models, relayed")
    async def list_models(request: Request, who: Any = Depends(caller)) -> Response:  # noqa: B008
        return await proxy.models()

    return router


#: Guardrails whose default version is remembered, least recently used forgotten first.
_MAX_DEFAULTS = 10_000


class DefaultVersion:
    """Which version guards a request that names none: alias ``production`` if set, else the latest.

    "The latest" is the highest version number, or the DRAFT of a guardrail that has no
    version yet. The choice is remembered per guardrail for ``ttl_s`` seconds (the server's
    ``STEWARD_RESOLVE_TTL_S``), so the hot path makes no extra database query: an alias
    created or moved later is seen within that time, as everywhere else in the server.
    """

    def __init__(self, *, ttl_s: float) -> None:
        #: guardrail id -> the reference chosen for it (an alias name, a number or DRAFT).
        self._refs: LruCache[str, str] = LruCache(_MAX_DEFAULTS, ttl_s=ttl_s)

    def __call__(
        self,
        get: Callable[[str, str], ResolvedGuardLike],
        versions: Callable[[str], list[int]],
        guardrail_id: str,
    ) -> ResolvedGuardLike:
        cached = self._refs.get(guardrail_id)
        if cached is not None:
            return get(guardrail_id, cached)
        try:
            resolved = get(guardrail_id, DEFAULT_ALIAS)
            ref = DEFAULT_ALIAS
        except NotFoundError as exc:
            if exc.kind != "alias":
                raise
            numbers = versions(guardrail_id)
            ref = str(max(numbers)) if numbers else DRAFT
            resolved = get(guardrail_id, ref)
        self._refs.put(guardrail_id, ref)
        return resolved


def create_router(settings: ProxySettings, *, data_dir: Path | None = None) -> APIRouter:
    """The proxy's routes bound to the running server: its auth, guard cache and audit trail.

    ``data_dir`` is where the provenance receipt key lives (the server's data directory).
    """
    from steward.server.auth import Role, require_role
    from steward.server.routers import review as routers_review
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
                endpoint=IMAGES_ENDPOINT if request.url.path == IMAGES_ENDPOINT else _ENDPOINT,
                keep_matched_text=resolved.guard.policy.audit.keep_matched_text,
            )
            state.audit.submit(record)

        async def review(assessment: Assessment, decision: str, text: str) -> None:
            # As on the apply path: the policy's REVIEW findings, a consequential system or a
            # sampled pass queue the decision, under the id the audit trail gave it.
            await routers_review.route_to_review(
                request,
                assessment,
                text,
                resolved.guard.policy,
                guardrail_id=resolved.guardrail_id,
                version=str(resolved.version),
                caller=who,
                request_id=f"{request_id}-{decision}",
            )

        return GuardBinding(
            guard=resolved.guard,
            guardrail_id=resolved.guardrail_id,
            version=str(resolved.version),
            request_id=request_id,
            audit=audit,
            review=review,
            receipt=state.audit.add_receipt,
        )

    from steward.provenance.images_api import credentials_from_env
    from steward.provenance.issuer import ReceiptIssuer

    receipts = ReceiptIssuer.from_env(data_dir)
    return build_router(
        settings,
        caller=require_role(Role.APP),
        bind=bind,
        receipts=receipts,
        notice_link=routers_review.notice_link,
        image_signing=credentials_from_env(),
    )
