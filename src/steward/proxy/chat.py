"""The proxy's request handling: guard the input, call the upstream, guard the answer.

:class:`ChatProxy` knows nothing of authentication or storage: the router hands it a
:class:`GuardBinding` (the resolved guard, the request id and an audit callback) and gets a
Starlette response back, streamed or not. Guard calls are CPU work, so they run in the
thread pool and never stall the event loop that relays other streams.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response, StreamingResponse

from steward.anonymize import PseudonymVault
from steward.assessment import Action, Assessment, Source
from steward.errors import StewardError, UpstreamError
from steward.guard import Guard
from steward.proxy import openai_format as oai
from steward.proxy.conversation import InputDecision, check_messages, last_user_text
from steward.proxy.dataflow import plan_route
from steward.proxy.holdback import StreamGuard
from steward.proxy.request import ChatRequest, parse_chat_request
from steward.proxy.settings import ProxySettings
from steward.proxy.tool_calls import GuardedCalls, ToolCallBuffer, guard_tool_calls
from steward.proxy.upstream import UpstreamClient

if TYPE_CHECKING:
    from steward.provenance.issuer import ReceiptIssuer

__all__ = ["ChatProxy", "GuardBinding", "error_response"]

#: Longest ``x-steward-reason`` header value.
_REASON_MAX = 300


@dataclass(frozen=True, slots=True)
class GuardBinding:
    """What one request is guarded with, and where its decisions are recorded."""

    guard: Guard
    guardrail_id: str
    version: str
    request_id: str
    #: ``audit(assessment, decision)`` records one decision; ``decision`` names it within the
    #: request (``in-<message index>``, ``out-<choice index>``), since one request makes several.
    audit: Callable[[Assessment, str], None]
    #: ``await review(assessment, decision, text)`` offers one decision, with the text it was
    #: made on, to the human review queue (the audit trail keeps no text, so the audit
    #: callback cannot do it). None: nothing is queued. It must never raise.
    review: Callable[[Assessment, str, str], Awaitable[None]] | None = None
    #: ``receipt(audit request id, receipt)`` keeps a provenance receipt with the audit record
    #: of the decision it covers. None: receipts go to the client only.
    receipt: Callable[[str, str], None] | None = None


def _header_text(text: str) -> str:
    """``text`` made safe for an HTTP header: printable ASCII on one line, bounded."""
    cleaned = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return cleaned[:_REASON_MAX]


def error_response(exc: StewardError, *, headers: dict[str, str] | None = None) -> JSONResponse:
    """An OpenAI-style error response (status and body from :data:`openai_format.ERRORS`), never a stack trace."""
    status, body = oai.error_parts(exc)
    return JSONResponse(body, status, headers=headers)


def _reason(direction: str, assessment: Assessment | None) -> str | None:
    if assessment is None or not assessment.intervened:
        return None
    return f"{direction}: {assessment.action_reason}"


class ChatProxy:
    """Handles ``/v1/chat/completions`` and ``/v1/models`` for one proxy configuration."""

    def __init__(
        self,
        settings: ProxySettings,
        *,
        upstream: UpstreamClient | None = None,
        receipts: ReceiptIssuer | None = None,
    ) -> None:
        self.settings = settings
        self.upstream = upstream or UpstreamClient(settings)
        #: Every upstream and the one a model asks for (None: none configured), and a client each.
        self.table = settings.upstream_table()
        self.clients: dict[str, UpstreamClient] = {}
        if settings.upstreams is not None:
            self.clients = {
                u.name: UpstreamClient.for_upstream(settings, u) for u in settings.upstreams.upstreams
            }
            self.upstream = upstream or self.clients[settings.upstreams.default]
        elif self.table is not None:
            self.clients = {"default": self.upstream}
        #: Signs each answer's text (``STEWARD_PROVENANCE_RECEIPTS``); None when off.
        self.receipts = receipts

    # -- headers and the ``steward`` field -------------------------------------------------

    def headers(
        self, binding: GuardBinding | None, decisions: list[tuple[str, Assessment | None]]
    ) -> dict[str, str]:
        """The response headers of a decision: guardrail, action and reason.

        The request id and the AI-use notice are on every answer of the proxy's paths, errors
        included, so the server's request middleware adds them (see
        ``steward.server.routers.proxy.answer_headers``).
        """
        headers: dict[str, str] = {}
        if binding is not None:
            headers["x-steward-guardrail"] = f"{binding.guardrail_id}:{binding.version}"
        reasons = [r for r in (_reason(d, a) for d, a in decisions) if r]
        intervened = any(a is not None and a.intervened for _, a in decisions)
        headers["x-steward-guardrail-action"] = (
            Action.GUARDRAIL_INTERVENED if intervened else Action.NONE
        ).value
        if reasons:
            headers["x-steward-reason"] = _header_text("; ".join(reasons))
        return headers

    def steward_field(
        self, binding: GuardBinding, decisions: list[tuple[str, Assessment | None]]
    ) -> dict[str, Any]:
        """The top-level ``steward`` field of an answer: decisions, request id, guardrail, notice."""
        intervened = [(d, a) for d, a in decisions if a is not None and a.intervened]
        field: dict[str, Any] = {
            "action": (Action.GUARDRAIL_INTERVENED if intervened else Action.NONE).value,
            "actionReason": "; ".join(f"{d}: {a.action_reason}" for d, a in intervened),
            "requestId": binding.request_id,
            "guardrail": {"id": binding.guardrail_id, "version": binding.version},
        }
        for direction, assessment in decisions:
            if assessment is not None:
                field[direction] = {
                    "action": assessment.action.value,
                    "actionReason": assessment.action_reason,
                }
        if self.settings.disclosure_notice:
            field["disclosure"] = self.settings.disclosure_notice
        return field

    def disclose(self, text: str) -> str:
        """``text`` with the AI-use notice in front, when ``STEWARD_DISCLOSURE_PREPEND`` asks for it."""
        if self.settings.disclosure_prepend and self.settings.disclosure_notice:
            return f"{self.settings.disclosure_notice}\n\n{text}"
        return text

    # -- /v1/models ------------------------------------------------------------------------

    async def models(self) -> Response:
        """The upstream's model list, relayed as is; with several upstreams, their lists joined."""
        headers = self.headers(None, [])
        try:
            if len(self.clients) <= 1:
                data = await self.upstream.models()
            else:
                data = {"object": "list", "data": []}
                seen: set[Any] = set()
                for client in self.clients.values():
                    listed = (await client.models()).get("data")
                    for model in listed if isinstance(listed, list) else []:
                        key = model.get("id") if isinstance(model, dict) else None
                        if key not in seen:
                            seen.add(key)
                            data["data"].append(model)
        except StewardError as exc:
            return error_response(exc, headers=headers)
        return JSONResponse(data, headers=headers)

    async def aclose(self) -> None:
        """Close every upstream's connection pool (on server shutdown)."""
        await self.upstream.aclose()
        for client in self.clients.values():
            await client.aclose()

    # -- /v1/chat/completions --------------------------------------------------------------

    def parse(self, raw: bytes) -> ChatRequest:
        """Validate the body (raises :class:`InputError` naming the field)."""
        return parse_chat_request(raw, max_bytes=self.settings.max_body_bytes)

    async def chat(self, request: ChatRequest, binding: GuardBinding) -> Response:
        """Guard ``request``, forward it if allowed, and guard the answer."""
        vault = _vault_for(binding.guard)
        try:
            decision = await run_in_threadpool(
                check_messages,
                binding.guard,
                request,
                vault=vault,
                mask_all_roles=self.settings.mask_all_roles,
            )
        except StewardError as exc:
            return error_response(exc, headers=self.headers(binding, []))
        for item, assessment in decision.to_audit():
            part = "" if item.part is None else f"-{item.part}"
            binding.audit(assessment, f"in-{item.message}{part}")
            if binding.review is not None:
                await binding.review(assessment, f"in-{item.message}{part}", item.text)
        input_assessment = decision.blocked or _strongest(decision)
        if decision.blocked is not None:
            return self._blocked_input(request, binding, decision.blocked)
        body, client = request.with_texts(decision.replacements), self.upstream
        if self.table is not None and (len(self.table.upstreams) > 1 or binding.guard.policy.data_flow):
            # Data-flow rules pick the upstream and may mask more (steward.proxy.dataflow).
            try:
                route = await run_in_threadpool(
                    plan_route, binding.guard, request, decision.replacements, self.table, vault=vault
                )
            except StewardError as exc:
                return error_response(exc, headers=self.headers(binding, [("input", input_assessment)]))
            binding.audit(route.assessment, "route")
            if route.upstream is None:
                return self._blocked_input(request, binding, route.assessment)
            body, client = route.body, self.clients[route.upstream.name]
        if request.stream:
            return await self._stream(request, body, binding, input_assessment, vault, client)
        return await self._complete(request, body, binding, input_assessment, vault, client)

    def _blocked_input(self, request: ChatRequest, binding: GuardBinding, blocked: Assessment) -> Response:
        decisions: list[tuple[str, Assessment | None]] = [("input", blocked)]
        headers = self.headers(binding, decisions)
        message = blocked.output_text or binding.guard.policy.blocked_input_message
        extra = {"steward": self.steward_field(binding, decisions)}
        if not request.stream:
            return JSONResponse(
                oai.completion(
                    model=request.model, content=message, finish_reason="content_filter", extra=extra
                ),
                headers=headers,
            )

        async def events() -> AsyncIterator[bytes]:
            yield oai.sse(
                oai.chunk(completion_id=None, model=request.model, delta={"role": "assistant", "content": ""})
            )
            yield oai.sse(
                oai.chunk(
                    completion_id=None,
                    model=request.model,
                    delta={"content": message},
                    finish_reason="content_filter",
                    extra=extra,
                )
            )
            yield oai.DONE

        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    async def _complete(
        self,
        request: ChatRequest,
        body: dict[str, Any],
        binding: GuardBinding,
        input_assessment: Assessment | None,
        vault: PseudonymVault | None,
        client: UpstreamClient | None = None,
    ) -> Response:
        try:
            answer = await (client or self.upstream).complete(body)
        except StewardError as exc:
            return error_response(exc, headers=self.headers(binding, [("input", input_assessment)]))
        query = last_user_text(request)
        try:
            outputs = await run_in_threadpool(_guard_choices, binding.guard, answer, query, vault)
        except StewardError as exc:
            return error_response(exc, headers=self.headers(binding, [("input", input_assessment)]))
        for verdict in outputs:
            for decision, assessment in verdict.decisions():
                binding.audit(assessment, decision)
            choice, message = verdict.choice, verdict.choice["message"]
            content = message.get("content")
            if binding.review is not None and verdict.text is not None and isinstance(content, str):
                await binding.review(verdict.text, f"out-{choice.get('index', 0)}", content)
            blocked = verdict.blocked
            if blocked is not None:
                message["content"] = blocked.output_text or binding.guard.policy.blocked_output_message
                message.pop("tool_calls", None)
                choice["finish_reason"] = "content_filter"
            else:
                text = verdict.text
                if text is not None and text.intervened and text.output_text is not None:
                    message["content"] = text.output_text
                if isinstance(message.get("content"), str):
                    message["content"] = self.disclose(message["content"])
                if verdict.tools is not None:
                    message["tool_calls"] = verdict.tools.calls
            if any(a.intervened for _, a in verdict.decisions()):
                # Log-probabilities carry the original tokens; they cannot be masked.
                choice["logprobs"] = None
        output_assessment = _strongest_of([a for v in outputs for _, a in v.decisions()])
        decisions = [("input", input_assessment), ("output", output_assessment)]
        answer["steward"] = self.steward_field(binding, decisions)
        headers = self.headers(binding, decisions)
        if self.receipts is not None:
            self.receipts.attach(
                answer,
                headers,
                request_id=binding.request_id,
                guardrail_id=binding.guardrail_id,
                version=binding.version,
                choices=[(v.choice, _receipt_decision(v)) for v in outputs],
                record=binding.receipt,
            )
        return JSONResponse(answer, headers=headers)

    async def _stream(
        self,
        request: ChatRequest,
        body: dict[str, Any],
        binding: GuardBinding,
        input_assessment: Assessment | None,
        vault: PseudonymVault | None,
        client: UpstreamClient | None = None,
    ) -> Response:
        chunks = (client or self.upstream).stream(body)
        decisions: list[tuple[str, Assessment | None]] = [("input", input_assessment)]
        headers = self.headers(binding, decisions)
        try:
            first: dict[str, Any] | None = await chunks.__anext__()
        except StopAsyncIteration:
            first = None
        except StewardError as exc:
            await chunks.aclose()
            return error_response(exc, headers=headers)
        relay = _StreamRelay(self, request, binding, input_assessment, vault)
        return StreamingResponse(relay.events(first, chunks), media_type="text/event-stream", headers=headers)


