"""``POST /v1/images/generations``: guard the prompt, call the upstream, sign every image it returns.

The prompt is guarded as chat input is (block, or mask before it goes upstream; data-flow
rules pick the upstream when several are configured). The images themselves are not read by
any detector. When a signing certificate is configured (``STEWARD_PROVENANCE_CERT`` and
``STEWARD_PROVENANCE_CERT_KEY``, see :mod:`steward.provenance.images_api`), each image gets a
C2PA manifest stating it was AI-generated, by which model, approved by which guardrail
version. An image the upstream answers by URL is fetched only from that upstream's own host
(anything else is network use nobody configured) and returned inline as ``b64_json``, since
the signed bytes exist only here. Without a certificate the answer passes as the upstream sent it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from steward.assessment import Assessment, Source
from steward.errors import InputError, InputTooLargeError, StewardError, UpstreamError
from steward.guard import validate_text
from steward.provenance.image import IMAGE_MAX_BYTES, SigningCredentials
from steward.provenance.images_api import IMAGES_MAX, sign_images_answer
from steward.proxy import openai_format as oai
from steward.proxy.chat import ChatProxy, GuardBinding, error_response
from steward.proxy.dataflow import plan_route
from steward.proxy.request import parse_chat_request
from steward.proxy.upstream import UpstreamClient

__all__ = ["IMAGES_ENDPOINT", "ImagesProxy", "ImagesRequest", "parse_images_request"]

IMAGES_ENDPOINT = "/v1/images/generations"
#: Most images one request may ask for (OpenAI's API allows up to 10).
N_MAX = 10
#: Longest prompt accepted (OpenAI's limit for gpt-image-1 is 32,000 characters).
PROMPT_MAX_CHARS = 32_000
_FORMATS = ("url", "b64_json")


@dataclass(frozen=True, slots=True)
class ImagesRequest:
    """A validated image-generation request: the body to forward, its prompt and model."""

    body: dict[str, Any]
    prompt: str
    model: str | None


def parse_images_request(raw: bytes, *, max_bytes: int) -> ImagesRequest:
    """Validate an image-generation body; an :class:`InputError` names the first bad field.

    Only what the proxy needs is checked; other parameters (``size``, ``quality``, ...) pass upstream.
    """
    if len(raw) > max_bytes:
        raise InputTooLargeError(field="body", size=len(raw), limit=max_bytes, unit="bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"is not valid UTF-8 (byte {exc.start})", field="body") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"is not valid JSON ({exc.msg} at line {exc.lineno})", field="body") from None
    except RecursionError:
        raise InputError("is nested too deeply", field="body") from None
    if not isinstance(data, dict):
        raise InputError(f"must be a JSON object with a prompt, not {type(data).__name__}", field="body")
    prompt = data.get("prompt")
    if prompt is None or prompt == "":
        raise InputError("is required: the text describing the image", field="prompt")
    prompt = validate_text(prompt, field="prompt", max_chars=PROMPT_MAX_CHARS)
    model = data.get("model")
    if model is not None and (not isinstance(model, str) or not model or len(model) > 200):
        raise InputError(f"must be a non-empty model name, not {str(model)[:80]!r}", field="model")
    n = data.get("n", 1)
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= N_MAX):
        raise InputError(f"must be a whole number from 1 to {N_MAX}, not {n!r}", field="n")
    fmt = data.get("response_format")
    if fmt is not None and fmt not in _FORMATS:
        raise InputError(f"must be url or b64_json, not {str(fmt)[:80]!r}", field="response_format")
    if data.get("stream") not in (None, False):
        raise InputError("is not supported on this proxy: ask for the images whole", field="stream")
    return ImagesRequest(body=data, prompt=prompt, model=model)


def _steward_version() -> str:
    try:
        return metadata.version("steward")
    except metadata.PackageNotFoundError:
        return "unknown"


class ImagesProxy:
    """Handles ``/v1/images/generations`` beside a :class:`ChatProxy` (its upstreams and headers)."""

    def __init__(self, chat: ChatProxy, *, credentials: SigningCredentials | None = None) -> None:
        self.chat = chat
        #: The C2PA signing certificate and key; None: images pass unsigned.
        self.credentials = credentials

    def parse(self, raw: bytes) -> ImagesRequest:
        """Validate the body (raises :class:`InputError` naming the field)."""
        return parse_images_request(raw, max_bytes=self.chat.settings.max_body_bytes)

    async def generate(self, request: ImagesRequest, binding: GuardBinding) -> Response:
        """Guard the prompt, forward it if allowed, and sign the images that come back."""
        chat = self.chat
        try:
            assessment = await run_in_threadpool(binding.guard.apply, request.prompt, Source.INPUT)
        except StewardError as exc:
            return error_response(exc, headers=chat.headers(binding, []))
        binding.audit(assessment, "in-0")
        if binding.review is not None:
            await binding.review(assessment, "in-0", request.prompt)
        if assessment.blocked:
            return self._refused(binding, assessment)
        prompt = (
            assessment.output_text if assessment.intervened and assessment.output_text else request.prompt
        )
        body, client = {**request.body, "prompt": prompt}, chat.upstream
        if chat.table is not None and (len(chat.table.upstreams) > 1 or binding.guard.policy.data_flow):
            route = await self._route(request, prompt, binding)
            if isinstance(route, Response):
                return route
            body, client = route
        decisions: list[tuple[str, Assessment | None]] = [("input", assessment)]
        headers = chat.headers(binding, decisions)
        try:
            answer = await client.generate_images(body)
            signed = 0
            if self.credentials is not None:
                await self._inline(answer, client)
                signed = await run_in_threadpool(self._sign, answer, request, binding)
        except StewardError as exc:
            return error_response(exc, headers=headers)
        answer["steward"] = {**chat.steward_field(binding, decisions), "imagesSigned": signed}
        headers["x-steward-images-signed"] = str(signed)
        return JSONResponse(answer, headers=headers)

    async def _route(
        self, request: ImagesRequest, prompt: str, binding: GuardBinding
    ) -> tuple[dict[str, Any], UpstreamClient] | Response:
        """Data-flow rules on the prompt, as on a chat request of one user message."""
        chat, table = self.chat, self.chat.table
        assert table is not None  # checked by the caller
        # The model only picks the upstream; "-" asks for the default one.
        one_message = {"model": request.model or "-", "messages": [{"role": "user", "content": prompt}]}
        as_chat = parse_chat_request(json.dumps(one_message).encode(), max_bytes=1 << 30)
        try:
            route = await run_in_threadpool(plan_route, binding.guard, as_chat, {}, table)
        except StewardError as exc:
            return error_response(exc, headers=chat.headers(binding, []))
        binding.audit(route.assessment, "route")
        if route.upstream is None:
            return self._refused(binding, route.assessment)
        body = {**request.body, "prompt": route.body["messages"][0]["content"]}
        if request.model is not None:
            body["model"] = route.body["model"]
        return body, chat.clients[route.upstream.name]

    def _refused(self, binding: GuardBinding, blocked: Assessment) -> Response:
        """OpenAI's answer to a refused image prompt: HTTP 400, code ``content_policy_violation``."""
        decisions: list[tuple[str, Assessment | None]] = [("input", blocked)]
        message = blocked.output_text or binding.guard.policy.blocked_input_message
        body = oai.error_body(
            message, type_="invalid_request_error", code="content_policy_violation", param="prompt"
        )
        body["steward"] = self.chat.steward_field(binding, decisions)
        return JSONResponse(body, 400, headers=self.chat.headers(binding, decisions))

    async def _inline(self, answer: dict[str, Any], client: UpstreamClient) -> None:
        """Replace each ``url`` image by its bytes (``b64_json``), fetched from the upstream's host only."""
        data = answer["data"]
        if len(data) > IMAGES_MAX:
            raise InputError(f"holds {len(data)} images, over the limit of {IMAGES_MAX}", field="answer.data")
        for item in data:
            if isinstance(item, dict) and not isinstance(item.get("b64_json"), str):
                url = item.get("url")
                if isinstance(url, str):
                    raw = await client.fetch_image(url, max_bytes=IMAGE_MAX_BYTES)
                    item.pop("url")
                    item["b64_json"] = base64.b64encode(raw).decode("ascii")

    def _sign(self, answer: dict[str, Any], request: ImagesRequest, binding: GuardBinding) -> int:
        assert self.credentials is not None
        try:
            return sign_images_answer(
                answer,
                self.credentials,
                generator=request.model or "unnamed image model",
                guardrail=f"{binding.guardrail_id}:{binding.version}",
                steward_version=_steward_version(),
            )
        except InputError as exc:
            # The upstream's answer is at fault, not the caller's request: a 502 that says so.
            raise UpstreamError(f"the upstream's image answer cannot be signed: {exc.message}") from None