def _vault_for(guard: Guard) -> PseudonymVault | None:
    sens = guard.policy.sensitive_information
    if sens is not None and sens.anonymization.style == "pseudonym":
        return PseudonymVault()
    return None


def _strongest_of(assessments: list[Assessment]) -> Assessment | None:
    """The assessment that best sums up several: a block, else a mask, else the last one."""
    for assessment in assessments:
        if assessment.blocked:
            return assessment
    for assessment in assessments:
        if assessment.intervened:
            return assessment
    return assessments[-1] if assessments else None


def _receipt_decision(verdict: _ChoiceVerdict) -> str:
    """PASSED, MASKED or BLOCKED: what the guard did to the choice a provenance receipt covers."""
    if verdict.blocked is not None:
        return "BLOCKED"
    return "MASKED" if any(a.intervened for _, a in verdict.decisions()) else "PASSED"


def _strongest(decision: InputDecision) -> Assessment | None:
    return _strongest_of([a for _, a in decision.checked])


@dataclass(slots=True)
class _ChoiceVerdict:
    """The guard's decisions on one choice of a completion: its text and its tool calls."""

    choice: dict[str, Any]
    text: Assessment | None = None
    tools: GuardedCalls | None = None

    @property
    def blocked(self) -> Assessment | None:
        if self.text is not None and self.text.blocked:
            return self.text
        return self.tools.blocked if self.tools is not None else None

    def decisions(self) -> list[tuple[str, Assessment]]:
        """``(audit decision name, assessment)`` for the text and each tool call checked."""
        index = self.choice.get("index", 0)
        out = [(f"out-{index}", self.text)] if self.text is not None else []
        if self.tools is not None:
            out.extend((f"out-{index}-tool-{k}", a) for k, a in enumerate(self.tools.assessments))
        return out


def _guard_choices(
    guard: Guard, answer: dict[str, Any], query: str | None, vault: PseudonymVault | None
) -> list[_ChoiceVerdict]:
    """Apply the guard (source output) to the text and tool calls of every choice of a completion."""
    out = []
    for i, choice in enumerate(answer["choices"]):
        if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
            raise UpstreamError(f"the upstream's choices[{i}] has no message object")
        verdict = _ChoiceVerdict(choice)
        content = choice["message"].get("content")
        if content is not None:
            if not isinstance(content, str):
                raise UpstreamError(f"the upstream's choices[{i}].message.content is not a string")
            verdict.text = guard.apply(content, Source.OUTPUT, query=query, vault=vault)
        calls = choice["message"].get("tool_calls")
        if calls and verdict.blocked is None:
            if not isinstance(calls, list):
                raise UpstreamError(f"the upstream's choices[{i}].message.tool_calls is not a list")
            verdict.tools = guard_tool_calls(
                guard, calls, vault=vault, where=f"choices[{i}].message.tool_calls"
            )
        out.append(verdict)
    return out


class _StreamRelay:
    """Relays one upstream stream through a :class:`StreamGuard` per choice.

    Tool-call deltas are collected per choice and released whole, guarded, when it ends.
    """

    def __init__(
        self,
        proxy: ChatProxy,
        request: ChatRequest,
        binding: GuardBinding,
        input_assessment: Assessment | None,
        vault: PseudonymVault | None,
    ) -> None:
        self.proxy = proxy
        self.request = request
        self.binding = binding
        self.input_assessment = input_assessment
        self.vault = vault
        self.guards: dict[int, StreamGuard] = {}
        self.tools: dict[int, ToolCallBuffer] = {}
        #: ``(choice index, call index, assessment)`` of each tool call checked.
        self.tool_decisions: list[tuple[int, int, Assessment]] = []
        self.tool_indices: set[int] = set()
        self.started: set[int] = set()
        self.meta: dict[str, Any] = {"id": None, "model": request.model, "created": None}
        self.query = last_user_text(request)
        #: The text sent for each choice, kept for its provenance receipt when receipts are on.
        self.sent: dict[int, list[str]] = {}

    def _guard(self, index: int) -> StreamGuard:
        if index not in self.guards:
            settings = self.proxy.settings
            # The last user message is the query of the whole-answer check at the end, as
            # it is for a non-streamed answer (relevance).
            self.guards[index] = StreamGuard(
                self.binding.guard,
                holdback=settings.stream_holdback_chars,
                check_every=settings.stream_check_chars,
                vault=self.vault,
                query=self.query,
            )
        return self.guards[index]

    def _text(self, index: int, text: str) -> str:
        if text and index not in self.started:
            self.started.add(index)
            return self.proxy.disclose(text)
        return text

    def _blocked(self, index: int, blocked: Assessment) -> dict[str, Any]:
        message = blocked.output_text or self.binding.guard.policy.blocked_output_message
        if self.guards[index].released_any:
            message = "\n\n" + message
        decisions = [("input", self.input_assessment), ("output", blocked)]
        return oai.chunk(
            completion_id=self.meta["id"],
            model=self.meta["model"],
            created=self.meta["created"],
            index=index,
            delta={"content": message},
            finish_reason="content_filter",
            extra={"steward": self.proxy.steward_field(self.binding, decisions)},
        )

    def _release_tools(self, index: int) -> tuple[list[dict[str, Any]] | None, Assessment | None]:
        """Guard the collected tool calls of a choice that ended: ``(calls, blocking assessment)``."""
        buffer = self.tools.get(index)
        if not buffer:
            return None, None
        self.tool_indices.add(index)
        guarded = guard_tool_calls(
            self.binding.guard, buffer.take(), vault=self.vault, where=f"choices[{index}].delta.tool_calls"
        )
        self.tool_decisions.extend((index, k, a) for k, a in enumerate(guarded.assessments))
        return guarded.calls, guarded.blocked

    def _needs_guard(self, data: dict[str, Any]) -> bool:
        """Whether processing this chunk will run the guard (a check, or a choice's end)."""
        choices = data.get("choices")
        if not isinstance(choices, list):
            return False
        for choice in choices:
            if not isinstance(choice, dict) or not isinstance(choice.get("index", 0), int):
                return False  # process() reports it
            if choice.get("finish_reason") is not None:
                return True
            delta = choice.get("delta")
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str) and self._guard(choice.get("index", 0)).due(len(content)):
                return True
        return False

    def process(self, data: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        """Guard one upstream chunk: the chunks to send on, and whether the stream must stop."""
        for key in ("id", "created"):
            if self.meta[key] is None and data.get(key) is not None:
                self.meta[key] = data[key]
        if isinstance(data.get("model"), str) and data["model"]:
            self.meta["model"] = data["model"]
        choices = data.get("choices")
        if not isinstance(choices, list):
            raise UpstreamError("the upstream streamed a chunk without a 'choices' list")
        out_choices = []
        for choice in choices:
            if not isinstance(choice, dict):
                raise UpstreamError("the upstream streamed a choice that is not an object")
            index = choice.get("index", 0)
            if not isinstance(index, int):
                raise UpstreamError("the upstream streamed a choice without an integer index")
            raw_delta = choice.get("delta")
            delta: dict[str, Any] = raw_delta if isinstance(raw_delta, dict) else {}
            content = delta.get("content")
            finish = choice.get("finish_reason")
            guard = self._guard(index)
            text = ""
            if isinstance(content, str) and content:
                release = guard.feed(content)
                if release.blocked is not None:
                    return [self._blocked(index, release.blocked)], True
                text += release.text
            if delta.get("tool_calls") is not None:
                self.tools.setdefault(index, ToolCallBuffer()).add(delta["tool_calls"])
            calls = None
            if finish is not None:
                release = guard.finish()
                if release.blocked is not None:
                    return [self._blocked(index, release.blocked)], True
                text += release.text
                calls, blocked = self._release_tools(index)
                if blocked is not None:
                    return [self._blocked(index, blocked)], True
            new_delta = {k: v for k, v in delta.items() if k not in ("content", "tool_calls")}
            if text:
                new_delta["content"] = self._text(index, text)
                if self.proxy.receipts is not None:
                    self.sent.setdefault(index, []).append(new_delta["content"])
            if calls:
                new_delta["tool_calls"] = calls
            if new_delta or finish is not None:
                out_choices.append({**choice, "delta": new_delta, "logprobs": None})
        if not out_choices and not data.get("usage"):
            return [], False
        out = {**data, "choices": out_choices}
        finished = [c["index"] for c in out_choices if c.get("finish_reason") is not None]
        if finished:
            # The chunk that ends a choice tells what the guard did to it, as a completion's field does.
            summaries = [self.guards[i].summary() for i in finished]
            summaries += [a for i, _, a in self.tool_decisions if i in finished]
            decisions = [("input", self.input_assessment), ("output", _strongest_of(summaries))]
            out["steward"] = self.proxy.steward_field(self.binding, decisions)
            if self.proxy.receipts is not None:
                self._sign(out, finished)
        return [out], False

    def _sign(self, out: dict[str, Any], finished: list[int]) -> None:
        """Receipts for the whole text of each choice that ended, in the final chunk's ``steward`` field."""
        choices: list[tuple[dict[str, Any], str]] = []
        for i in finished:
            if i in self.sent:
                checked = [self.guards[i].summary(), *(a for j, _, a in self.tool_decisions if j == i)]
                decision = "MASKED" if any(a.intervened for a in checked) else "PASSED"
                choices.append(({"index": i, "message": {"content": "".join(self.sent[i])}}, decision))
        if self.proxy.receipts is not None and choices:
            binding = self.binding
            self.proxy.receipts.attach(
                out,
                {},  # the headers left with the first chunk
                request_id=binding.request_id,
                guardrail_id=binding.guardrail_id,
                version=binding.version,
                choices=choices,
                record=binding.receipt,
            )

    def flush(self) -> list[dict[str, Any]]:
        """The upstream ended without finishing some choices: release what they still hold."""
        out = []
        for index, guard in sorted(self.guards.items()):
            release = guard.finish()
            if release.blocked is not None:
                return [self._blocked(index, release.blocked)]
            calls, blocked = self._release_tools(index)
            if blocked is not None:
                return [self._blocked(index, blocked)]
            delta: dict[str, Any] = {}
            if release.text:
                delta["content"] = self._text(index, release.text)
            if calls:
                delta["tool_calls"] = calls
            if delta:
                out.append(
                    oai.chunk(
                        completion_id=self.meta["id"],
                        model=self.meta["model"],
                        created=self.meta["created"],
                        index=index,
                        delta=delta,
                    )
                )
        return out

    async def events(
        self, first: dict[str, Any] | None, chunks: AsyncGenerator[dict[str, Any], None]
    ) -> AsyncIterator[bytes]:
        """The SSE byte stream sent to the client."""
        try:
            data = first
            stopped = False
            while data is not None:
                if self._needs_guard(data):
                    out, stopped = await run_in_threadpool(self.process, data)
                else:  # no guard call due: cheaper on the event loop than a thread hop
                    out, stopped = self.process(data)
                for item in out:
                    yield oai.sse(item)
                if stopped:
                    break
                data = await anext(chunks, None)
            if not stopped:
                for item in await run_in_threadpool(self.flush):
                    yield oai.sse(item)
            yield oai.DONE
        except StewardError as exc:
            # Headers are gone already: the error travels as an event, which OpenAI's clients raise.
            yield oai.sse(oai.error_parts(exc)[1])
        finally:
            # Audit first: if the client went away, closing the upstream may be cancelled.
            texts = []
            for index, guard in sorted(self.guards.items()):
                if guard.total or index not in self.tool_indices:  # a tool-call-only answer has no text
                    summary = guard.summary()
                    self.binding.audit(summary, f"out-{index}")
                    if guard.total:
                        texts.append((summary, f"out-{index}", guard.answer))
            for index, k, assessment in self.tool_decisions:
                self.binding.audit(assessment, f"out-{index}-tool-{k}")
            if self.binding.review is not None:
                # As a completed answer's: the decision on the whole text, offered to review with
                # the model's text. Shielded: a client that went away cancels the stream, not this.
                with anyio.CancelScope(shield=True):
                    for summary, decision, text in texts:
                        await self.binding.review(summary, decision, text)
            await chunks.aclose()
